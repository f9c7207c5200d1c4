package trade_test

import (
	"context"
	"errors"
	"testing"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// TestCancelRunsTheOrdersOwnFlow: a cancel is the cancel of the flow that runs the order's
// trade, never another's; a trade no flow on the node runs is an error, not a default; only an
// operator gives a deposit back on cancel; an order already cancelled is answered as it is.
func TestCancelRunsTheOrdersOwnFlow(t *testing.T) {
	daltest.Each(t, migrations(), func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		buyer := trade.Cancellation{Actor: trade.ByBuyer("u1"), Reason: "buyer_cancelled"}
		if _, err := f.core.Cancel(ctx, "t1", "O1", buyer); err == nil {
			t.Fatal("a trade no flow runs was cancelled; want an error")
		}
		if o, _ := f.core.Order(ctx, "t1", trade.ByOperator(""), "O1"); o.Status() != order.PendingPayment {
			t.Fatalf("after the refused cancel the order is %s; want it unchanged", o.Status())
		}
		flow := &depositFlow{}
		f.core.Register(flow)
		if _, err := f.core.Cancel(ctx, "t1", "O1", trade.Cancellation{Actor: trade.ByBuyer("u2")}); !errors.Is(err, order.ErrNotFound) {
			t.Fatalf("another buyer cancels: %v; want order.not_found", err)
		}
		goodwill := buyer
		goodwill.RefundDeposit = true
		if _, err := f.core.Cancel(ctx, "t1", "O1", goodwill); !errors.Is(err, errkind.ErrForbidden) {
			t.Fatalf("a buyer refunds their own deposit: %v; want forbidden", err)
		}
		if len(flow.cancelled) != 0 {
			t.Fatalf("refused cancels reached the flow: %+v", flow.cancelled)
		}
		if _, err := f.core.Cancel(ctx, "t1", "O1", buyer); err != nil {
			t.Fatal(err)
		}
		if len(flow.cancelled) != 1 || flow.cancelled[0] != buyer {
			t.Fatalf("the flow cancelled %+v; want [%+v]", flow.cancelled, buyer)
		}
	})
}
