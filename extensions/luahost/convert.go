package luahost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// maxDepth bounds nesting in both directions (and stops cyclic tables).
const maxDepth = 32

// toLua converts a JSON value into Lua: objects and arrays become tables, numbers stay exact
// when they are integers (money is in minor units, never a float).
func toLua(L *lua.LState, raw []byte) (lua.LValue, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return lua.LNil, fmt.Errorf("input is not JSON: %w", err)
	}
	return goToLua(L, v, 0)
}

func goToLua(L *lua.LState, v any, depth int) (lua.LValue, error) {
	if depth > maxDepth {
		return lua.LNil, errors.New("input nests too deeply")
	}
	switch x := v.(type) {
	case nil:
		return lua.LNil, nil
	case bool:
		return lua.LBool(x), nil
	case string:
		return lua.LString(x), nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return lua.LNil, fmt.Errorf("number %s: %w", x, err)
		}
		if i, err := x.Int64(); err == nil && (f >= 1<<63 || f < -(1<<63) || int64(f) != i) {
			return lua.LNil, fmt.Errorf("integer %s cannot be represented exactly in a script", x)
		}
		return lua.LNumber(f), nil
	case []any:
		t := L.CreateTable(len(x), 0)
		for _, e := range x {
			lv, err := goToLua(L, e, depth+1)
			if err != nil {
				return lua.LNil, err
			}
			t.Append(lv)
		}
		return t, nil
	case map[string]any:
		t := L.CreateTable(0, len(x))
		for k, e := range x {
			lv, err := goToLua(L, e, depth+1)
			if err != nil {
				return lua.LNil, err
			}
			t.RawSetString(k, lv)
		}
		return t, nil
	}
	return lua.LNil, fmt.Errorf("unsupported input value %T", v)
}

// errOutputShape is an output that cannot be JSON: a function, a mixed table, a non-integer
// where only JSON numbers fit, a cycle.
var errOutputShape = errors.New("output shape")

// fromLua converts a script's result to JSON, refusing what JSON cannot say instead of guessing:
// a table is an array when its keys are exactly 1..n and an object when every key is a string;
// an empty table is null; functions, userdata, NaN, infinities and mixed tables are errors.
func fromLua(v lua.LValue, limit int) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeLua(&buf, v, 0, limit); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeLua(buf *bytes.Buffer, v lua.LValue, depth, limit int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested deeper than %d (a cycle?)", errOutputShape, maxDepth)
	}
	if buf.Len() > limit {
		return fmt.Errorf("%w: larger than %d bytes", errOutputShape, limit)
	}
	switch x := v.(type) {
	case *lua.LNilType:
		buf.WriteString("null")
	case lua.LBool:
		buf.WriteString(strconv.FormatBool(bool(x)))
	case lua.LString:
		b, _ := json.Marshal(string(x))
		buf.Write(b)
	case lua.LNumber:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w: %v is not a JSON number", errOutputShape, f)
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			buf.WriteString(strconv.FormatInt(int64(f), 10))
		} else {
			buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
	case *lua.LTable:
		return writeTable(buf, x, depth, limit)
	default:
		return fmt.Errorf("%w: a %s cannot be output", errOutputShape, v.Type())
	}
	return nil
}

func writeTable(buf *bytes.Buffer, t *lua.LTable, depth, limit int) error {
	n := t.Len()
	var strKeys []string
	count := 0
	var bad error
	t.ForEach(func(k, _ lua.LValue) {
		count++
		switch kk := k.(type) {
		case lua.LString:
			strKeys = append(strKeys, string(kk))
		case lua.LNumber:
			if f := float64(kk); f != math.Trunc(f) || f < 1 || f > float64(n) {
				bad = fmt.Errorf("%w: table key %v is neither an array index nor a string", errOutputShape, f)
			}
		default:
			bad = fmt.Errorf("%w: table key of type %s", errOutputShape, k.Type())
		}
	})
	if bad != nil {
		return bad
	}
	switch {
	case count == 0:
		buf.WriteString("null")
	case len(strKeys) == 0 && count == n:
		buf.WriteByte('[')
		for i := 1; i <= n; i++ {
			if i > 1 {
				buf.WriteByte(',')
			}
			if err := writeLua(buf, t.RawGetInt(i), depth+1, limit); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case len(strKeys) == count:
		sort.Strings(strKeys)
		buf.WriteByte('{')
		for i, k := range strKeys {
			if i > 0 {
				buf.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			buf.Write(kb)
			buf.WriteByte(':')
			if err := writeLua(buf, t.RawGetString(k), depth+1, limit); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	default:
		return fmt.Errorf("%w: a table mixes array items and named fields", errOutputShape)
	}
	return nil
}
