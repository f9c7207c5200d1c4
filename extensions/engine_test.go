package extensions_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/extensions/luahost"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
)

type priceIn struct {
	SKU   string `json:"sku"`
	Price int64  `json:"price"`
}

type priceOut struct {
	Price int64 `json:"price"`
}

var errNegative = errkind.Invalidf("price must not be negative")

func declare(name string, policy extensions.Policy, mode extensions.Mode) *extensions.Point[priceIn, priceOut] {
	return extensions.Declare(extensions.Spec[priceIn, priceOut]{
		Name: name, Policy: policy, Mode: mode,
		Default: func(_ context.Context, in priceIn) (priceOut, error) { return priceOut{Price: in.Price}, nil },
		Check: func(_ priceIn, out priceOut) error {
			if out.Price < 0 {
				return errNegative
			}
			return nil
		},
	})
}

var (
	overridePoint = declare("test.override", extensions.FallBack, extensions.Override)
	reducePoint   = declare("test.reduce", extensions.FallBack, extensions.Reduce)
	closedPoint   = declare("test.closed", extensions.FailClosed, extensions.Override)
)

func version(id string, v int, src string) *extensions.Version {
	return &extensions.Version{ScriptID: id, Version: v, Hash: luahost.Hash(src), Source: src}
}

func engine() *extensions.Engine {
	// A generous wall budget: this shared VM stalls now and then; loops stop on instructions.
	return extensions.NewEngine(luahost.New(extensions.Budget{Wall: 250 * time.Millisecond}), slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func call(t *testing.T, biz string, sc identity.Scenario, user string) extensions.Call {
	t.Helper()
	id, err := identity.New("acme", biz, sc)
	if err != nil {
		t.Fatal(err)
	}
	return extensions.Call{Identity: id, UserID: user}
}

func TestResolutionMostSpecificFirst(t *testing.T) {
	e := engine()
	ctx := context.Background()
	in := priceIn{SKU: "tea", Price: 1000}
	if out, _ := overridePoint.Run(ctx, e, call(t, "acme.flash", identity.Scenario("fixed_price"), "u1"), in); out.Price != 1000 {
		t.Fatalf("no scripts: got %d; want the default 1000", out.Price)
	}
	e.Load([]extensions.BindingSet{
		{Point: "test.override", Scope: "acme/*", Stable: version("tenant", 1, `function run(i) return {price = i.price - 1} end`)},
		{Point: "test.override", Scope: "acme.flash/*", Stable: version("line", 1, `function run(i) return {price = i.price - 10} end`)},
		{Point: "test.override", Scope: "acme.flash/presale", Stable: version("scenario", 1, `function run(i) return {price = i.price - 100} end`)},
	})
	cases := []struct {
		biz  string
		sc   identity.Scenario
		want int64
	}{
		{"acme.flash", identity.Scenario("presale"), 900},      // bizCode/scenario
		{"acme.flash", identity.Scenario("fixed_price"), 990},  // bizCode/*
		{"acme.retail", identity.Scenario("fixed_price"), 999}, // tenant/*
	}
	for _, c := range cases {
		out, err := overridePoint.Run(ctx, e, call(t, c.biz, c.sc, "u1"), in)
		if err != nil || out.Price != c.want {
			t.Errorf("%s/%s: got %d, %v; want %d", c.biz, c.sc, out.Price, err, c.want)
		}
	}
	other, _ := identity.New("globex", "", identity.Scenario("fixed_price"))
	if out, _ := overridePoint.Run(ctx, e, extensions.Call{Identity: other, UserID: "u1"}, in); out.Price != 1000 {
		t.Errorf("another tenant: got %d; want the default 1000", out.Price)
	}
}

func TestReduceAppliesGeneralToSpecific(t *testing.T) {
	e := engine()
	e.Load([]extensions.BindingSet{
		{Point: "test.reduce", Scope: "acme/*", Stable: version("half", 1, `function run(i, prev) return {price = math.floor(prev.price / 2)} end`)},
		{Point: "test.reduce", Scope: "acme.flash/fixed_price", Stable: version("minus", 1, `function run(i, prev) return {price = prev.price - 1} end`)},
	})
	ctx, trace := extensions.WithTrace(context.Background())
	out, err := reducePoint.Run(ctx, e, call(t, "acme.flash", identity.Scenario("fixed_price"), "u1"), priceIn{Price: 1000})
	if err != nil || out.Price != 499 {
		t.Fatalf("got %d, %v; want (1000/2)-1 = 499", out.Price, err)
	}
	recs := trace.Records()
	if len(recs) != 2 || recs[0].Binding.ScriptID != "half" || recs[1].Binding.ScriptID != "minus" {
		t.Fatalf("trace: %+v", recs)
	}
}

func TestFailurePolicies(t *testing.T) {
	e := engine()
	bad := map[string]string{
		"error":  `function run(i) error("no") end`,
		"shape":  `function run(i) return {price = "cheap"} end`,
		"extra":  `function run(i) return {price = 1, discount = 2} end`,
		"float":  `function run(i) return {price = 9.5} end`,
		"check":  `function run(i) return {price = -1} end`,
		"budget": `function run(i) while true do end end`,
	}
	for name, src := range bad {
		t.Run(name, func(t *testing.T) {
			e.Load([]extensions.BindingSet{
				{Point: "test.override", Scope: "acme/*", Stable: version(name, 1, src)},
				{Point: "test.closed", Scope: "acme/*", Stable: version(name, 1, src)},
			})
			ctx, trace := extensions.WithTrace(context.Background())
			c := call(t, "", identity.Scenario("fixed_price"), "u1")
			out, err := overridePoint.Run(ctx, e, c, priceIn{Price: 700})
			if err != nil || out.Price != 700 {
				t.Fatalf("fall back: got %d, %v; want the default 700", out.Price, err)
			}
			_, err = closedPoint.Run(ctx, e, c, priceIn{Price: 700})
			var kinds = []error{extensions.ErrScriptFailed, extensions.ErrInvalidOutput, extensions.ErrBudgetExceeded}
			matched := false
			for _, k := range kinds {
				matched = matched || errors.Is(err, k)
			}
			if !matched {
				t.Fatalf("fail closed: got %v; want a stable extensions error", err)
			}
			recs := trace.Records()
			if len(recs) != 2 || recs[0].Outcome != extensions.OutcomeFellBack || recs[1].Outcome != extensions.OutcomeFailed || recs[0].Error == "" {
				t.Fatalf("trace: %+v", recs)
			}
		})
	}
	stats := e.Stats()
	if stats["test.override|fell_back"] != int64(len(bad)) || stats["test.closed|failed"] != int64(len(bad)) {
		t.Fatalf("stats: %v", stats)
	}
}

// TestGrayShare: a gray version reaches about its share of users, always the same ones.
func TestGrayShare(t *testing.T) {
	e := engine()
	e.Load([]extensions.BindingSet{{Point: "test.override", Scope: "acme/*",
		Stable: version("v1", 1, `function run(i) return {price = 1} end`),
		Gray:   version("v2", 2, `function run(i) return {price = 2} end`), GrayBP: 1500}})
	const users = 10000
	gray := 0
	for u := 0; u < users; u++ {
		c := call(t, "", identity.Scenario("fixed_price"), fmt.Sprintf("user-%d", u))
		bs := e.Resolve("test.override", extensions.Override, c)
		if bs[0].Gray {
			gray++
		}
		if again := e.Resolve("test.override", extensions.Override, c); again[0].Gray != bs[0].Gray {
			t.Fatalf("user %d flipped sides", u)
		}
	}
	share := float64(gray) / users
	// A binomial share of 15% over 10k users has a standard deviation of 0.36%; allow 4 of them.
	if math.Abs(share-0.15) > 0.015 {
		t.Fatalf("gray share %.4f; want 0.15 ± 0.015", share)
	}
	for _, bp := range []int{0, 10000} {
		e.Load([]extensions.BindingSet{{Point: "test.override", Scope: "acme/*",
			Stable: version("v1", 1, `function run(i) return {price = 1} end`),
			Gray:   version("v2", 2, `function run(i) return {price = 2} end`), GrayBP: bp}})
		for u := 0; u < 200; u++ {
			b := e.Resolve("test.override", extensions.Override, call(t, "", identity.Scenario("fixed_price"), fmt.Sprintf("user-%d", u)))
			if b[0].Gray != (bp == 10000) {
				t.Fatalf("gray %d bp: user %d got gray=%v", bp, u, b[0].Gray)
			}
		}
	}
}

func TestDescriptorRunsExactlyAsThePoint(t *testing.T) {
	d, err := extensions.Lookup("test.override")
	if err != nil {
		t.Fatal(err)
	}
	exe, err := luahost.New(extensions.Budget{Wall: 250 * time.Millisecond}).Compile("x", `function run(i) return {price = i.price + 1} end`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.RunJSON(context.Background(), exe, []byte(`{"sku":"a","price":5}`), nil)
	if err != nil || string(out) != `{"price":6}` {
		t.Fatalf("got %s, %v", out, err)
	}
	if _, err := d.RunJSON(context.Background(), exe, []byte(`{"sku":"a","price":5,"tenant":"x"}`), nil); !errors.Is(err, errkind.ErrInvalid) {
		t.Fatalf("unknown input field: got %v", err)
	}
	if _, err := extensions.Lookup("nope"); !errors.Is(err, extensions.ErrUnknownPoint) {
		t.Fatalf("unknown point: got %v", err)
	}
}
