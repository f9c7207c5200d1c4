package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/atriumtrade/atrium/access-layer/console"
	"github.com/atriumtrade/atrium/access-layer/gateway"
	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// demoTenant is the tenant `serve --demo` seeds.
const demoTenant = "demo"

type demoSKU struct {
	id, title, seller, warehouse string
	price, stock                 int64
}

var demoCatalog = []demoSKU{
	{"tea-longjing", "West Lake Longjing tea, 250 g", "shop-hangzhou", "wh-hangzhou", 12800, 100},
	{"cup-celadon", "Celadon tea cup", "shop-jingdezhen", "wh-jingdezhen", 3900, 50},
	{"kettle-iron", "Cast-iron kettle", "shop-hangzhou", "wh-hangzhou", 45900, 5},
}

// seedDemo creates the demo catalog through the trade service, as an operator would. It creates
// only what is missing: a SKU that exists keeps its title and price, and a warehouse that holds
// stock of it keeps its count, so a restart never undoes what an operator changed (or what
// orders sold) on the same data directory.
func seedDemo(ctx context.Context, a *platform.Access, _ platform.Config) error {
	admin := &trade.Caller{Tenant: demoTenant, UserId: "demo-ops", Channel: "admin", Role: "admin"}
	for _, s := range demoCatalog {
		_, err := a.Client.Catalog.GetSKU(ctx, &trade.SKURef{Caller: admin, SkuId: s.id})
		switch {
		case errors.Is(err, catalog.ErrSKUNotFound):
			if _, err := a.Client.Catalog.UpsertSKU(ctx, &trade.UpsertSKURequest{Caller: admin, SkuId: s.id, Title: s.title, SellerId: s.seller,
				Price: &trade.Money{Amount: s.price, Currency: "CNY"}}); err != nil {
				return fmt.Errorf("seed sku %s: %w", s.id, err)
			}
		case err != nil:
			return fmt.Errorf("seed sku %s: %w", s.id, err)
		}
		cur, err := a.Client.Catalog.GetStock(ctx, &trade.SKURef{Caller: admin, SkuId: s.id})
		if err != nil {
			return fmt.Errorf("seed stock %s: %w", s.id, err)
		}
		if slices.ContainsFunc(cur.Levels, func(l *trade.StockLevel) bool { return l.WarehouseId == s.warehouse }) {
			continue
		}
		onHand := s.stock
		if _, err := a.Client.Catalog.SetStock(ctx, &trade.SetStockRequest{Caller: admin, SkuId: s.id, WarehouseId: s.warehouse, OnHand: &onHand}); err != nil {
			return fmt.Errorf("seed stock %s: %w", s.id, err)
		}
	}
	return nil
}

// consoleTTL is how long the demo's console sign-in link works.
const consoleTTL = 12 * time.Hour

// consoleLink is a link that signs the demo tenant's operator in to the console.
func consoleLink(cfg platform.Config, now time.Time) (string, error) {
	tok, err := gateway.Issue([]byte(cfg.HTTP.JWTSecret), gateway.Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: "demo-ops"},
		Tenant: demoTenant, Channel: "admin", Role: "admin"}, consoleTTL, now)
	if err != nil {
		return "", fmt.Errorf("console sign-in link: %w", err)
	}
	return "http://" + cfg.HTTP.Addr + console.SignInPath(tok), nil
}

// printWalkthrough prints the console's sign-in link and shell commands that, pasted into bash,
// take an order from placement to completion on the app channel. They need only curl, sed and
// grep.
func printWalkthrough(w io.Writer, addr, consoleLink string) {
	base := "http://" + addr
	pick := func(field string) string {
		return ` | grep -o '"` + field + `":"[^"]*"' | head -1 | cut -d'"' -f4`
	}
	steps := []string{
		"# Atrium demo is running. The operator console (signed in as demo-ops for 12 hours):",
		"#   " + consoleLink,
		"# Paste these into a shell (needs curl, grep, sed):",
		"B=" + base,
		`BUYER=$(curl -s -X POST $B/auth/v1/dev-token -d '{"tenant":"demo","userId":"alice","channel":"app","role":"buyer"}'` + pick("token") + `)`,
		`ADMIN=$(curl -s -X POST $B/auth/v1/dev-token -d '{"tenant":"demo","userId":"ops","role":"admin"}'` + pick("token") + `)`,
		"# 1. Quote a cart (money on the app channel is a decimal string):",
		`curl -s -X POST $B/app/v1/quotes -H "Authorization: Bearer $BUYER" -d '{"items":[{"skuId":"tea-longjing","quantity":2},{"skuId":"cup-celadon","quantity":4}]}'; echo`,
		"# 2. Place the order (one child order per seller; stock is reserved):",
		`PLACED=$(curl -s -X POST $B/app/v1/orders -H "Authorization: Bearer $BUYER" -H "Idempotency-Key: demo-$RANDOM" -d '{"flow":"fixed_price","items":[{"skuId":"tea-longjing","quantity":2},{"skuId":"cup-celadon","quantity":4}],"address":{"name":"Alice","phone":"13800000000","province":"Zhejiang","city":"Hangzhou","district":"Xihu","detail":"1 Wensan Rd"}}'); echo "$PLACED"`,
		`TRADE=$(echo "$PLACED"` + pick("tradeId") + `); ORDER=$(echo "$PLACED"` + pick("orderId") + `)`,
		"# 3. Pay with the sandbox provider, then make it call back (signed) with success:",
		`PAYMENT=$(curl -s -X POST $B/app/v1/trades/$TRADE/payments -H "Authorization: Bearer $BUYER" -H "Idempotency-Key: pay-$TRADE" -d '{"method":"sandbox"}'` + pick("paymentId") + `)`,
		`curl -s -X POST $B/admin/v1/payments/$PAYMENT/simulate -H "Authorization: Bearer $ADMIN" -d '{"outcome":"succeeded"}'; echo`,
		"# 4. Ship, deliver, and let the buyer confirm receipt:",
		`curl -s -X POST $B/admin/v1/orders/$ORDER/shipments -H "Authorization: Bearer $ADMIN" -d '{"carrier":"SF","trackingNo":"SF1234567890"}'; echo`,
		`curl -s -X POST $B/admin/v1/orders/$ORDER/delivery -H "Authorization: Bearer $ADMIN" -d '{"outcome":"delivered"}'; echo`,
		`curl -s -X POST $B/app/v1/orders/$ORDER/complete -H "Authorization: Bearer $BUYER"; echo`,
		"# 5. Stock per warehouse (available + reserved + sold == onHand):",
		`curl -s $B/admin/v1/skus/tea-longjing/stock -H "Authorization: Bearer $ADMIN"; echo`,
		"# The mini-program channel mirrors these under /mp/v1 (snake_case, money as *_fee minor units);",
		"# the whole API is at $B/openapi.json.",
	}
	fmt.Fprintln(w, strings.Join(steps, "\n"))
}
