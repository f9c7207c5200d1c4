package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Request decoding, strict per channel. A body is read into a JSON tree first, token by token,
// so that a key given twice is refused rather than resolved by map order; then the tree is walked
// against the request type: every key must be the channel's own spelling of one of the type's
// fields (camelCase on app and admin, exactly; snake_case on the mini-program, with money fields
// and only money fields spelled *_fee), two keys may not land on one field, and every string has
// a length limit (defaultMaxLen bytes for ids and enums; a field tagged maxLen:"N" holds longer
// text). Only then is the tree, in neutral spelling, decoded into the request.

// defaultMaxLen bounds every string field of a request that is not tagged otherwise: ids, codes
// and enums are far shorter, and a longer value is refused before it reaches any service.
const defaultMaxLen = 64

// maxNesting bounds how deep a request body may nest.
const maxNesting = 32

var (
	rawMessageType = reflect.TypeOf(json.RawMessage{})
	snakeKeyRe     = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
)

type fieldInfo struct {
	name   string // the neutral (camelCase) JSON name
	typ    reflect.Type
	maxLen int
	money  bool // a MoneyInput (or a pointer to one): spelled *_fee on the mini-program
}

var fieldsCache sync.Map // reflect.Type → map[string]fieldInfo

// fieldsOf lists a struct type's JSON fields by neutral name.
func fieldsOf(t reflect.Type) map[string]fieldInfo {
	if f, ok := fieldsCache.Load(t); ok {
		return f.(map[string]fieldInfo)
	}
	out := map[string]fieldInfo{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		max := defaultMaxLen
		if s := sf.Tag.Get("maxLen"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				panic("gateway: bad maxLen tag on " + t.String() + "." + sf.Name) // a build-time mistake
			}
			max = n
		}
		t := sf.Type
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		out[name] = fieldInfo{name: name, typ: sf.Type, maxLen: max, money: t == moneyInputType}
	}
	fieldsCache.Store(t, out)
	return out
}

// decode reads the channel's JSON body into the neutral request dst.
func (ch *channel) decode(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errkind.WithDetail(ErrMalformedJSON, "request body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tree, err := readTree(dec, 0)
	if err != nil {
		return ch.decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errkind.WithDetail(ErrMalformedJSON, "unexpected data after the JSON value")
	}
	if _, ok := tree.(map[string]any); !ok {
		return errkind.WithDetail(ErrMalformedJSON, "request body must be a JSON object")
	}
	neutral, err := ch.walk(tree, reflect.TypeOf(dst), "", defaultMaxLen)
	if err != nil {
		return err
	}
	if body, err = json.Marshal(neutral); err != nil {
		return errkind.WithDetail(ErrMalformedJSON, "request body is not valid JSON")
	}
	strict := json.NewDecoder(bytes.NewReader(body))
	strict.DisallowUnknownFields()
	if err := strict.Decode(dst); err != nil {
		return ch.decodeError(err)
	}
	return nil
}

// errDuplicateKey is a key given twice in one object.
type errDuplicateKey struct{ key string }

func (e errDuplicateKey) Error() string { return "duplicate key " + e.key }

// readTree reads one JSON value; objects keep their keys in a map, and a key given twice is an
// error (encoding/json would keep the last one silently).
func readTree(dec *json.Decoder, depth int) (any, error) {
	if depth > maxNesting {
		return nil, errNesting
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				if _, dup := obj[k]; dup {
					return nil, errDuplicateKey{k}
				}
				v, err := readTree(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj[k] = v
			}
			_, err := dec.Token() // '}'
			return obj, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := readTree(dec, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token() // ']'
			return arr, err
		}
	}
	return tok, nil
}

var errNesting = errors.New("nests too deeply")

// walk checks v against t and returns it in neutral spelling. path is the channel's spelling of
// where v is, for messages; maxLen bounds v if it is a string.
func (ch *channel) walk(v any, t reflect.Type, path string, maxLen int) (any, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == moneyInputType || t == rawMessageType || t.Kind() == reflect.Interface {
		return v, nil // kept as the client sent it; parsed (and bounded) where it is used
	}
	switch x := v.(type) {
	case string:
		if t.Kind() == reflect.String && len(x) > maxLen {
			return nil, errkind.Invalidf("%s is %d bytes long; at most %d are allowed", orBody(path), len(x), maxLen)
		}
		return x, nil
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return v, nil // the typed decode names the type error
		}
		for i := range x {
			e, err := ch.walk(x[i], t.Elem(), fmt.Sprintf("%s[%d]", path, i), maxLen)
			if err != nil {
				return nil, err
			}
			x[i] = e
		}
		return x, nil
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for k, val := range x {
				if len(k) > defaultMaxLen {
					return nil, errkind.Invalidf("a key of %s is %d bytes long; at most %d are allowed", orBody(path), len(k), defaultMaxLen)
				}
				e, err := ch.walk(val, t.Elem(), join(path, k), maxLen)
				if err != nil {
					return nil, err
				}
				x[k] = e
			}
			return x, nil
		case reflect.Struct:
			return ch.walkObject(x, t, path)
		}
	}
	return v, nil
}

func (ch *channel) walkObject(x map[string]any, t reflect.Type, path string) (any, error) {
	fields := fieldsOf(t)
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same body always gets the same error
	out := make(map[string]any, len(x))
	from := make(map[string]string, len(x))
	for _, k := range keys {
		f, ok := ch.field(fields, k)
		if !ok {
			return nil, errkind.Invalidf("unknown field %q", join(path, k))
		}
		if prev, dup := from[f.name]; dup {
			return nil, errkind.Invalidf("%q and %q set the same field; send one", join(path, prev), join(path, k))
		}
		from[f.name] = k
		v, err := ch.walk(x[k], f.typ, join(path, k), f.maxLen)
		if err != nil {
			return nil, err
		}
		out[f.name] = v
	}
	return out, nil
}

// field finds the field a key of this channel names: on the mini-program a snake_case key, with
// _fee on money fields and on no other; elsewhere the exact camelCase name.
func (ch *channel) field(fields map[string]fieldInfo, key string) (fieldInfo, bool) {
	if !ch.snake {
		f, ok := fields[key]
		return f, ok
	}
	if !snakeKeyRe.MatchString(key) {
		return fieldInfo{}, false
	}
	base, isFee := strings.CutSuffix(key, "_fee")
	f, ok := fields[camel(base)]
	if !ok || snake(f.name) != base || f.money != isFee {
		return fieldInfo{}, false
	}
	return f, true
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func orBody(path string) string {
	if path == "" {
		return "the body"
	}
	return path
}
