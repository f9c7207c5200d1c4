package inventorysql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/inventory/inventorysql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

func line(sku, wh string, n int64) []inventory.Line {
	return []inventory.Line{{SKUID: sku, WarehouseID: wh, Quantity: n}}
}

// TestReserveBatchAdmitsInOrder: a batch admits its items in order while stock lasts, each all
// or nothing; a repeated id is a no-op, a cancelled id is refused, and only admitted items write.
func TestReserveBatchAdmitsInOrder(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		store := inventorysql.New(db)
		mustSet(t, svc, "a", "wh1", 5)
		mustSet(t, svc, "b", "wh1", 1)
		if err := store.Reserve(ctx, "t1", "done", line("a", "wh1", 1)); err != nil {
			t.Fatal(err)
		}
		if err := store.Cancel(ctx, "t1", "gone"); err != nil {
			t.Fatal(err)
		}
		exp := time.Now().Add(time.Minute).UnixMilli()
		errs, err := store.ReserveBatch(ctx, "t1", []inventory.BatchItem{
			{ReservationID: "r1", Lines: line("a", "wh1", 2)},
			{ReservationID: "r2", Lines: []inventory.Line{{SKUID: "a", WarehouseID: "wh1", Quantity: 1}, {SKUID: "b", WarehouseID: "wh1", Quantity: 2}}},
			{ReservationID: "r3", Lines: line("a", "wh1", 2)},
			{ReservationID: "r4", Lines: line("a", "wh1", 1)},
			{ReservationID: "done", Lines: line("a", "wh1", 1)},
			{ReservationID: "gone", Lines: line("a", "wh1", 1)},
			{ReservationID: "r2", Lines: line("a", "wh1", 1)}, // the same id again: r2's outcome
			{ReservationID: "r1", Lines: line("a", "wh1", 1)},
		}, exp)
		if err != nil {
			t.Fatal(err)
		}
		want := []error{nil, inventory.ErrInsufficientStock, nil, inventory.ErrInsufficientStock, nil, inventory.ErrReservationCancelled,
			inventory.ErrInsufficientStock, nil}
		for i, w := range want {
			if (w == nil) != (errs[i] == nil) || (w != nil && !errors.Is(errs[i], w)) {
				t.Fatalf("item %d: got %v; want %v", i+1, errs[i], w)
			}
		}
		if l := level(t, svc, "a", "wh1"); l.Available != 0 || l.Reserved != 5 {
			t.Fatalf("a: got %+v; want available 0 reserved 5 (1 + 2 + 2)", l)
		}
		if l := level(t, svc, "b", "wh1"); l.Available != 1 || l.Reserved != 0 {
			t.Fatalf("b: got %+v; want untouched (r2 was refused as a whole)", l)
		}
		if ls, _ := store.Lines(ctx, "t1", "r2"); len(ls) != 0 {
			t.Fatalf("refused r2 has lines %+v", ls)
		}
		var holdsQuery string
		var holdsArgs []any
		db.Record(func(q string, args []any) { holdsQuery, holdsArgs = q, args })
		if n, err := store.Holds(ctx, 10); err != nil || n != 2 {
			t.Fatalf("holds after the batch: %d %v; want r1 and r3", n, err)
		}
		db.Record(nil)
		// The metrics sample it every few seconds: it must not read the whole table.
		if err := daltest.Analyze(ctx, db, []string{"inventory_reservations"}); err != nil {
			t.Fatal(err)
		}
		plan, err := daltest.Explain(ctx, db, holdsQuery, holdsArgs)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range plan {
			if a.Table == "inventory_reservations" && a.Scan {
				t.Errorf("Holds scans inventory_reservations: %+v", plan)
			}
		}
		// Attached, r1 survives expiry; r3, never attached, expires and gives its 2 back.
		if err := store.Attach(ctx, "t1", "r1"); err != nil {
			t.Fatal(err)
		}
		if n, _ := store.Holds(ctx, 10); n != 1 {
			t.Fatalf("holds after r1 was attached: %d; want r3", n)
		}
		got, err := svc.ExpireDue(ctx, time.UnixMilli(exp))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ReservationID != "r3" || got[0].Tenant != "t1" {
			t.Fatalf("expired %+v; want r3 only", got)
		}
		if n, _ := store.Holds(ctx, 10); n != 0 {
			t.Fatalf("holds after expiry: %d", n)
		}
		if l := level(t, svc, "a", "wh1"); l.Available != 2 || l.Reserved != 3 {
			t.Fatalf("after expiry got %+v; want available 2 reserved 3", l)
		}
		if err := store.Attach(ctx, "t1", "r3"); !errors.Is(err, inventory.ErrReservationCancelled) {
			t.Fatalf("attach after expiry: got %v; want ErrReservationCancelled", err)
		}
		if err := svc.Confirm(ctx, "t1", "r1"); err != nil {
			t.Fatal(err)
		}
		if got, _ := svc.ExpireDue(ctx, time.UnixMilli(exp).Add(time.Hour)); len(got) != 0 {
			t.Fatalf("second sweep expired %+v; want nothing", got)
		}
	})
}

func TestSetHot(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		mustSet(t, svc, "a", "wh1", 5)
		l, err := svc.SetHot(ctx, "t1", "a", "wh1", true)
		if err != nil || !l.Hot || l.Available != 5 {
			t.Fatalf("got %+v, %v; want a hot level with its stock", l, err)
		}
		if l := level(t, svc, "a", "wh1"); !l.Hot {
			t.Fatalf("levels report %+v; want hot", l)
		}
		if _, err := svc.SetHot(ctx, "t1", "a", "nowhere", true); !errors.Is(err, inventory.ErrLevelNotFound) {
			t.Fatalf("unknown level: got %v; want ErrLevelNotFound", err)
		}
		if l, err := svc.SetHot(ctx, "t1", "a", "wh1", false); err != nil || l.Hot {
			t.Fatalf("got %+v, %v; want not hot", l, err)
		}
	})
}

// TestHotNoOversell: 300 buyers race through ReserveHot for 120 units, some buying 2; the units
// sold add up exactly, nothing is oversold, and the batches held several orders each.
func TestHotNoOversell(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		mustSet(t, svc, "hot", "wh1", 120)
		if _, err := svc.SetHot(ctx, "t1", "hot", "wh1", true); err != nil {
			t.Fatal(err)
		}
		var units, ok, short atomic.Int64
		var wg sync.WaitGroup
		exp := time.Now().Add(time.Minute)
		for i := 0; i < 300; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				n := int64(1 + i%2)
				err := svc.ReserveHot(ctx, "t1", fmt.Sprintf("r%d", i), line("hot", "wh1", n), exp)
				switch {
				case err == nil:
					ok.Add(1)
					units.Add(n)
				case errors.Is(err, inventory.ErrInsufficientStock):
					short.Add(1)
				default:
					t.Errorf("buyer %d: %v", i, err)
				}
			}(i)
		}
		wg.Wait()
		l := level(t, svc, "hot", "wh1")
		if units.Load() != l.Reserved || l.Reserved > 120 || l.Available != 120-l.Reserved {
			t.Fatalf("reserved %d units by %d buyers, level %+v", units.Load(), ok.Load(), l)
		}
		// Buyers want 450 units in all: a refusal leaves at most the 1 unit a buyer of 2 could not take.
		if l.Available > 1 || ok.Load()+short.Load() != 300 {
			t.Fatalf("level %+v after %d ok, %d short: stock left that a buyer was refused", l, ok.Load(), short.Load())
		}
		batches, n := svc.HotStats()
		if n != 300 || batches == 0 || batches >= 300 {
			t.Fatalf("%d reservations in %d batches; want 300 in fewer batches than orders", n, batches)
		}
		t.Logf("%d reservations in %d batches", n, batches)
	})
}

// TestHotCancelBeforeBatch: a Cancel recorded before the batch runs makes that item's Try
// refused, without failing the others of its batch.
func TestHotCancelBeforeBatch(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		mustSet(t, svc, "a", "wh1", 10)
		if err := svc.Cancel(ctx, "t1", "late"); err != nil {
			t.Fatal(err)
		}
		exp := time.Now().Add(time.Minute)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				id := fmt.Sprintf("r%d", i)
				if i == 0 {
					id = "late"
				}
				errs[i] = svc.ReserveHot(ctx, "t1", id, line("a", "wh1", 1), exp)
			}(i)
		}
		wg.Wait()
		if !errors.Is(errs[0], inventory.ErrReservationCancelled) {
			t.Fatalf("late try: got %v; want ErrReservationCancelled", errs[0])
		}
		for i, err := range errs[1:] {
			if err != nil {
				t.Fatalf("r%d: %v", i+1, err)
			}
		}
		if l := level(t, svc, "a", "wh1"); l.Reserved != 3 {
			t.Fatalf("got %+v; want 3 reserved", l)
		}
	})
}

// TestPreparedStock: stock of a hot level is reserved ahead by Prepare, attached by Commit in
// the order's transaction, and given back at once by Abort; stock of other levels is reserved
// only by Commit, so an aborted order of them changes nothing.
func TestPreparedStock(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		mustSet(t, svc, "hot", "wh1", 10)
		mustSet(t, svc, "cold", "wh1", 10)
		if _, err := svc.SetHot(ctx, "t1", "hot", "wh1", true); err != nil {
			t.Fatal(err)
		}
		level := func(sku string) inventory.Level {
			t.Helper()
			ls, err := svc.Levels(ctx, "t1", sku)
			if err != nil || len(ls) != 1 {
				t.Fatalf("levels: %v %v", ls, err)
			}
			return ls[0]
		}
		hot := func(id string, n int64) []inventory.Reservation {
			return []inventory.Reservation{{ID: id, Lines: []inventory.Line{{SKUID: "hot", WarehouseID: "wh1", Quantity: n, Hot: true}}}}
		}
		hold := time.Now().Add(time.Minute)

		p, err := svc.Prepare(ctx, "t1", hot("h1", 3), hold)
		if err != nil || !p.Hot() || level("hot").Reserved != 3 {
			t.Fatalf("prepared hot stock: %v %v %+v; want 3 reserved ahead", p, err, level("hot"))
		}
		if err := p.Abort(ctx); err != nil || level("hot").Reserved != 0 || level("hot").Available != 10 {
			t.Fatalf("aborted: %v %+v; want everything back", err, level("hot"))
		}

		p, err = svc.Prepare(ctx, "t1", hot("h2", 2), hold)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, p.Commit); err != nil {
			t.Fatal(err)
		}
		var expires sql.NullInt64
		if err := db.Primary().QueryRowContext(ctx, `SELECT expires_at FROM inventory_reservations WHERE tenant = 't1' AND reservation_id = 'h2'`).Scan(&expires); err != nil || expires.Valid {
			t.Fatalf("a committed hot reservation still expires: %v %v", expires, err)
		}
		if _, err := svc.Prepare(ctx, "t1", hot("h3", 9), hold); !errors.Is(err, inventory.ErrInsufficientStock) || level("hot").Reserved != 2 {
			t.Fatalf("preparing more than there is: %v %+v", err, level("hot"))
		}

		cold := []inventory.Reservation{{ID: "c1", Lines: []inventory.Line{{SKUID: "cold", WarehouseID: "wh1", Quantity: 4}}}}
		p, err = svc.Prepare(ctx, "t1", cold, hold)
		if err != nil || p.Hot() || level("cold").Reserved != 0 {
			t.Fatalf("prepared cold stock: %v %+v; want nothing reserved before the transaction", err, level("cold"))
		}
		boom := errors.New("boom")
		if err := db.InTx(ctx, func(ctx context.Context) error {
			if err := p.Commit(ctx); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) || level("cold").Reserved != 0 {
			t.Fatalf("a failed transaction: %v %+v; want nothing reserved", err, level("cold"))
		}
		if err := p.Abort(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, p.Commit); err != nil || level("cold").Reserved != 4 {
			t.Fatalf("committed cold stock: %v %+v", err, level("cold"))
		}
	})
}
