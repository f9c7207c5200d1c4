package idempotency_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/dal/daltest"
	"github.com/atriumtrade/atrium/components/dal/idempotency"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

func TestClaimAndLookup(t *testing.T) {
	daltest.Each(t, []dal.Migrations{idempotency.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := idempotency.New(db)
		if _, found, err := s.Lookup(ctx, "t1", "u1", "op", "k", "h1"); err != nil || found {
			t.Fatalf("empty lookup: %v %v", found, err)
		}
		if ref, found, err := s.Claim(ctx, "t1", "u1", "op", "k", "h1", "R1"); err != nil || found || ref != "R1" {
			t.Fatalf("first claim: %s %v %v", ref, found, err)
		}
		if ref, found, err := s.Claim(ctx, "t1", "u1", "op", "k", "h1", "R2"); err != nil || !found || ref != "R1" {
			t.Fatalf("second claim: %s %v %v; want R1 found", ref, found, err)
		}
		if _, _, err := s.Claim(ctx, "t1", "u1", "op", "k", "h2", "R3"); !errors.Is(err, errkind.ErrIdempotencyConflict) {
			t.Fatalf("other request: got %v; want ErrIdempotencyConflict", err)
		}
		// Keys are per tenant, user and operation.
		if _, found, _ := s.Claim(ctx, "t1", "u2", "op", "k", "h1", "R4"); found {
			t.Fatal("another user's key collided")
		}
		// A claim rolled back with its transaction leaves the key free.
		_ = db.InTx(ctx, func(ctx context.Context) error {
			_, _, _ = s.Claim(ctx, "t1", "u1", "op", "gone", "h", "R5")
			return errors.New("rollback")
		})
		if _, found, _ := s.Lookup(ctx, "t1", "u1", "op", "gone", "h"); found {
			t.Fatal("a rolled-back claim stayed")
		}
	})
}

func TestConcurrentClaimsHaveOneWinner(t *testing.T) {
	daltest.Each(t, []dal.Migrations{idempotency.Migrations()}, func(t *testing.T, db *dal.DB) {
		ctx := context.Background()
		s := idempotency.New(db)
		var wg sync.WaitGroup
		refs := make([]string, 16)
		wins := make([]bool, 16)
		for i := range refs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				err := db.InTx(ctx, func(ctx context.Context) error {
					ref, found, err := s.Claim(ctx, "t1", "u1", "op", "race", "h", fmt.Sprintf("R%d", i))
					refs[i], wins[i] = ref, !found
					return err
				})
				if err != nil {
					t.Errorf("claim %d: %v", i, err)
				}
			}(i)
		}
		wg.Wait()
		winners := 0
		for i := range refs {
			if wins[i] {
				winners++
			}
			if refs[i] != refs[0] {
				t.Fatalf("claims saw different results: %v", refs)
			}
		}
		if winners != 1 {
			t.Fatalf("%d claims won; want 1", winners)
		}
	})
}
