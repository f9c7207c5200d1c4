package gateway

import (
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

func TestDecodeIsStrictPerChannel(t *testing.T) {
	long := strings.Repeat("x", 70_000)
	for _, tc := range []struct {
		name string
		ch   *channel
		body string
		dst  any
		// want is the decoded request, or empty for a refusal whose public message contains err.
		want any
		err  string
	}{
		{"mp snake case", mpChannel, `{"items":[{"sku_id":"tea","quantity":2}],"expected_total_fee":3980}`, &placeOrderRequest{},
			&placeOrderRequest{Items: []itemRequest{{SkuID: "tea", Quantity: 2}}, ExpectedTotal: MoneyInput{raw: []byte("3980")}}, ""},
		{"mp _fee on a non-money field", mpChannel, `{"items":[{"sku_id":"cup-celadon","quantity":1,"quantity_fee":3}]}`, &quoteRequest{}, nil, `unknown field "items[0].quantity_fee"`},
		{"mp camelCase key", mpChannel, `{"items":[{"sku_id":"tea-longjing","skuId":"kettle-iron"}]}`, &quoteRequest{}, nil, `unknown field "items[0].skuId"`},
		{"mp money without _fee", mpChannel, `{"items":[{"sku_id":"tea","quantity":1}],"expected_total":3980}`, &placeOrderRequest{}, nil, `unknown field "expected_total"`},
		{"mp key given twice", mpChannel, `{"items":[{"sku_id":"tea","quantity":1,"quantity":3}]}`, &quoteRequest{}, nil, `field "quantity" is given twice`},
		{"mp upper-case snake", mpChannel, `{"Items":[]}`, &quoteRequest{}, nil, `unknown field "Items"`},
		{"app exact camelCase", appChannel, `{"items":[{"skuId":"tea","quantity":1}]}`, &quoteRequest{}, &quoteRequest{Items: []itemRequest{{SkuID: "tea", Quantity: 1}}}, ""},
		{"app other case", appChannel, `{"items":[{"SKUID":"tea","quantity":1}]}`, &quoteRequest{}, nil, `unknown field "items[0].SKUID"`},
		{"app snake key", appChannel, `{"items":[{"sku_id":"tea","quantity":1}]}`, &quoteRequest{}, nil, `unknown field "items[0].sku_id"`},
		{"app key given twice", appChannel, `{"method":"sandbox","method":"card"}`, &createPaymentRequest{}, nil, `field "method" is given twice`},
		{"long enum", appChannel, `{"method":"` + long + `"}`, &createPaymentRequest{}, nil, "method is 70000 bytes long; at most 64"},
		{"long id in a list", adminChannel, `{"name":"n","currency":"CNY","prices":[{"skuId":"` + long + `","price":1}]}`, &priceListRequest{}, nil, "prices[0].skuId is 70000 bytes long"},
		{"long coupon", appChannel, `{"items":[],"coupons":["` + long + `"]}`, &quoteRequest{}, nil, "coupons[0] is 70000 bytes long"},
		{"long text within its limit", adminChannel, `{"title":"` + strings.Repeat("茶", 200) + `"}`, &upsertSKURequest{}, &upsertSKURequest{Title: strings.Repeat("茶", 200)}, ""},
		{"long unknown key", appChannel, `{"` + long + `":1}`, &createPaymentRequest{}, nil, "unknown field"},
		{"not an object", appChannel, `[1,2]`, &createPaymentRequest{}, nil, "must be a JSON object"},
		{"trailing data", appChannel, `{"method":"sandbox"} {}`, &createPaymentRequest{}, nil, "unexpected data"},
		{"too deep", appChannel, `{"items":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, &quoteRequest{}, nil, "nests more than"},
		{"type error", appChannel, `{"items":[{"skuId":"tea","quantity":"` + long + `"}]}`, &quoteRequest{}, nil, "items.quantity must be an integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ch.decode([]byte(tc.body), tc.dst)
			if tc.want != nil {
				if err != nil {
					t.Fatalf("got %v; want %+v", err, tc.want)
				}
				if !reflect.DeepEqual(tc.dst, tc.want) {
					t.Fatalf("got %+v; want %+v", tc.dst, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %+v; want a refusal containing %q", tc.dst, tc.err)
			}
			kind, public := errkind.Describe(err)
			if kind.Kind() != errkind.Invalid || !strings.Contains(public, tc.err) {
				t.Fatalf("got %s %q; want an invalid-request error containing %q", kind.Code(), public, tc.err)
			}
			if len(public) > 200 {
				t.Fatalf("message is %d bytes: it echoes the value", len(public))
			}
		})
	}
}

func TestDetailsEchoOnlyAPrefix(t *testing.T) {
	long := strings.Repeat("€", 30_000)
	_, public := errkind.Describe(errkind.Invalidf("unknown payment method %q", long))
	if len(public) > 160 || !strings.Contains(public, "(90000 bytes)") {
		t.Fatalf("got %d bytes %q; want a short prefix that says how long the value was", len(public), public[:min(len(public), 200)])
	}
	if got := errkind.Clip("€€", 4); got != "€… (6 bytes)" {
		t.Fatalf("Clip cut a UTF-8 sequence: %q", got)
	}
	_, public = errkind.Describe(errkind.WithMessage(ErrMalformedJSON, strings.Repeat("y", 5000)))
	if len(public) > 1100 {
		t.Fatalf("a written message of 5000 bytes kept %d", len(public))
	}
	if !errors.Is(errkind.Invalidf("%s", long), errkind.ErrInvalid) {
		t.Fatal("a clipped detail lost its kind")
	}
}

// bodyRoute is one route's request type on its channel.
type bodyRoute struct {
	name string
	ch   *channel
	typ  reflect.Type
}

// bodyRoutes are the request types of every route with a body, each on its own channel (the
// buyer routes once per buyer channel), from the gateway's own route table: a route added later
// is fuzzed without a change here.
func bodyRoutes(tb testing.TB) []bodyRoute {
	g, err := New(Config{Addr: "127.0.0.1:0", JWTSecret: strings.Repeat("s", 32), DevMode: true}, Clients{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	var out []bodyRoute
	seen := map[string]bool{}
	for _, r := range g.routes {
		if r.Request == nil || r.Channel == nil {
			continue
		}
		typ := reflect.TypeOf(r.Request)
		if typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		key := r.Channel.name + " " + typ.String()
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, bodyRoute{name: r.Method + " " + r.Path, ch: r.Channel, typ: typ})
	}
	if len(out) < 30 {
		tb.Fatalf("only %d request types found in the routes", len(out))
	}
	return out
}

// FuzzRequestDecoding decodes any body as every request type of every route on its channel
// (app, mini-program, admin), twice: the same body must give the same request or the same error
// every time (two keys resolved in map order would not), a refusal is a stable invalid-request
// error with a short message, an accepted body's strings are within their limits, and each money
// field it carries parses to an amount that is never negative, or to an invalid-request refusal.
func FuzzRequestDecoding(f *testing.F) {
	routes := bodyRoutes(f)
	for _, seed := range []string{
		`{"items":[{"sku_id":"cup-celadon","quantity":1,"quantity_fee":3}]}`,
		`{"items":[{"sku_id":"tea-longjing","skuId":"kettle-iron"}]}`,
		`{"items":[{"skuId":"tea","quantity":2}],"expectedTotal":"39.80","address":{"name":"A","phone":"13800000000","province":"Zhejiang","city":"Hangzhou","detail":"1 Rd"}}`,
		`{"items":[{"sku_id":"tea","quantity":2}],"expected_total_fee":3980,"coupons":["VIP5"],"currency":"CNY"}`,
		`{"method":"sandbox"}`, `{"method":"sandbox","method":"x"}`, `{"flow":"fixed_price","destination":{"country":"CN"}}`,
		`{"amount":"105.00"}`, `{"amount_fee":10500,"max_amount_fee":20000}`, `{"amount":-1}`, `{"amount":"1e3"}`, `{"amount":1.5}`,
		`{"kind":"refund_only","lines":[{"lineNo":1,"quantity":1}],"reason":"damaged"}`,
		`{"outcome":"delivered","collected":3980}`, `{"carrier":"SF","trackingNo":"SF1"}`,
		`{"scope":"acme/*","scriptId":"s","version":1,"grayBasisPoints":10000}`,
		`{"title":"Tea","sellerId":"s1","currency":"CNY","price":5000}`, `{"warehouseId":"wh1","onHand":-5}`,
		`{"name":"x","kind":"percent_off","currency":"CNY","percent":20000}`,
		`{"skus":[{"skuId":"tea","price":4000,"deposit":500,"depositCredit":1000}],"depositStartsAt":0}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, r := range routes {
			a, b := reflect.New(r.typ).Interface(), reflect.New(r.typ).Interface()
			errA, errB := r.ch.decode([]byte(body), a), r.ch.decode([]byte(body), b)
			if (errA == nil) != (errB == nil) || (errA != nil && errA.Error() != errB.Error()) || !reflect.DeepEqual(a, b) {
				t.Fatalf("%s (%s, %s): one body decoded two ways: %v / %v, %+v / %+v", r.name, r.ch.name, r.typ, errA, errB, a, b)
			}
			if errA != nil {
				kind, public := errkind.Describe(errA)
				if kind.Kind() != errkind.Invalid || len(public) > 300 {
					t.Fatalf("%s (%s): refusal %s %q", r.name, r.ch.name, kind.Code(), public)
				}
				continue
			}
			checkLengths(t, reflect.ValueOf(a), defaultMaxLen)
			eachMoney(reflect.ValueOf(a), func(m MoneyInput) {
				amount, err := r.ch.parseMoney("amount", m, "CNY")
				if err != nil {
					if kind, _ := errkind.Describe(err); kind.Kind() != errkind.Invalid {
						t.Fatalf("%s (%s): money %s refused as %s", r.name, r.ch.name, m.raw, kind.Code())
					}
					return
				}
				if amount.Minor() < 0 {
					t.Fatalf("%s (%s): money %s parsed to %d", r.name, r.ch.name, m.raw, amount.Minor())
				}
			})
		}
	})
}

// eachMoney calls fn with every money input set in v.
func eachMoney(v reflect.Value, fn func(MoneyInput)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			eachMoney(v.Elem(), fn)
		}
	case reflect.Struct:
		if m, ok := v.Interface().(MoneyInput); ok {
			if m.Set() {
				fn(m)
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				eachMoney(v.Field(i), fn)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			eachMoney(v.Index(i), fn)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			eachMoney(v.MapIndex(k), fn)
		}
	}
}

func checkLengths(t *testing.T, v reflect.Value, max int) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			checkLengths(t, v.Elem(), max)
		}
	case reflect.String:
		if v.Len() > max {
			t.Fatalf("a string of %d bytes was accepted; the limit is %d", v.Len(), max)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			checkLengths(t, v.Index(i), max)
		}
	case reflect.Struct:
		fields := fieldsOf(v.Type())
		for i := 0; i < v.NumField(); i++ {
			sf := v.Type().Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if f, ok := fields[name]; ok && sf.IsExported() {
				checkLengths(t, v.Field(i), f.maxLen)
			}
		}
	}
}
