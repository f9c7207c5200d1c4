package luahost

import (
	"bytes"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Lua patterns, budgeted. gopher-lua's matcher (its pm package) is a backtracking VM that never
// looks at the call's context: a pattern such as ("a?"):rep(40)..("a"):rep(40).."b" runs for
// hours, and the watchdog can only abandon the goroutine it spins on. No maintained Go library
// matches Lua patterns under a budget, so this is a port of Lua 5.1's own matcher (lstrlib.c:
// match, max_expand, min_expand, captures, %b, %f, back references), with three changes:
//
//   - every step (an attempt at one pattern item, one character a repetition consumes, one start
//     position) is counted and charged to the call's instruction budget, stepsPerInstruction steps
//     to an instruction, and the call's deadline is checked every stepBatch steps; when either is
//     spent the match stops (budgetStop), which the library function raises as a Lua error
//     that the host reports as budget_exceeded;
//   - recursion is bounded (maxMatchDepth, as Lua 5.2+ do), so a long pattern cannot grow the Go
//     stack without end;
//   - gsub builds its result in one buffer, bounded by the budget's MaxString as it grows (the
//     gopher-lua version copies the whole string once per match), and gmatch finds each match when
//     it is asked for, not all of them up front.
//
// Semantics are Lua 5.1's: init positions clamp to the subject, find with no special characters
// is a plain search, a gsub replacement may be a string, number, table or function.

const (
	maxCaptures   = 32
	maxMatchDepth = 200
	// stepsPerInstruction is what one VM instruction of budget buys in matcher steps: a step is a
	// byte comparison and a branch, several times cheaper than an instruction of the VM.
	stepsPerInstruction = 4
	stepBatch           = 1024
	specials            = "^$*+?.([%-"
	capUnfinished       = -1
	capPosition         = -2
)

// budgetStop unwinds a match whose budget is spent.
type budgetStop struct{}

// patternError unwinds a match on a malformed pattern.
type patternError struct{ msg string }

type capture struct {
	init, len int
}

type matchState struct {
	src     string
	pat     string
	level   int
	capture [maxCaptures]capture
	depth   int
	steps   int
	spend   func(steps int) bool
}

func (ms *matchState) step() {
	ms.steps++
	if ms.steps >= stepBatch {
		ms.flush()
	}
}

// flush charges the steps counted so far; it stops the match when the budget is spent.
func (ms *matchState) flush() {
	n := ms.steps
	ms.steps = 0
	if n > 0 && !ms.spend(n) {
		panic(budgetStop{})
	}
}

func (ms *matchState) fail(format string, args ...any) {
	panic(patternError{msg: fmt.Sprintf(format, args...)})
}

// patAt is the pattern byte at i, or 0 past its end (the C code reads the terminating NUL).
func (ms *matchState) patAt(i int) byte {
	if i < len(ms.pat) {
		return ms.pat[i]
	}
	return 0
}

func (ms *matchState) checkCapture(l int) int {
	l -= '1'
	if l < 0 || l >= ms.level || ms.capture[l].len == capUnfinished {
		ms.fail("invalid capture index")
	}
	return l
}

func (ms *matchState) captureToClose() int {
	for level := ms.level - 1; level >= 0; level-- {
		if ms.capture[level].len == capUnfinished {
			return level
		}
	}
	ms.fail("invalid pattern capture")
	return 0
}

func (ms *matchState) classEnd(p int) int {
	c := ms.pat[p]
	p++
	switch c {
	case '%':
		if p >= len(ms.pat) {
			ms.fail("malformed pattern (ends with '%%')")
		}
		return p + 1
	case '[':
		if ms.patAt(p) == '^' {
			p++
		}
		for {
			if p >= len(ms.pat) {
				ms.fail("malformed pattern (missing ']')")
			}
			c := ms.pat[p]
			p++
			if c == '%' && p < len(ms.pat) {
				p++
			}
			if p < len(ms.pat) && ms.pat[p] == ']' {
				return p + 1
			}
			if p >= len(ms.pat) {
				ms.fail("malformed pattern (missing ']')")
			}
		}
	}
	return p
}

func matchClass(c, cl byte) bool {
	var res bool
	switch cl | 0x20 {
	case 'a':
		res = isAlpha(c)
	case 'c':
		res = c < 0x20 || c == 0x7f
	case 'd':
		res = '0' <= c && c <= '9'
	case 'l':
		res = 'a' <= c && c <= 'z'
	case 'p':
		res = isPunct(c)
	case 's':
		res = c == ' ' || ('\t' <= c && c <= '\r')
	case 'u':
		res = 'A' <= c && c <= 'Z'
	case 'w':
		res = isAlpha(c) || ('0' <= c && c <= '9')
	case 'x':
		res = ('0' <= c && c <= '9') || ('a' <= c|0x20 && c|0x20 <= 'f')
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if 'A' <= cl && cl <= 'Z' {
		return !res
	}
	return res
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isPunct(c byte) bool {
	return (0x21 <= c && c <= 0x2f) || (0x3a <= c && c <= 0x40) || (0x5b <= c && c <= 0x60) || (0x7b <= c && c <= 0x7e)
}

// matchBracketClass reports whether c is in the set from p ('[') to ec (its ']').
func (ms *matchState) matchBracketClass(c byte, p, ec int) bool {
	sig := true
	if ms.patAt(p+1) == '^' {
		sig = false
		p++
	}
	for p++; p < ec; p++ {
		ms.step()
		switch {
		case ms.pat[p] == '%':
			p++
			if matchClass(c, ms.patAt(p)) {
				return sig
			}
		case ms.patAt(p+1) == '-' && p+2 < ec:
			p += 2
			if ms.pat[p-2] <= c && c <= ms.pat[p] {
				return sig
			}
		case ms.pat[p] == c:
			return sig
		}
	}
	return !sig
}

func (ms *matchState) singleMatch(s, p, ep int) bool {
	if s >= len(ms.src) {
		return false
	}
	c := ms.src[s]
	switch ms.pat[p] {
	case '.':
		return true
	case '%':
		return matchClass(c, ms.patAt(p+1))
	case '[':
		return ms.matchBracketClass(c, p, ep-1)
	default:
		return ms.pat[p] == c
	}
}

func (ms *matchState) matchBalance(s, p int) int {
	if p+1 >= len(ms.pat) {
		ms.fail("unbalanced pattern")
	}
	if s >= len(ms.src) || ms.src[s] != ms.pat[p] {
		return -1
	}
	b, e := ms.pat[p], ms.pat[p+1]
	cont := 1
	for s++; s < len(ms.src); s++ {
		ms.step()
		switch ms.src[s] {
		case e:
			if cont--; cont == 0 {
				return s + 1
			}
		case b:
			cont++
		}
	}
	return -1
}

func (ms *matchState) maxExpand(s, p, ep int) int {
	i := 0
	for ms.singleMatch(s+i, p, ep) {
		ms.step()
		i++
	}
	for ; i >= 0; i-- {
		if res := ms.match(s+i, ep+1); res != -1 {
			return res
		}
	}
	return -1
}

func (ms *matchState) minExpand(s, p, ep int) int {
	for {
		if res := ms.match(s, ep+1); res != -1 {
			return res
		}
		if !ms.singleMatch(s, p, ep) {
			return -1
		}
		s++
	}
}

func (ms *matchState) startCapture(s, p, what int) int {
	level := ms.level
	if level >= maxCaptures {
		ms.fail("too many captures")
	}
	ms.capture[level] = capture{init: s, len: what}
	ms.level = level + 1
	res := ms.match(s, p)
	if res == -1 {
		ms.level--
	}
	return res
}

func (ms *matchState) endCapture(s, p int) int {
	l := ms.captureToClose()
	ms.capture[l].len = s - ms.capture[l].init
	res := ms.match(s, p)
	if res == -1 {
		ms.capture[l].len = capUnfinished
	}
	return res
}

func (ms *matchState) matchCapture(s int, l byte) int {
	i := ms.checkCapture(int(l))
	c := ms.capture[i]
	if len(ms.src)-s >= c.len && ms.src[c.init:c.init+c.len] == ms.src[s:s+c.len] {
		ms.steps += c.len / 8
		return s + c.len
	}
	return -1
}

// match tries the pattern from p against the subject from s; it returns the end of the match or -1.
func (ms *matchState) match(s, p int) int {
	ms.depth++
	if ms.depth > maxMatchDepth {
		ms.fail("pattern too complex")
	}
	defer func() { ms.depth-- }()
	for {
		ms.step()
		if p >= len(ms.pat) {
			return s
		}
		switch ms.pat[p] {
		case '(':
			if ms.patAt(p+1) == ')' {
				return ms.startCapture(s, p+2, capPosition)
			}
			return ms.startCapture(s, p+1, capUnfinished)
		case ')':
			return ms.endCapture(s, p+1)
		case '$':
			if p+1 == len(ms.pat) {
				if s == len(ms.src) {
					return s
				}
				return -1
			}
		case '%':
			switch next := ms.patAt(p + 1); {
			case next == 'b':
				if s = ms.matchBalance(s, p+2); s == -1 {
					return -1
				}
				p += 4
				continue
			case next == 'f':
				p += 2
				if ms.patAt(p) != '[' {
					ms.fail("missing '[' after '%%f' in pattern")
				}
				ep := ms.classEnd(p)
				var prev, cur byte
				if s > 0 {
					prev = ms.src[s-1]
				}
				if s < len(ms.src) {
					cur = ms.src[s]
				}
				if ms.matchBracketClass(prev, p, ep-1) || !ms.matchBracketClass(cur, p, ep-1) {
					return -1
				}
				p = ep
				continue
			case '0' <= next && next <= '9':
				if s = ms.matchCapture(s, next); s == -1 {
					return -1
				}
				p += 2
				continue
			}
		}
		// A single item, perhaps with a repetition suffix.
		ep := ms.classEnd(p)
		m := ms.singleMatch(s, p, ep)
		switch ms.patAt(ep) {
		case '?':
			if m {
				if res := ms.match(s+1, ep+1); res != -1 {
					return res
				}
			}
			p = ep + 1
			continue
		case '*':
			return ms.maxExpand(s, p, ep)
		case '+':
			if !m {
				return -1
			}
			return ms.maxExpand(s+1, p, ep)
		case '-':
			return ms.minExpand(s, p, ep)
		}
		if !m {
			return -1
		}
		s++
		p = ep
	}
}

// captureValue is capture i of the match [s, e) as a Lua value (the whole match when there are none).
func (ms *matchState) captureValue(i, s, e int) lua.LValue {
	if i >= ms.level {
		if i == 0 {
			return lua.LString(ms.src[s:e])
		}
		ms.fail("invalid capture index")
	}
	c := ms.capture[i]
	switch c.len {
	case capUnfinished:
		ms.fail("unfinished capture")
	case capPosition:
		return lua.LNumber(c.init + 1)
	}
	return lua.LString(ms.src[c.init : c.init+c.len])
}

func (ms *matchState) pushCaptures(L *lua.LState, s, e int, wholeIfNone bool) int {
	n := ms.level
	if n == 0 && wholeIfNone {
		n = 1
	}
	for i := 0; i < n; i++ {
		L.Push(ms.captureValue(i, s, e))
	}
	return n
}

// patternLib holds what the pattern functions share: the budget's string cap and the subject cap.
type patternLib struct {
	maxString  int
	maxSubject int
}

// checkSubject refuses a subject longer than pattern functions take.
func (pl patternLib) checkSubject(L *lua.LState, name, src string) {
	if len(src) > pl.maxSubject {
		L.RaiseError("string.%s on %d bytes; pattern functions take at most %d", name, len(src), pl.maxSubject)
	}
}

// run sets up a match over src and pat and runs f, turning its stops into Lua errors. The steps a
// match takes are charged to the instruction budget of the call running on L.
func (pl patternLib) run(L *lua.LState, name, src, pat string, f func(ms *matchState)) {
	ms := &matchState{src: src, pat: pat, spend: spenderOf(L)}
	stopped, msg := func() (stopped bool, msg string) {
		defer func() {
			switch v := recover().(type) {
			case nil:
			case budgetStop:
				stopped = true
			case patternError:
				msg = v.msg
			default:
				panic(v)
			}
		}()
		f(ms)
		ms.flush()
		return false, ""
	}()
	switch {
	case stopped:
		L.RaiseError("string.%s stopped: the call's budget is spent", name)
	case msg != "":
		L.RaiseError("%s", msg)
	}
}

// spenderOf charges matcher steps to the budget of the call running on L: to the instruction
// count of its meter, and against its deadline. A state with no meter (never the case for a call
// through the host) gets a fixed allowance.
func spenderOf(L *lua.LState) func(int) bool {
	m, ok := L.Context().(*meter)
	if !ok {
		left := int64(10_000_000)
		return func(steps int) bool { left -= int64(steps); return left >= 0 }
	}
	var owed int
	return func(steps int) bool {
		owed += steps
		if !m.charge(int64(owed / stepsPerInstruction)) {
			return false
		}
		owed %= stepsPerInstruction
		return true
	}
}

// chargeInstructions spends n instructions of the budget of the call running on L on native work.
func chargeInstructions(L *lua.LState, n int64) bool {
	if m, ok := L.Context().(*meter); ok {
		return m.charge(n)
	}
	return true
}

// initPos is Lua 5.1's init argument: 1-based, negative from the end, clamped to the subject.
func initPos(L *lua.LState, n int, l int) int {
	init := L.OptInt(n, 1)
	if init < 0 {
		init += l + 1
		if init < 0 {
			init = 0
		}
	}
	init--
	switch {
	case init < 0:
		return 0
	case init > l:
		return l
	}
	return init
}

func (pl patternLib) find(L *lua.LState) int { return pl.findAux(L, true) }

func (pl patternLib) match(L *lua.LState) int { return pl.findAux(L, false) }

func (pl patternLib) findAux(L *lua.LState, find bool) int {
	src, pat := L.CheckString(1), L.CheckString(2)
	name := "match"
	if find {
		name = "find"
	}
	pl.checkSubject(L, name, src)
	init := initPos(L, 3, len(src))
	if find && (lua.LVAsBool(L.Get(4)) || !strings.ContainsAny(pat, specials)) {
		if i := strings.Index(src[init:], pat); i >= 0 {
			L.Push(lua.LNumber(init + i + 1))
			L.Push(lua.LNumber(init + i + len(pat)))
			return 2
		}
		L.Push(lua.LNil)
		return 1
	}
	n := 0
	pl.run(L, name, src, pat, func(ms *matchState) {
		p := 0
		anchor := len(pat) > 0 && pat[0] == '^'
		if anchor {
			p = 1
		}
		for s := init; ; s++ {
			ms.level = 0
			ms.step()
			if e := ms.match(s, p); e != -1 {
				if find {
					L.Push(lua.LNumber(s + 1))
					L.Push(lua.LNumber(e))
					n = ms.pushCaptures(L, -1, -1, false) + 2
				} else {
					n = ms.pushCaptures(L, s, e, true)
				}
				return
			}
			if s >= len(src) || anchor {
				return
			}
		}
	})
	if n == 0 {
		L.Push(lua.LNil)
		return 1
	}
	return n
}

// gmatch returns an iterator that finds the next match each time it is called.
func (pl patternLib) gmatch(L *lua.LState) int {
	src, pat := L.CheckString(1), L.CheckString(2)
	pl.checkSubject(L, "gmatch", src)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		n := 0
		pl.run(L, "gmatch", src, pat, func(ms *matchState) {
			for s := pos; s <= len(src); s++ {
				ms.level = 0
				ms.step()
				if e := ms.match(s, 0); e != -1 {
					pos = e
					if e == s {
						pos++ // an empty match: move on at least one position
					}
					n = ms.pushCaptures(L, s, e, true)
					return
				}
			}
			pos = len(src) + 1
		})
		return n
	}))
	return 1
}

func (pl patternLib) gsub(L *lua.LState) int {
	src, pat := L.CheckString(1), L.CheckString(2)
	repl := L.Get(3)
	switch repl.Type() {
	case lua.LTNumber, lua.LTString, lua.LTTable, lua.LTFunction:
	default:
		L.ArgError(3, "string/function/table expected")
	}
	pl.checkSubject(L, "gsub", src)
	maxN := L.OptInt(4, len(src)+1)
	var out bytes.Buffer
	n := 0
	pl.run(L, "gsub", src, pat, func(ms *matchState) {
		p := 0
		anchor := len(pat) > 0 && pat[0] == '^'
		if anchor {
			p = 1
		}
		s := 0
		for n < maxN {
			ms.level = 0
			ms.step()
			e := ms.match(s, p)
			if e != -1 {
				n++
				pl.addValue(L, ms, &out, repl, s, e)
			}
			switch {
			case e != -1 && e > s:
				s = e
			case s < len(src):
				out.WriteByte(src[s])
				s++
			default:
				s = len(src) + 1
			}
			if out.Len() > pl.maxString {
				ms.fail("string.gsub built more than %d bytes", pl.maxString)
			}
			if s > len(src) || anchor {
				break
			}
		}
		if s < len(src) {
			out.WriteString(src[s:])
		}
		if out.Len() > pl.maxString {
			ms.fail("string.gsub built more than %d bytes", pl.maxString)
		}
	})
	L.Push(lua.LString(out.String()))
	L.Push(lua.LNumber(n))
	return 2
}

func (pl patternLib) addValue(L *lua.LState, ms *matchState, out *bytes.Buffer, repl lua.LValue, s, e int) {
	var v lua.LValue
	switch r := repl.(type) {
	case lua.LString, lua.LNumber:
		news := r.String()
		for i := 0; i < len(news); i++ {
			ms.step()
			c := news[i]
			if c != '%' {
				out.WriteByte(c)
				continue
			}
			i++
			switch {
			case i >= len(news):
				out.WriteByte(0) // what Lua 5.1 reads past a trailing %
			case news[i] < '0' || news[i] > '9':
				out.WriteByte(news[i])
			case news[i] == '0':
				out.WriteString(ms.src[s:e])
			default:
				out.WriteString(lua.LVAsString(ms.captureValue(int(news[i]-'1'), s, e)))
			}
			if out.Len() > pl.maxString {
				ms.fail("string.gsub built more than %d bytes", pl.maxString)
			}
		}
		return
	case *lua.LFunction:
		// The callback runs in the VM, which counts its instructions; charge what the matcher
		// spent first so the callback sees the budget that is really left.
		ms.flush()
		top := L.GetTop()
		L.Push(r)
		nargs := ms.pushCaptures(L, s, e, true)
		L.Call(nargs, 1)
		v = L.Get(-1)
		L.SetTop(top)
	case *lua.LTable:
		v = L.GetTable(r, ms.captureValue(0, s, e))
	}
	switch x := v.(type) {
	case lua.LString:
		out.WriteString(string(x))
	case lua.LNumber:
		out.WriteString(x.String())
	default:
		if !lua.LVAsBool(v) {
			out.WriteString(ms.src[s:e]) // nil or false keeps the original text
			return
		}
		ms.fail("invalid replacement value (a %s)", v.Type())
	}
}
