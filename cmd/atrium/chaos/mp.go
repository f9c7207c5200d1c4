package chaos

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/atriumtrade/atrium/access-layer/gateway"
)

// The mini-program channel speaks snake_case with money in integer minor units under *_fee keys,
// and answers HTTP 200 always, with an errcode from the platform's one error table. The
// campaign's buyers on it send their requests its way and read its answers back into the app's
// shape (the errcode's code and HTTP status from that table), so the workload is written once and
// a mini-program resends exactly what an app would.

// mpMoney are the request keys that carry money.
var mpMoney = map[string]bool{"amount": true, "maxAmount": true, "expectedTotal": true}

// toMP spells a request body the mini-program's way.
func toMP(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if s, ok := e.(string); ok && mpMoney[k] {
				out[snake(k)+"_fee"] = minor(s)
				continue
			}
			out[snake(k)] = toMP(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toMP(e)
		}
		return out
	}
	return v
}

// fromMP reads a mini-program answer into the app channel's shape: its status from the errcode,
// its code, and its data's keys in camelCase with money as a decimal string.
func fromMP(a *answer) {
	ec, ok := a.body["errcode"].(float64)
	if a.err != nil || !ok {
		return
	}
	if ec == 0 {
		a.status = 200
		a.body = map[string]any{"code": "ok", "data": appShape(a.body["data"])}
		return
	}
	spec, known := errcodes[int(ec)]
	if !known { // an errcode outside the table is a defect, as a 500 is
		spec = gateway.ErrorSpec{Code: fmt.Sprintf("mp.%d", int(ec)), Status: 500}
	}
	a.status = spec.Status
	a.body = map[string]any{"code": spec.Code, "message": a.body["errmsg"]}
}

// errcodes are the error table by mini-program errcode.
var errcodes = func() map[int]gateway.ErrorSpec {
	m := map[int]gateway.ErrorSpec{}
	for _, e := range gateway.ErrorTable() {
		m[e.Errcode] = e
	}
	return m
}()

func appShape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if base, ok := strings.CutSuffix(k, "_fee"); ok {
				if n, isNum := e.(float64); isNum {
					out[camel(base)] = fmt.Sprintf("%d.%02d", int64(n)/100, int64(n)%100)
					continue
				}
			}
			out[camel(k)] = appShape(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = appShape(e)
		}
		return out
	}
	return v
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func camel(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up {
			r, up = unicode.ToUpper(r), false
		}
		b.WriteRune(r)
	}
	return b.String()
}
