package extsql_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/extensions/extsql"
	"github.com/atriumtrade/atrium/extensions/luahost"
	"github.com/atriumtrade/atrium/kernel/identity"
)

type in struct {
	Price int64 `json:"price"`
}

type out struct {
	Price int64 `json:"price"`
}

var point = extensions.Declare(extensions.Spec[in, out]{Name: "test.extsql", Policy: extensions.FallBack,
	Default: func(_ context.Context, i in) (out, error) { return out{Price: i.Price}, nil }})

func script(delta string) string {
	return "-- point: test.extsql\n-- test: {\"input\": {\"price\": 100}, \"output\": {\"price\": " + delta + "}}\n" +
		"function run(i) return {price = " + delta + "} end\n"
}

type node struct {
	engine *extensions.Engine
	loader *extensions.Loader
	admin  *extensions.Admin
}

func newNode(db *dal.DB) node {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := extsql.New(db)
	e := extensions.NewEngine(luahost.New(extensions.Budget{Wall: 250 * time.Millisecond}), log) // the VM stalls now and then
	return node{engine: e, loader: extensions.NewLoader(store, e, log), admin: extensions.NewAdmin(store, e, extensions.KnownScenarios(func(sc identity.Scenario) bool {
		return sc == "fixed_price" || sc == "presale"
	}))}
}

func (n node) price(t *testing.T, biz, user string) int64 {
	t.Helper()
	id, _ := identity.New("acme", biz, identity.Scenario("fixed_price"))
	o, err := point.Run(context.Background(), n.engine, extensions.Call{Identity: id, UserID: user}, in{Price: 100})
	if err != nil {
		t.Fatal(err)
	}
	return o.Price
}

func TestUploadValidation(t *testing.T) {
	daltest.Each(t, []dal.Migrations{extsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		n := newNode(db)
		bad := map[string]struct {
			src  string
			want error
		}{
			"no point":        {"function run(i) return {price = 1} end", extensions.ErrInvalidScript},
			"unknown point":   {"-- point: nope.nope\nfunction run(i) return {} end", extensions.ErrUnknownPoint},
			"syntax":          {"-- point: test.extsql\nfunction run(i) return {price = } end", extensions.ErrInvalidScript},
			"failing fixture": {"-- point: test.extsql\n-- test: {\"input\": {\"price\": 1}, \"output\": {\"price\": 2}}\nfunction run(i) return {price = 3} end", extensions.ErrFixtureFailed},
			"bad fixture":     {"-- point: test.extsql\n-- test: {\"input\": 1}\nfunction run(i) return {price = 3} end", extensions.ErrInvalidScript},
			"no run":          {"-- point: test.extsql\n-- test: {\"input\": {\"price\": 1}, \"output\": {\"price\": 1}}\nlocal x = 1", extensions.ErrFixtureFailed},
		}
		for name, c := range bad {
			if _, err := n.admin.Upload(ctx, "acme", "s", c.src, "ops", ""); !errors.Is(err, c.want) {
				t.Errorf("%s: got %v; want %v", name, err, c.want)
			}
		}
		v1, err := n.admin.Upload(ctx, "acme", "discount", script("90"), "ops", "first")
		if err != nil || v1.Version != 1 || v1.Point != "test.extsql" {
			t.Fatalf("upload: %+v %v", v1, err)
		}
		again, _ := n.admin.Upload(ctx, "acme", "discount", script("90"), "ops", "same content")
		v2, _ := n.admin.Upload(ctx, "acme", "discount", script("80"), "ops", "second")
		if again.Version != 1 || v2.Version != 2 {
			t.Fatalf("versions: same content got v%d, new content v%d; want v1 and v2", again.Version, v2.Version)
		}
		if vs, _ := n.admin.Versions(ctx, "acme", "discount"); len(vs) != 2 {
			t.Fatalf("versions: %d", len(vs))
		}
		if vs, _ := n.admin.Versions(ctx, "globex", ""); len(vs) != 0 {
			t.Fatalf("another tenant sees versions: %v", vs)
		}
		if out, err := n.admin.TestRun(ctx, "acme", "discount", 2, []byte(`{"price":5}`), nil); err != nil || string(out) != `{"price":80}` {
			t.Fatalf("test run: %s %v", out, err)
		}
		if _, err := n.admin.TestRun(ctx, "globex", "discount", 2, []byte(`{"price":5}`), nil); !errors.Is(err, extensions.ErrScriptNotFound) {
			t.Fatalf("another tenant's test run: %v", err)
		}
	})
}

func TestPublishGrayRollbackAcrossNodes(t *testing.T) {
	daltest.Each(t, []dal.Migrations{extsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		a, b := newNode(db), newNode(db)
		for _, n := range []node{a, b} {
			if err := n.loader.Load(ctx); err != nil {
				t.Fatal(err)
			}
		}
		lctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go b.loader.Run(lctx, 100*time.Millisecond)
		eventually := func(what string, want int64, biz, user string) {
			t.Helper()
			deadline := time.Now().Add(2 * time.Second)
			for b.price(t, biz, user) != want {
				if time.Now().After(deadline) {
					t.Fatalf("%s: node b still prices %d after 2s; want %d", what, b.price(t, biz, user), want)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		for _, d := range []string{"90", "80"} {
			if _, err := a.admin.Upload(ctx, "acme", "discount", script(d), "ops", ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.admin.Publish(ctx, "acme", "acme/*", "discount", 1, 10000, "ops"); err != nil {
			t.Fatal(err)
		}
		eventually("publish v1", 90, "", "u1")
		// v2 to every user in gray: 100% in basis points is a stable publish, so use 9999.
		if _, err := a.admin.Publish(ctx, "acme", "acme/*", "discount", 2, 9999, "ops"); err != nil {
			t.Fatal(err)
		}
		eventually("gray v2", 80, "", "u1")
		pubs, _ := a.admin.Publications(ctx, "acme")
		if len(pubs) != 1 || pubs[0].StableVersion != 1 || pubs[0].GrayVersion != 2 || pubs[0].GrayBP != 9999 {
			t.Fatalf("publications: %+v", pubs)
		}
		if _, err := a.admin.Rollback(ctx, "acme", "acme/*", "test.extsql"); err != nil {
			t.Fatal(err)
		}
		eventually("roll back the gray", 90, "", "u1")
		if _, err := a.admin.Rollback(ctx, "acme", "acme/*", "test.extsql"); err != nil {
			t.Fatal(err)
		}
		eventually("roll back to the default", 100, "", "u1")
		if _, err := a.admin.Rollback(ctx, "acme", "acme/*", "test.extsql"); !errors.Is(err, extensions.ErrNothingToRollBack) {
			t.Fatalf("third rollback: %v", err)
		}
		for _, bad := range []string{"globex/*", "acme/fixed_price", "acme.flash/barter", "acme.flash", "other.flash/*"} {
			if _, err := a.admin.Publish(ctx, "acme", bad, "discount", 1, 10000, "ops"); !errors.Is(err, extensions.ErrInvalidScope) {
				t.Errorf("scope %q: got %v; want ErrInvalidScope", bad, err)
			}
		}
	})
}

func TestRunRecords(t *testing.T) {
	daltest.Each(t, []dal.Migrations{extsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		n := newNode(db)
		v, err := n.admin.Upload(ctx, "acme", "discount", script("70"), "ops", "")
		if err != nil {
			t.Fatal(err)
		}
		recs := []extensions.Record{{Point: "test.extsql", Binding: extensions.Binding{Scope: "acme/*", ScriptID: "discount", Version: v.Version, Hash: v.Hash, Gray: true},
			Outcome: extensions.OutcomeOK, Input: []byte(`{"price":100}`), Output: []byte(`{"price":70}`)}}
		if err := db.InTx(ctx, func(ctx context.Context) error { return extsql.New(db).SaveRuns(ctx, "acme", "T1", recs) }); err != nil {
			t.Fatal(err)
		}
		runs, err := n.admin.Runs(ctx, "acme", "T1")
		if err != nil || len(runs) != 1 || !runs[0].Binding.Gray || string(runs[0].Output) != `{"price":70}` {
			t.Fatalf("runs: %+v %v", runs, err)
		}
		replayed, err := n.admin.Replay(ctx, "acme", runs[0])
		if err != nil || string(replayed) != `{"price":70}` {
			t.Fatalf("replay: %s %v", replayed, err)
		}
		if runs, _ := n.admin.Runs(ctx, "globex", "T1"); len(runs) != 0 {
			t.Fatalf("another tenant sees runs")
		}
	})
}
