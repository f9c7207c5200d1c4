package auctionsql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/capability/auction/auctionsql"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
)

// TestList: the latest to open first, a page at a time, with no repeat or gap while auctions are
// put between pages (one that opens after the page already read is not shown; one that opens
// before it is, in its place); by SKU and by status now (each status of StatusAt); never another
// tenant's; a forged cursor is refused.
func TestList(t *testing.T) {
	daltest.Each(t, []dal.Migrations{auctionsql.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := auctionsql.New(db)
		now := time.UnixMilli(1_800_000_000_000)
		put := func(tenant, id, sku string, starts, ends time.Duration) *auction.Auction {
			t.Helper()
			tm := terms(now)
			tm.ID, tm.SKUID, tm.StartsAt, tm.EndsAt = id, sku, now.Add(starts), now.Add(ends)
			a, err := s.Put(ctx, tenant, tm, now.Add(-2*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		put("t1", "a1", "vase", -3*time.Hour, -2*time.Hour) // ended, then sold below
		put("t1", "a2", "vase", -150*time.Minute, -time.Hour)
		put("t1", "a3", "bowl", -2*time.Hour, -30*time.Minute)
		put("t1", "a4", "bowl", -time.Hour, time.Hour)    // running
		put("t1", "a5", "vase", time.Hour, 2*time.Hour)   // scheduled
		put("t1", "a6", "vase", 2*time.Hour, 3*time.Hour) // cancelled below
		put("t2", "theirs", "vase", -time.Hour, time.Hour)
		settle := func(id string, st auction.Status) {
			t.Helper()
			err := db.InTx(ctx, func(ctx context.Context) error {
				a, err := s.Lock(ctx, "t1", id)
				if err != nil {
					return err
				}
				a.Settled = st
				return s.Save(ctx, "t1", a, nil, now)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		settle("a1", auction.Sold)
		settle("a2", auction.Unsold)
		settle("a6", auction.Cancelled)
		list := func(f auction.Filter, limit int, between func()) string {
			t.Helper()
			var out []string
			cursor := ""
			for {
				as, next, err := s.List(ctx, "t1", f, now, limit, cursor)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range as {
					out = append(out, a.ID+"="+string(a.StatusAt(now)))
				}
				if next == "" {
					return strings.Join(out, " ")
				}
				cursor = next
				if between != nil {
					between()
				}
			}
		}
		n := 0
		got := list(auction.Filter{}, 2, func() { n++; put("t1", fmt.Sprintf("new%d", n), "vase", time.Duration(n)*time.Minute, 5*time.Hour) })
		if want := "a6=cancelled a5=scheduled new1=scheduled a4=running a3=ended a2=unsold a1=sold"; got != want {
			t.Errorf("all, with auctions put between pages: %s; want %s", got, want)
		}
		for _, c := range []struct {
			f    auction.Filter
			want string
		}{
			{auction.Filter{SKUID: "bowl"}, "a4=running a3=ended"},
			{auction.Filter{Status: auction.Scheduled}, "a5=scheduled new3=scheduled new2=scheduled new1=scheduled"},
			{auction.Filter{Status: auction.Running}, "a4=running"},
			{auction.Filter{Status: auction.Ended}, "a3=ended"},
			{auction.Filter{Status: auction.Sold}, "a1=sold"},
			{auction.Filter{Status: auction.Unsold}, "a2=unsold"},
			{auction.Filter{Status: auction.Cancelled}, "a6=cancelled"},
			{auction.Filter{SKUID: "vase", Status: auction.Running}, ""},
		} {
			if got := list(c.f, 100, nil); got != c.want {
				t.Errorf("%+v: %s; want %s", c.f, got, c.want)
			}
		}
		if _, _, err := s.List(ctx, "t1", auction.Filter{}, now, 10, "forged"); !errors.Is(err, auction.ErrInvalidCursor) {
			t.Errorf("forged cursor: %v", err)
		}
	})
}
