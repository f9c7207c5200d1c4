package platform_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client/callopt"
	"github.com/cloudwego/kitex/pkg/endpoint"
	"github.com/cloudwego/kitex/pkg/rpcinfo"

	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// TestAbandonedRequestStopsAtItsDeadline: the trade service gives up on a request when its
// caller does. With the only SQLite connection held, an order whose caller times out after
// 300 ms must not be placed once the connection frees up: a node under overload does not queue
// work nobody waits for (and no buyer gets an order they were told failed).
func TestAbandonedRequestStopsAtItsDeadline(t *testing.T) {
	// returned hears when the server's PlaceOrder handler has returned, whatever it answered.
	returned := make(chan struct{}, 1)
	watch := func(next endpoint.Endpoint) endpoint.Endpoint {
		return func(ctx context.Context, req, resp any) error {
			err := next(ctx, req, resp)
			if ri := rpcinfo.GetRPCInfo(ctx); ri != nil && ri.To().Method() == "PlaceOrder" {
				returned <- struct{}{}
			}
			return err
		}
	}
	s := start(t, sqliteConfig(t), &clock{t: time.Now()}, watch)
	admin := s.token("acme", "ops", "", "admin")
	buyer := s.token("acme", "u1", "app", "buyer")
	s.seed(admin, "tea", "s1", 1000, 10)

	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.trade.DB.InTx(context.Background(), func(ctx context.Context) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	req := &trade.PlaceOrderRequest{Caller: &trade.Caller{Tenant: "acme", UserId: "u1", Channel: "app", Role: "buyer"}, Flow: "fixed_price",
		Items: []*trade.Item{{SkuId: "tea", Quantity: 1}}, IdempotencyKey: "k1",
		Address: &trade.Address{Name: "Li Lei", Phone: "13800000000", Country: "CN", Province: "Zhejiang", City: "Hangzhou", District: "Xihu", Detail: "1 Wensan Rd"}}
	_, err := s.access.Client.Intake.PlaceOrder(context.Background(), req, callopt.WithRPCTimeout(300*time.Millisecond))
	if err == nil {
		t.Fatal("the order was placed while the database was held")
	}
	// The handler must give up on its own deadline while the database is still held: one that
	// waited for the connection would go on to place the order once it is released.
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the server's handler was still waiting 10 s after its caller's 300 ms deadline")
	}
	close(release)
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if got := must(t, s.do("GET", "/app/v1/orders", buyer, nil), 200, "orders").data()["orders"].([]any); len(got) != 0 {
		t.Fatalf("an order nobody waited for was placed: %v", got)
	}
	if st := s.stock(admin, "tea"); st["available"] != 10 {
		t.Fatalf("stock after the abandoned order: %v", st)
	}
}
