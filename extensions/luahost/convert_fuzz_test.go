package luahost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/extensions/luahost"
)

// FuzzJSONThroughAScript gives any JSON to a script that returns its input. The call either
// refuses the input with a stable error (not JSON, an integer a Lua number cannot hold, nesting)
// or returns JSON that means what the input meant, as the conversion rules say: numbers exact,
// a null in an object is an absent key, an empty object or array is null.
func FuzzJSONThroughAScript(f *testing.F) {
	for _, s := range []string{`{"price":1990}`, `{"a":4503599627370495,"b":[1,2,3],"c":{"d":"e"}}`, `{"n":9007199254740993}`,
		`{"f":1.5,"g":-0,"h":1e20,"i":[]}`, `{"s":"\u0000\ud800 x"}`, `{"a":{"b":{"c":{"d":[[[[1]]]]}}}}`, `[1,"x",true]`, `"str"`, `null`,
		`{"a":null,"b":[{"x":null}]}`, `{"at":9223372036854775807}`, `{"q":-9223372036854775808}`} {
		f.Add([]byte(s))
	}
	h := luahost.New(extensions.Budget{Wall: time.Second, MaxOutput: 256 << 10})
	s, err := h.Compile("id.lua", `function run(input) return input end`)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := s.Call(context.Background(), extensions.Budget{}, in, nil)
		if err != nil {
			if !errors.Is(err, extensions.ErrInvalidInput) && !errors.Is(err, extensions.ErrInputTooLarge) && !errors.Is(err, extensions.ErrInvalidOutput) {
				t.Fatalf("input %q: got %v; want a stable input or output error", in, err)
			}
			return
		}
		var want any
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.UseNumber()
		if dec.Decode(&want) != nil {
			t.Fatalf("input %q is not JSON, yet the script was given it", in)
		}
		var got any
		dec = json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("input %q: output %q is not JSON: %v", in, out, err)
		}
		if w, ok := normalize(want); ok && !reflect.DeepEqual(normalize2(got), w) {
			t.Fatalf("input %q came back as %q", in, out)
		}
	})
}

// normalize is what a JSON value means after a round trip through Lua; ok is false for values
// whose arrays hold null (a hole in a Lua sequence, whose length Lua leaves open).
func normalize(v any) (any, bool) {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f, true
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			n, ok := normalize(e)
			if !ok {
				return nil, false
			}
			if n != nil {
				out[k] = n
			}
		}
		if len(out) == 0 {
			return nil, true
		}
		return out, true
	case []any:
		if len(x) == 0 {
			return nil, true
		}
		out := make([]any, len(x))
		for i, e := range x {
			n, ok := normalize(e)
			if !ok || n == nil {
				return nil, false
			}
			out[i] = n
		}
		return out, true
	}
	return v, true
}

func normalize2(v any) any { n, _ := normalize(v); return n }
