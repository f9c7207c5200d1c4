package luahost

import (
	"math/bits"
	"regexp"
	"strings"

	"github.com/atriumtrade/atrium/extensions"

	lua "github.com/yuin/gopher-lua"
)

// The sandbox. Scripts get base (without load, loadstring, dofile, loadfile, require, module,
// getfenv, setfenv, collectgarbage, print, newproxy), string (without dump; rep, format, upper,
// lower and reverse bounded in what they build; find, match, gmatch and gsub budgeted step by
// step, see pattern.go), table (concat bounded, sort charged to the budget before it runs) and
// math (without random and randomseed); no os, io, debug, coroutine or channel. Library tables are shared by every call on
// a state, so scripts see them through read-only proxies whose metatables are locked, and the
// string metatable (through which ("x"):rep() reaches the library) is redirected to the safe
// string library and locked too. Globals live in a fresh table per call.

var baseAllowed = []string{"assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "select",
	"setmetatable", "getmetatable", "tonumber", "tostring", "type", "unpack", "xpcall"}

var mathDenied = map[string]bool{"random": true, "randomseed": true}

// sandbox is the per-state set of safe values every call's environment reads through.
type sandbox struct {
	base    map[string]lua.LValue
	str     *lua.LTable
	tbl     *lua.LTable
	math    *lua.LTable
	proxies map[*lua.LTable]bool
	// envMeta is the metatable of every call's global table: reads of names the call has not
	// set fall through to the shared safe values; it is locked, so a script cannot reach them.
	envMeta *lua.LTable
}

func newSandbox(L *lua.LState, b extensions.Budget) *sandbox {
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.StringLibName, lua.OpenString}, {lua.TabLibName, lua.OpenTable}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	sb := &sandbox{base: map[string]lua.LValue{}, proxies: map[*lua.LTable]bool{}}
	for _, name := range baseAllowed {
		sb.base[name] = L.GetField(g, name)
	}
	rawset := L.GetField(g, "rawset").(*lua.LFunction)
	sb.base["rawset"] = L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok && sb.proxies[t] {
			L.RaiseError("rawset on a shared library table is not allowed")
		}
		return rawset.GFunction(L)
	})

	strLib := copyTable(L, L.GetField(g, "string").(*lua.LTable), map[string]bool{"dump": true})
	boundString(L, strLib, b)
	tblLib := copyTable(L, L.GetField(g, "table").(*lua.LTable), nil)
	boundTable(L, tblLib, b)
	mathLib := copyTable(L, L.GetField(g, "math").(*lua.LTable), mathDenied)

	sb.str, sb.tbl, sb.math = sb.readOnly(L, strLib), sb.readOnly(L, tblLib), sb.readOnly(L, mathLib)

	shared := L.CreateTable(0, len(sb.base)+4)
	for k, v := range sb.base {
		shared.RawSetString(k, v)
	}
	shared.RawSetString("string", sb.str)
	shared.RawSetString("table", sb.tbl)
	shared.RawSetString("math", sb.math)
	shared.RawSetString("_VERSION", lua.LString("Lua 5.1"))
	sb.envMeta = L.NewTable()
	L.SetField(sb.envMeta, "__index", shared)
	L.SetField(sb.envMeta, "__metatable", lua.LString("locked"))

	// ("x"):rep(n) looks methods up through the string metatable: point it at the safe library.
	if mt, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		L.SetField(mt, "__index", strLib)
		L.SetField(mt, "__metatable", lua.LString("locked"))
	}
	// Nothing reaches the state's own globals, but empty them anyway.
	for _, k := range []string{"load", "loadstring", "dofile", "loadfile", "require", "module", "getfenv", "setfenv",
		"collectgarbage", "print", "newproxy", "_printregs", "string", "table", "math", "os", "io", "debug", "coroutine", "channel", "package"} {
		L.SetField(g, k, lua.LNil)
	}
	return sb
}

func copyTable(L *lua.LState, src *lua.LTable, deny map[string]bool) *lua.LTable {
	dst := L.NewTable()
	src.ForEach(func(k, v lua.LValue) {
		if s, ok := k.(lua.LString); ok && deny[string(s)] {
			return
		}
		dst.RawSet(k, v)
	})
	return dst
}

func (sb *sandbox) readOnly(L *lua.LState, t *lua.LTable) *lua.LTable {
	p := L.NewTable()
	mt := L.NewTable()
	L.SetField(mt, "__index", t)
	L.SetField(mt, "__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("attempt to modify a read-only library table")
		return 0
	}))
	L.SetField(mt, "__metatable", lua.LString("locked"))
	L.SetMetatable(p, mt)
	sb.proxies[p] = true
	return p
}

// env returns a fresh global table for one call. What the call sets lives in it and dies with
// it; what it reads and has not set comes from the shared safe values through envMeta.
func (sb *sandbox) env(L *lua.LState) *lua.LTable {
	env := L.CreateTable(0, 4)
	env.RawSetString("_G", env)
	env.Metatable = sb.envMeta
	return env
}

var wideFormatRe = regexp.MustCompile(`%[-+ #0]*[0-9]{3,}|%[-+ #0]*[0-9]*\.[0-9]{3,}`)

func boundString(L *lua.LState, lib *lua.LTable, b extensions.Budget) {
	orig := func(name string) lua.LGFunction { return lib.RawGetString(name).(*lua.LFunction).GFunction }
	maxSubject := max(b.MaxString/4, 4096)
	rep, format := orig("rep"), orig("format")
	lib.RawSetString("rep", L.NewFunction(func(L *lua.LState) int {
		s, n := L.CheckString(1), L.CheckInt64(2)
		if n > 0 && int64(len(s))*n > int64(b.MaxString) {
			L.RaiseError("string.rep would build %d bytes; the limit is %d", int64(len(s))*n, b.MaxString)
		}
		return rep(L)
	}))
	lib.RawSetString("format", L.NewFunction(func(L *lua.LState) int {
		f := L.CheckString(1)
		if wideFormatRe.MatchString(f) {
			L.RaiseError("string.format widths and precisions are limited to two digits")
		}
		// What it can build: the format, each argument, and each directive's padding (at most 99).
		worst := int64(len(f)) + 100*int64(strings.Count(f, "%"))
		for i := 2; i <= L.GetTop(); i++ {
			if s, ok := L.Get(i).(lua.LString); ok {
				worst += int64(len(s))
			} else {
				worst += 32
			}
		}
		if worst > int64(b.MaxString) {
			L.RaiseError("string.format could build %d bytes; the limit is %d", worst, b.MaxString)
		}
		n := format(L)
		if s, ok := L.Get(-1).(lua.LString); ok && len(s) > b.MaxString {
			L.RaiseError("string.format built %d bytes; the limit is %d", len(s), b.MaxString)
		}
		return n
	}))
	pl := patternLib{maxString: b.MaxString, maxSubject: maxSubject}
	lib.RawSetString("find", L.NewFunction(pl.find))
	lib.RawSetString("match", L.NewFunction(pl.match))
	lib.RawSetString("gmatch", L.NewFunction(pl.gmatch))
	lib.RawSetString("gfind", L.NewFunction(pl.gmatch))
	lib.RawSetString("gsub", L.NewFunction(pl.gsub))
	// upper, lower and reverse copy their subject: bound it like what the library builds.
	for _, name := range []string{"upper", "lower", "reverse"} {
		f := orig(name)
		lib.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			if s := L.CheckString(1); len(s) > b.MaxString {
				L.RaiseError("string.%s on %d bytes; the limit is %d", name, len(s), b.MaxString)
			}
			return f(L)
		}))
	}
}

func boundTable(L *lua.LState, lib *lua.LTable, b extensions.Budget) {
	// sort runs in Go: charge its comparisons (n log n) to the budget before it starts, so a
	// table the call cannot afford to sort is refused instead of sorted past the deadline. A
	// comparator runs in the VM, which counts its instructions and stops it on time.
	sort := lib.RawGetString("sort").(*lua.LFunction).GFunction
	lib.RawSetString("sort", L.NewFunction(func(L *lua.LState) int {
		n := int64(L.CheckTable(1).Len())
		if n > 1 && !chargeInstructions(L, n*int64(bits.Len64(uint64(n)))) {
			L.RaiseError("table.sort of %d elements: the call's budget is spent", n)
		}
		return sort(L)
	}))
	concat := lib.RawGetString("concat").(*lua.LFunction).GFunction
	lib.RawSetString("concat", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		sep := L.OptString(2, "")
		i := L.OptInt(3, 1)
		j := L.OptInt(4, t.Len())
		if j-i > 1<<20 {
			L.RaiseError("table.concat over more than %d elements", 1<<20)
		}
		var total int64
		for k := i; k <= j; k++ {
			switch v := t.RawGetInt(k).(type) {
			case lua.LString:
				total += int64(len(v))
			case lua.LNumber:
				total += int64(len(v.String()))
			}
			total += int64(len(sep))
			if total > int64(b.MaxString) {
				L.RaiseError("table.concat would build more than %d bytes", b.MaxString)
			}
		}
		return concat(L)
	}))
}
