package platform_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

// onEveryCharset runs fn on SQLite and on MariaDB databases created with each default the
// platform must not trust: utf8mb4_bin (on purpose), utf8mb4_general_ci (MariaDB's default: ids
// compare without case) and latin1 (a server started without a configuration).
func onEveryCharset(t *testing.T, fn func(t *testing.T, db dal.Config)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteConfig(t)) })
	for _, cs := range []string{"utf8mb4_bin", "utf8mb4_general_ci", "latin1"} {
		t.Run("mysql-"+cs, func(t *testing.T) {
			fn(t, dal.Config{Driver: "mysql", DSN: daltest.CreateMySQLDatabaseWith(t, daltest.Charsets[cs]), MaxOpenConns: 32, DataDir: t.TempDir()})
		})
	}
}

// chineseAddress is an address a latin1 table cannot hold.
var chineseAddress = map[string]any{"name": "李雷", "phone": "13800000000", "country": "CN", "province": "浙江省",
	"city": "杭州市", "district": "西湖区", "detail": "文三路1号", "postalCode": "310000"}

// TestIDsKeepTheirCase: whatever the database's default charset, ids are compared as written and
// Chinese text fits: buyer BOB sees none of bob's orders or after-sales, an idempotency key
// differing in case is another request, SKU-X and sku-x are two SKUs, an upper-cased pre-sale id
// is another campaign, a coupon's per-buyer cap counts bob and BOB apart, and an order with a
// Chinese address is placed (on latin1 it failed request.value_too_large).
func TestIDsKeepTheirCase(t *testing.T) {
	onEveryCharset(t, func(t *testing.T, db dal.Config) {
		s := start(t, db, &clock{t: time.Now()})
		admin := s.token("acme", "ops", "", "admin")
		s.seed(admin, "tea", "s1", 1000, 100)
		bob, bobUpper := s.token("acme", "bob", "app", "buyer"), s.token("acme", "BOB", "app", "buyer")

		placed := must(t, s.do("POST", "/app/v1/orders", bob, map[string]any{"items": []any{item("tea", 1)}, "address": chineseAddress},
			"Idempotency-Key", "key-a"), 201, "bob's order with a Chinese address").data()
		if got := placed["address"].(map[string]any)["detail"]; got != "文三路1号" {
			t.Fatalf("the address came back as %v", got)
		}
		if r := must(t, s.do("GET", "/app/v1/orders", bobUpper, nil), 200, "BOB's orders"); len(r.data()["orders"].([]any)) != 0 {
			t.Fatalf("BOB lists bob's orders: %s", r.raw)
		}
		again := must(t, s.do("POST", "/app/v1/orders", bob, map[string]any{"items": []any{item("tea", 2)}, "address": address},
			"Idempotency-Key", "KEY-A"), 201, "another key").data()
		if again["tradeId"] == placed["tradeId"] {
			t.Fatalf("KEY-A replayed key-a's answer: %v", again)
		}

		// After-sales: bob's paid order refunded; BOB sees none of it.
		orderID := str(s.paidOrder(bob, admin, "key-paid", item("tea", 1))["orderId"])
		must(t, s.do("POST", "/app/v1/orders/"+orderID+"/aftersales", bob, map[string]any{"kind": "refund_only",
			"lines": []any{map[string]any{"lineNo": 1, "quantity": 1}}, "reason": "changed_mind"}), 201, "after-sale")
		if r := must(t, s.do("GET", "/app/v1/aftersales", bobUpper, nil), 200, "BOB's after-sales"); len(r.data()["afterSales"].([]any)) != 0 {
			t.Fatalf("BOB lists bob's after-sales: %s", r.raw)
		}

		// SKUs and campaigns by id.
		s.seed(admin, "sku-x", "s1", 100, 1)
		s.seed(admin, "SKU-X", "s1", 900, 1)
		if v := must(t, s.do("GET", "/admin/v1/skus/sku-x", admin, nil), 200, "sku-x").data(); v["price"] != float64(100) {
			t.Fatalf("SKU-X overwrote sku-x: %v", v)
		}
		must(t, s.do("PUT", "/admin/v1/presales/d11", admin, presaleBody(s.clock.Now())), 200, "presale d11")
		if r := s.do("POST", "/admin/v1/presales/D11/cancel", admin, nil); r.status != 404 {
			t.Fatalf("cancel D11: %d %s; want 404", r.status, r.raw)
		}
		if v := must(t, s.do("GET", "/admin/v1/presales/d11", admin, nil), 200, "d11").data(); v["status"] != "active" {
			t.Fatalf("d11 after D11's cancel: %v", v)
		}

		// A coupon for one use per buyer: bob and BOB are two buyers.
		must(t, s.do("PUT", "/admin/v1/promotions/vip", admin, map[string]any{"name": "VIP 1 off", "kind": "amount_off", "currency": "CNY",
			"amount": 100, "couponOnly": true}), 200, "promotion")
		must(t, s.do("PUT", "/admin/v1/coupons/vip1", admin, map[string]any{"promotionId": "vip", "totalUses": 10, "perUser": 1}), 200, "coupon")
		for _, who := range []string{bob, bobUpper} {
			o := must(t, s.do("POST", "/app/v1/orders", who, map[string]any{"items": []any{item("tea", 1)}, "address": address,
				"coupons": []string{"vip1"}}), 201, "order with the coupon").data()
			if o["discount"] != "1.00" {
				t.Fatalf("the coupon's discount: %v; want 1.00 for each buyer", o["discount"])
			}
		}
	})
}

// TestMigrateConvertsTables: a table left with a case-insensitive default (made before every
// table declared utf8mb4_bin) is converted by the next migrate, and every text column of the
// platform's schema is then utf8mb4_bin, whatever the database's default.
func TestMigrateConvertsTables(t *testing.T) {
	for _, cs := range []string{"utf8mb4_general_ci", "latin1"} {
		t.Run(cs, func(t *testing.T) {
			ctx := context.Background()
			db, err := dal.Open(ctx, dal.Config{Driver: "mysql", DSN: daltest.CreateMySQLDatabaseWith(t, daltest.Charsets[cs])})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx, platform.Migrations(), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Primary().Exec("ALTER TABLE orders CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"); err != nil {
				t.Fatal(err)
			}
			var converted []string
			if _, err := db.Migrate(ctx, platform.Migrations(), func(c string, _ int, name string, _, _ int) {
				converted = append(converted, c+" "+name)
			}); err != nil {
				t.Fatal(err)
			}
			if len(converted) != 1 || converted[0] != "charset convert orders from utf8mb4_general_ci to utf8mb4_bin" {
				t.Fatalf("converted %v; want orders only", converted)
			}
			rows, err := db.Primary().Query(`SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS
				WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL AND COLLATION_NAME <> 'utf8mb4_bin'`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var table, column, collation string
				if err := rows.Scan(&table, &column, &collation); err != nil {
					t.Fatal(err)
				}
				t.Errorf("%s.%s is %s; want utf8mb4_bin", table, column, collation)
			}
		})
	}
}

// TestRefusesANarrowConnection: a DSN asking for another connection charset is refused at start
// with a message that says why.
func TestRefusesANarrowConnection(t *testing.T) {
	dsn := daltest.CreateMySQLDatabase(t)
	if strings.Contains(dsn, "?") {
		dsn += "&charset=latin1"
	} else {
		dsn += "?charset=latin1"
	}
	_, err := dal.Open(context.Background(), dal.Config{Driver: "mysql", DSN: dsn})
	if err == nil || !strings.Contains(err.Error(), "utf8mb4 only") {
		t.Fatalf("open with charset=latin1: %v; want a refusal naming utf8mb4", err)
	}
}
