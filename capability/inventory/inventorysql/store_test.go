package inventorysql_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/atriumtrade/atrium/capability/inventory"
	"github.com/atriumtrade/atrium/capability/inventory/inventorysql"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

func setup(t *testing.T, db *dal.DB) *inventory.Service {
	return inventory.NewService(inventorysql.New(db))
}

func sets() []dal.Migrations { return []dal.Migrations{inventorysql.Migrations()} }

func level(t *testing.T, svc *inventory.Service, sku, wh string) inventory.Level {
	t.Helper()
	ls, err := svc.Levels(context.Background(), "t1", sku)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.WarehouseID == wh {
			if !l.Consistent() {
				t.Fatalf("level %+v breaks available+reserved+sold == onHand", l)
			}
			return l
		}
	}
	t.Fatalf("no level for %s/%s", sku, wh)
	return inventory.Level{}
}

func TestReservationLifecycle(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		if _, err := svc.SetOnHand(ctx, "t1", "sku1", "wh1", 10); err != nil {
			t.Fatal(err)
		}
		lines, err := svc.Try(ctx, "t1", "r1", []inventory.Demand{{SKUID: "sku1", Quantity: 3}})
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 1 || lines[0].WarehouseID != "wh1" {
			t.Fatalf("got lines %+v; want one line from wh1", lines)
		}
		// A repeated Try changes nothing.
		if _, err := svc.Try(ctx, "t1", "r1", []inventory.Demand{{SKUID: "sku1", Quantity: 3}}); err != nil {
			t.Fatal(err)
		}
		if l := level(t, svc, "sku1", "wh1"); l.Available != 7 || l.Reserved != 3 {
			t.Fatalf("after try got %+v; want available 7 reserved 3", l)
		}
		for i := 0; i < 2; i++ {
			if err := svc.Confirm(ctx, "t1", "r1"); err != nil {
				t.Fatalf("confirm #%d: %v", i, err)
			}
		}
		if l := level(t, svc, "sku1", "wh1"); l.Available != 7 || l.Reserved != 0 || l.Sold != 3 {
			t.Fatalf("after confirm got %+v; want available 7 reserved 0 sold 3", l)
		}
		if err := svc.Cancel(ctx, "t1", "r1"); !errors.Is(err, inventory.ErrReservationConfirmed) {
			t.Fatalf("cancel after confirm: got %v; want ErrReservationConfirmed", err)
		}

		// Try then Cancel twice gives the stock back once.
		if _, err := svc.Try(ctx, "t1", "r2", []inventory.Demand{{SKUID: "sku1", Quantity: 2}}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if err := svc.Cancel(ctx, "t1", "r2"); err != nil {
				t.Fatalf("cancel #%d: %v", i, err)
			}
		}
		if l := level(t, svc, "sku1", "wh1"); l.Available != 7 || l.Reserved != 0 {
			t.Fatalf("after cancel got %+v; want available 7 reserved 0", l)
		}
		if err := svc.Confirm(ctx, "t1", "r2"); !errors.Is(err, inventory.ErrReservationCancelled) {
			t.Fatalf("confirm after cancel: got %v; want ErrReservationCancelled", err)
		}
	})
}

// TestReturnsTakeBackSomeUnitsOnce: an order's units come back in parts (after-sales), sellable
// to available and damaged to the damaged count, each return once however often it is asked,
// never more than was sold, concurrently too; a restock of the whole order afterwards puts back
// only what had not come back yet, and every level keeps available+reserved+sold+damaged = onHand.
func TestReturnsTakeBackSomeUnitsOnce(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		for _, wh := range []string{"wh1", "wh2"} {
			if _, err := svc.SetOnHand(ctx, "t1", "cup", wh, 5); err != nil {
				t.Fatal(err)
			}
		}
		// 8 cups: 5 from wh1, 3 from wh2.
		if _, err := svc.Try(ctx, "t1", "r1", []inventory.Demand{{SKUID: "cup", Quantity: 8}}); err != nil {
			t.Fatal(err)
		}
		cups := func(wh string, n int64) []inventory.Line {
			return []inventory.Line{{SKUID: "cup", WarehouseID: wh, Quantity: n}}
		}
		if err := svc.Return(ctx, "t1", "a0", "r1", cups("wh1", 1), false); !errors.Is(err, inventory.ErrReservationNotFound) {
			t.Fatalf("return before the sale was confirmed: %v", err)
		}
		if err := svc.Confirm(ctx, "t1", "r1"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if err := svc.Return(ctx, "t1", "a1", "r1", cups("wh1", 2), false); err != nil {
				t.Fatalf("return a1 #%d: %v", i, err)
			}
		}
		if err := svc.Return(ctx, "t1", "a2", "r1", cups("wh2", 1), true); err != nil {
			t.Fatal(err)
		}
		for _, bad := range [][]inventory.Line{cups("wh2", 3), cups("wh3", 1), cups("wh1", 0), nil} {
			if err := svc.Return(ctx, "t1", "bad", "r1", bad, false); !errors.Is(err, inventory.ErrInvalidStockQuantity) {
				t.Fatalf("return of %v: %v; want invalid quantity", bad, err)
			}
		}
		// Ten returns race for wh1's last three units, one each: three win.
		var won atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := svc.Return(ctx, "t1", fmt.Sprint("race", i), "r1", cups("wh1", 1), false)
				if err == nil {
					won.Add(1)
				} else if !errors.Is(err, inventory.ErrInvalidStockQuantity) {
					t.Errorf("racing return: %v", err)
				}
			}()
		}
		wg.Wait()
		if won.Load() != 3 {
			t.Fatalf("%d racing returns won; want the 3 units left", won.Load())
		}
		if l := level(t, svc, "cup", "wh1"); l.Available != 5 || l.Sold != 0 || !l.Consistent() {
			t.Fatalf("wh1: %+v; want all 5 back on sale", l)
		}
		if l := level(t, svc, "cup", "wh2"); l.Available != 2 || l.Sold != 2 || l.Damaged != 1 || !l.Consistent() {
			t.Fatalf("wh2: %+v; want 2 available, 2 sold, 1 damaged", l)
		}
		if err := svc.Restock(ctx, "t1", "r1"); err != nil {
			t.Fatal(err)
		}
		if l := level(t, svc, "cup", "wh2"); l.Available != 4 || l.Sold != 0 || l.Damaged != 1 || !l.Consistent() {
			t.Fatalf("wh2 after the restock: %+v; want 4 available and the damaged one kept off sale", l)
		}
		if _, err := svc.SetOnHand(ctx, "t1", "cup", "wh2", 0); !errors.Is(err, inventory.ErrOnHandBelowCommitted) {
			t.Fatalf("on hand below the damaged unit: %v", err)
		}
		if l, err := svc.SetOnHand(ctx, "t1", "cup", "wh2", 3); err != nil || l.Available != 2 || l.Damaged != 1 || !l.Consistent() {
			t.Fatalf("on hand 3 with one damaged: %+v %v", l, err)
		}
	})
}

// TestRestockPutsSoldUnitsBackOnce: a confirmed reservation whose order was refunded before it
// shipped goes back on sale once, however often it is asked; only confirmed stock restocks.
func TestRestockPutsSoldUnitsBackOnce(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		for _, wh := range []string{"wh1", "wh2"} {
			if _, err := svc.SetOnHand(ctx, "t1", "sku1", wh, 5); err != nil {
				t.Fatal(err)
			}
		}
		// 8 units: 5 from one warehouse and 3 from the other.
		if _, err := svc.Try(ctx, "t1", "r1", []inventory.Demand{{SKUID: "sku1", Quantity: 8}}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Restock(ctx, "t1", "r1"); err == nil {
			t.Fatal("restock of a reservation that was never sold succeeded")
		}
		if err := svc.Confirm(ctx, "t1", "r1"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if err := svc.Restock(ctx, "t1", "r1"); err != nil {
				t.Fatalf("restock #%d: %v", i, err)
			}
		}
		for _, wh := range []string{"wh1", "wh2"} {
			if l := level(t, svc, "sku1", wh); l.Available != 5 || l.Sold != 0 || l.Reserved != 0 {
				t.Fatalf("%s after restock: %+v; want all 5 back on sale", wh, l)
			}
		}
		if err := svc.Cancel(ctx, "t1", "r1"); !errors.Is(err, inventory.ErrReservationConfirmed) {
			t.Fatalf("cancel after restock: %v; want ErrReservationConfirmed", err)
		}
		if err := svc.Cancel(ctx, "t1", "r2"); err != nil {
			t.Fatal(err)
		}
		if err := svc.Restock(ctx, "t1", "r2"); !errors.Is(err, inventory.ErrReservationCancelled) {
			t.Fatalf("restock of a cancelled reservation: %v; want ErrReservationCancelled", err)
		}
		if err := svc.Restock(ctx, "t1", "r9"); !errors.Is(err, inventory.ErrReservationNotFound) {
			t.Fatalf("restock of an unknown reservation: %v; want ErrReservationNotFound", err)
		}
	})
}

func TestCancelBeforeTryBlocksLateTry(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		if _, err := svc.SetOnHand(ctx, "t1", "sku1", "wh1", 5); err != nil {
			t.Fatal(err)
		}
		if err := svc.Cancel(ctx, "t1", "late"); err != nil {
			t.Fatalf("null compensation: %v", err)
		}
		_, err := svc.Try(ctx, "t1", "late", []inventory.Demand{{SKUID: "sku1", Quantity: 1}})
		if !errors.Is(err, inventory.ErrReservationCancelled) {
			t.Fatalf("try after cancel: got %v; want ErrReservationCancelled", err)
		}
		if l := level(t, svc, "sku1", "wh1"); l.Available != 5 {
			t.Fatalf("got %+v; want available 5 (the late try must not reserve)", l)
		}
		if err := svc.Confirm(ctx, "t1", "never"); !errors.Is(err, inventory.ErrReservationNotFound) {
			t.Fatalf("confirm unknown: got %v; want ErrReservationNotFound", err)
		}
	})
}

func TestAllOrNothingAcrossLines(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		store := inventorysql.New(db)
		mustSet(t, svc, "a", "wh1", 5)
		mustSet(t, svc, "b", "wh1", 1)
		err := store.Reserve(ctx, "t1", "r1", []inventory.Line{{SKUID: "a", WarehouseID: "wh1", Quantity: 2}, {SKUID: "b", WarehouseID: "wh1", Quantity: 2}})
		if !errors.Is(err, inventory.ErrInsufficientStock) {
			t.Fatalf("got %v; want ErrInsufficientStock", err)
		}
		if l := level(t, svc, "a", "wh1"); l.Available != 5 {
			t.Fatalf("line a got %+v; want untouched available 5", l)
		}
		// The failed id was not claimed: a later, satisfiable try under it succeeds.
		if err := store.Reserve(ctx, "t1", "r1", []inventory.Line{{SKUID: "a", WarehouseID: "wh1", Quantity: 2}}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSetOnHandBelowCommitted(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		mustSet(t, svc, "a", "wh1", 5)
		if _, err := svc.Try(ctx, "t1", "r1", []inventory.Demand{{SKUID: "a", Quantity: 4}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetOnHand(ctx, "t1", "a", "wh1", 3); !errors.Is(err, inventory.ErrOnHandBelowCommitted) {
			t.Fatalf("got %v; want ErrOnHandBelowCommitted", err)
		}
		l := mustSet(t, svc, "a", "wh1", 10)
		if l.Available != 6 || l.Reserved != 4 {
			t.Fatalf("got %+v; want available 6 reserved 4", l)
		}
		if _, err := svc.SetOnHand(ctx, "t1", "a", "wh1", -1); !errors.Is(err, inventory.ErrInvalidStockQuantity) {
			t.Fatalf("negative on hand: got %v; want ErrInvalidStockQuantity", err)
		}
	})
}

func TestWarehouseChoice(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		mustSet(t, svc, "a", "north", 3)
		mustSet(t, svc, "a", "south", 8)
		lines, err := svc.Try(ctx, "t1", "r1", []inventory.Demand{{SKUID: "a", Quantity: 5}})
		if err != nil {
			t.Fatal(err)
		}
		if lines[0].WarehouseID != "south" {
			t.Fatalf("got %s; want south, the only warehouse that can fill 5", lines[0].WarehouseID)
		}
		// No warehouse holds 4 now (3 and 3), so the line is spread over both.
		lines, err = svc.Try(ctx, "t1", "r2", []inventory.Demand{{SKUID: "a", Quantity: 4}})
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 2 || lines[0].Quantity+lines[1].Quantity != 4 {
			t.Fatalf("got %+v; want 4 spread over two warehouses", lines)
		}
		if _, err := svc.Try(ctx, "t1", "r3", []inventory.Demand{{SKUID: "a", Quantity: 3}}); !errors.Is(err, inventory.ErrInsufficientStock) {
			t.Fatalf("got %v; want ErrInsufficientStock (2 left in all)", err)
		}
		if l := level(t, svc, "a", "north"); l.Available+level(t, svc, "a", "south").Available != 2 {
			t.Fatalf("north %+v; want 2 left over both warehouses", l)
		}
	})
}

func TestWarehousesCarryTheirRegionIntoLevels(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		mustSet(t, svc, "a", "wh-hz", 3)
		mustSet(t, svc, "a", "wh-unregistered", 3)
		hz := inventory.Warehouse{ID: "wh-hz", Name: "杭州仓", Region: address.Place{Country: "CN", Province: "浙江省", City: "杭州市"}}
		if _, err := svc.PutWarehouse(ctx, "t1", hz); err != nil {
			t.Fatal(err)
		}
		// Written in pinyin, stored resolved: GB/T 2260 names and codes.
		hz.Region = address.Place{Country: "CN", Province: "Zhejiang", City: "Hangzhou", District: "Xihu"}
		if _, err := svc.PutWarehouse(ctx, "t1", hz); err != nil {
			t.Fatal(err)
		}
		hz.Region = address.Place{Country: "CN", Province: "浙江省", City: "杭州市", District: "西湖区", ProvinceCode: "33", CityCode: "3301",
			DistrictCode: "330106"}
		if _, err := svc.PutWarehouse(ctx, "t1", inventory.Warehouse{ID: "bad id", Name: "x", Region: address.Place{Country: "CN"}}); !errors.Is(err, inventory.ErrInvalidWarehouse) {
			t.Fatalf("got %v; want ErrInvalidWarehouse", err)
		}
		if _, err := svc.PutWarehouse(ctx, "t1", inventory.Warehouse{ID: "wh-x", Name: "x",
			Region: address.Place{Country: "CN", Province: "浙江", City: "苏州"}}); !errors.Is(err, inventory.ErrInvalidWarehouse) ||
			!slices.Contains(errkind.Fields(err), errkind.FieldError{Field: "region.city", Code: "not_in_parent", Message: "苏州 is not in 浙江省"}) {
			t.Fatalf("a city of another province: %v %+v", err, errkind.Fields(err))
		}

		ws, err := svc.Warehouses(ctx, "t1")
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != 1 || ws[0] != hz {
			t.Fatalf("got %+v; want only %+v", ws, hz)
		}
		if other, _ := svc.Warehouses(ctx, "t2"); len(other) != 0 {
			t.Fatalf("tenant t2 sees %+v", other)
		}
		if l := level(t, svc, "a", "wh-hz"); l.Region != hz.Region {
			t.Fatalf("level region %+v; want %+v", l.Region, hz.Region)
		}
		if l := level(t, svc, "a", "wh-unregistered"); l.Region != (address.Place{}) {
			t.Fatalf("unregistered warehouse has region %+v", l.Region)
		}
	})
}

// TestNoOversellUnderConcurrency: 200 buyers race for 50 units; exactly 50 reservations succeed.
func TestNoOversellUnderConcurrency(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		mustSet(t, svc, "hot", "wh1", 50)
		var ok, short atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				err := db.InTx(ctx, func(ctx context.Context) error {
					_, err := svc.Try(ctx, "t1", fmt.Sprintf("r%d", i), []inventory.Demand{{SKUID: "hot", Quantity: 1}})
					return err
				})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, inventory.ErrInsufficientStock):
					short.Add(1)
				default:
					t.Errorf("buyer %d: %v", i, err)
				}
			}(i)
		}
		wg.Wait()
		if ok.Load() != 50 || short.Load() != 150 {
			t.Fatalf("got %d reserved and %d short; want 50 and 150", ok.Load(), short.Load())
		}
		if l := level(t, svc, "hot", "wh1"); l.Available != 0 || l.Reserved != 50 {
			t.Fatalf("got %+v; want available 0 reserved 50", l)
		}
	})
}

func mustSet(t *testing.T, svc *inventory.Service, sku, wh string, n int64) inventory.Level {
	t.Helper()
	l, err := svc.SetOnHand(context.Background(), "t1", sku, wh, n)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestDeleteOnlyAnUnusedWarehouse: a warehouse registered by mistake is deleted with its zero
// levels; one that holds stock (or sold some) is kept; an unknown one is not found; another
// tenant's warehouse of the same id is untouched.
func TestDeleteOnlyAnUnusedWarehouse(t *testing.T) {
	daltest.Each(t, sets(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		svc := setup(t, db)
		for _, tenant := range []string{"t1", "t2"} {
			for _, id := range []string{"wh-mistake", "wh-live"} {
				if _, err := svc.PutWarehouse(ctx, tenant, inventory.Warehouse{ID: id, Name: id, Region: address.Place{Country: "CN"}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		mustSet(t, svc, "a", "wh-mistake", 5)
		mustSet(t, svc, "a", "wh-mistake", 0) // counted again: nothing was ever there
		mustSet(t, svc, "a", "wh-live", 3)
		if err := svc.DeleteWarehouse(ctx, "t1", "wh-live"); !errors.Is(err, inventory.ErrWarehouseInUse) {
			t.Fatalf("deleting a warehouse with stock: %v", err)
		}
		if err := svc.DeleteWarehouse(ctx, "t1", "wh-none"); !errors.Is(err, inventory.ErrWarehouseNotFound) {
			t.Fatalf("deleting an unknown warehouse: %v", err)
		}
		if err := svc.DeleteWarehouse(ctx, "t1", "wh-mistake"); err != nil {
			t.Fatal(err)
		}
		ws, _ := svc.Warehouses(ctx, "t1")
		if len(ws) != 1 || ws[0].ID != "wh-live" {
			t.Fatalf("t1's warehouses after the delete: %+v", ws)
		}
		if other, _ := svc.Warehouses(ctx, "t2"); len(other) != 2 {
			t.Fatalf("t2's warehouses: %+v", other)
		}
		if l := level(t, svc, "a", "wh-live"); l.OnHand != 3 {
			t.Fatalf("the kept warehouse's stock: %+v", l)
		}
		if err := svc.DeleteWarehouse(ctx, "t1", "wh-mistake"); !errors.Is(err, inventory.ErrWarehouseNotFound) {
			t.Fatalf("deleting it twice: %v", err)
		}
	})
}
