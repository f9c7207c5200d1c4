package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
)

func newTestGateway(t *testing.T, dev bool) *Gateway {
	t.Helper()
	g, err := New(Config{Addr: "127.0.0.1:0", JWTSecret: strings.Repeat("s", 32), DevMode: dev}, Clients{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	for _, dev := range []bool{false, true} {
		g := newTestGateway(t, dev)
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		if err := json.Unmarshal(g.OpenAPI(), &doc); err != nil {
			t.Fatal(err)
		}
		var documented, served []string
		for p, ops := range doc.Paths {
			for m := range ops {
				documented = append(documented, strings.ToUpper(m)+" "+p)
			}
		}
		for _, r := range g.h.Routes() {
			if r.Path == "/console" || strings.HasPrefix(r.Path, "/console/") {
				continue // the console's files are pages, not API (console_test.go)
			}
			served = append(served, r.Method+" "+pathParamRe.ReplaceAllString(r.Path, "{$1}"))
		}
		sort.Strings(documented)
		sort.Strings(served)
		if strings.Join(documented, "\n") != strings.Join(served, "\n") {
			t.Fatalf("dev=%v: documented routes\n%s\nserved routes\n%s", dev, strings.Join(documented, "\n"), strings.Join(served, "\n"))
		}
		hasDevToken := doc.Paths["/auth/v1/dev-token"] != nil
		if hasDevToken != dev {
			t.Fatalf("dev=%v: dev-token route present = %v", dev, hasDevToken)
		}
	}
}

func TestChannelsRenderMoneyAndCase(t *testing.T) {
	view := paymentView{PaymentID: "P1", Amount: Money{Minor: 1990, Currency: "CNY"}, Currency: "CNY"}
	cases := []struct {
		ch   *channel
		want string
	}{
		{appChannel, `{"amount":"19.90","createdAt":"","currency":"CNY","method":"","paymentId":"P1","purpose":"","status":"","tradeId":""}`},
		{mpChannel, `{"amount_fee":1990,"created_at":"","currency":"CNY","method":"","payment_id":"P1","purpose":"","status":"","trade_id":""}`},
		{adminChannel, `{"amount":1990,"createdAt":"","currency":"CNY","method":"","paymentId":"P1","purpose":"","status":"","tradeId":""}`},
	}
	for _, c := range cases {
		out, err := c.ch.render(view)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(out)
		if string(got) != c.want {
			t.Errorf("%s: got %s; want %s", c.ch.name, got, c.want)
		}
	}
	jpy, _ := appChannel.render(struct {
		Total Money `json:"total"`
	}{Money{Minor: 1200, Currency: "JPY"}})
	if got, _ := json.Marshal(jpy); string(got) != `{"total":"1200"}` {
		t.Errorf("JPY has no minor digits: got %s", got)
	}
}

func TestDecodeByChannel(t *testing.T) {
	var req placeOrderRequest
	if err := mpChannel.decode([]byte(`{"items":[{"sku_id":"a","quantity":2}],"expected_total_fee":3980,"address":{"postal_code":"1"}}`), &req); err != nil {
		t.Fatal(err)
	}
	if req.Items[0].SkuID != "a" || req.Address.PostalCode != "1" || !req.ExpectedTotal.Set() {
		t.Fatalf("mp decode: %+v", req)
	}
	amt, err := mpChannel.parseMoney("expectedTotal", req.ExpectedTotal, "")
	if err != nil || amt.Minor() != 3980 {
		t.Fatalf("mp money: %v %v", amt, err)
	}
	err = mpChannel.decode([]byte(`{"items":[{"sku_id":"a","quantity":"2"}]}`), &req)
	if _, msg := errkind.Describe(err); !strings.Contains(msg, "items.quantity") && !strings.Contains(msg, "quantity") {
		t.Fatalf("type error should name the field: %q", msg)
	}
	for _, raw := range []string{`"19.999"`, `"-1"`, `"1e3"`, `19.9`, `"19.90"x`} {
		var in MoneyInput
		_ = in.UnmarshalJSON([]byte(raw))
		if _, err := appChannel.parseMoney("expectedTotal", in, "CNY"); !errors.Is(err, money.ErrInvalidAmount) {
			t.Errorf("app money %s: got %v; want ErrInvalidAmount", raw, err)
		}
	}
	for _, raw := range []string{`19.9`, `-1`, `1e3`, `"1990"`} {
		var in MoneyInput
		_ = in.UnmarshalJSON([]byte(raw))
		if _, err := mpChannel.parseMoney("expectedTotal", in, "CNY"); !errors.Is(err, money.ErrInvalidAmount) {
			t.Errorf("mp money %s: got %v; want ErrInvalidAmount", raw, err)
		}
	}
	var in MoneyInput
	_ = in.UnmarshalJSON([]byte(`99999999999999999999`))
	if _, err := mpChannel.parseMoney("expectedTotal", in, "CNY"); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("mp overflow: got %v; want ErrOverflow", err)
	}
}

// TestAnUnknownCodeAnswersByItsKind: a code this access node does not know (a newer trade
// node's) answers with its kind's status and errcode, never 500.
func TestAnUnknownCodeAnswersByItsKind(t *testing.T) {
	for kind, want := range map[errkind.Kind]ErrorSpec{
		errkind.Invalid:   {"presale.x", 400, 40000},
		errkind.NotFound:  {"presale.x", 404, 40400},
		errkind.Conflict:  {"presale.x", 409, 40900},
		errkind.Exhausted: {"presale.x", 409, 40900},
		errkind.Forbidden: {"presale.x", 403, 40300},
	} {
		if got := specFor(errkind.Remote(kind, "presale.x", "m")); got != want {
			t.Errorf("%s: %+v; want %+v", kind, got, want)
		}
	}
}
