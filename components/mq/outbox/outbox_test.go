package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idgen"
	"github.com/atriumtrade/atrium/components/mq/outbox"
	"github.com/atriumtrade/atrium/kernel/identity"
)

func TestEventsCommitWithTheirTransaction(t *testing.T) {
	daltest.Each(t, []dal.Migrations{outbox.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		ids, _ := idgen.New(1)
		w := outbox.NewWriter(db, func() string { return ids.NextString("E") })
		_ = db.InTx(ctx, func(ctx context.Context) error {
			if _, err := w.Append(ctx, "order.created", "acme", "T1", map[string]int{"n": 1}); err != nil {
				t.Fatal(err)
			}
			return errors.New("the business change failed")
		})
		if err := db.InTx(ctx, func(ctx context.Context) error {
			_, err := w.Append(ctx, "order.paid", "acme", "O1", map[string]int{"n": 2})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		evs, err := w.Pending(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Topic != "order.paid" || evs[0].Key != "O1" || string(evs[0].Payload) != `{"n":2}` {
			t.Fatalf("got %+v; want only the committed order.paid", evs)
		}
	})
}

// TestBacklog: the unpublished events, counted up to a cap, and the oldest one's time; none: zero.
func TestBacklog(t *testing.T) {
	daltest.Each(t, []dal.Migrations{outbox.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		ids, _ := idgen.New(1)
		w := outbox.NewWriter(db, func() string { return ids.NextString("E") })
		if n, oldest, err := w.Backlog(ctx, 10); err != nil || n != 0 || !oldest.IsZero() {
			t.Fatalf("empty: %d %v %v", n, oldest, err)
		}
		before := time.Now().Add(-time.Second)
		for i := range 3 {
			if _, err := w.Append(ctx, "order.created", "acme", "T"+string(rune('a'+i)), nil); err != nil {
				t.Fatal(err)
			}
		}
		n, oldest, err := w.Backlog(ctx, 2)
		if err != nil || n != 2 || oldest.Before(before) || oldest.After(time.Now()) {
			t.Fatalf("3 events, cap 2: %d %v %v", n, oldest, err)
		}
	})
}

// TestEventsOfAKeyWithTheirActor: the events of one key of one tenant read back in the order
// written, each with the actor its context carried ("system" when none did).
func TestEventsOfAKeyWithTheirActor(t *testing.T) {
	daltest.Each(t, []dal.Migrations{outbox.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		ids, _ := idgen.New(1)
		w := outbox.NewWriter(db, func() string { return ids.NextString("E") })
		for _, e := range []struct{ topic, tenant, key, actor string }{
			{"order.created", "acme", "T1", "buyer:u1"}, {"order.created", "acme", "T2", "buyer:u2"},
			{"order.paid", "acme", "T1", "provider:sandbox"}, {"order.created", "rival", "T1", "buyer:u9"}, {"order.cancelled", "acme", "T1", ""},
		} {
			c := ctx
			if e.actor != "" {
				c = identity.WithActor(ctx, e.actor)
			}
			if _, err := w.Append(c, e.topic, e.tenant, e.key, map[string]string{"tradeId": e.key}); err != nil {
				t.Fatal(err)
			}
		}
		evs, err := w.OfKey(ctx, "acme", "T1", 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.Topic+" by "+e.Actor)
		}
		if want := "[order.created by buyer:u1 order.paid by provider:sandbox order.cancelled by system]"; fmt.Sprint(got) != want {
			t.Fatalf("got %v; want %s", got, want)
		}
		if evs, _ := w.OfKey(ctx, "acme", "T1", 2); len(evs) != 2 || evs[1].Topic != "order.paid" {
			t.Fatalf("limited to 2: %+v", evs)
		}
	})
}
