package identity_test

import (
	"errors"
	"testing"

	"github.com/atriumtrade/atrium/kernel/identity"
)

func TestNew(t *testing.T) {
	id, err := identity.New("acme", "", identity.Scenario("fixed_price"))
	if err != nil || id.BizCode() != "acme.default" {
		t.Fatalf("default line: %v %v", id, err)
	}
	for _, c := range []struct{ tenant, biz string }{
		{"", ""}, {"ACME", ""}, {"acme", "other.flash"}, {"acme", "acme"}, {"acme", "acme."}, {"a-very-long-tenant-name-over-32-chars", ""},
	} {
		if _, err := identity.New(c.tenant, c.biz, identity.Scenario("fixed_price")); !errors.Is(err, identity.ErrInvalidIdentity) {
			t.Errorf("New(%q, %q): got %v; want ErrInvalidIdentity", c.tenant, c.biz, err)
		}
	}
	// The set of scenarios is open (the trade core's flows register theirs): any well-formed name
	// makes an identity, a malformed one does not.
	if _, err := identity.New("acme", "acme.flash", "barter"); err != nil {
		t.Errorf("a scenario this package does not list: %v", err)
	}
	for _, bad := range []identity.Scenario{"", "Barter", "bar ter", "1st", "a_scenario_name_longer_than_32_chars"} {
		if _, err := identity.New("acme", "acme.flash", bad); !errors.Is(err, identity.ErrInvalidIdentity) {
			t.Errorf("scenario %q: got %v; want ErrInvalidIdentity", bad, err)
		}
	}
}

func TestRegistryHoldsOneValuePerScenario(t *testing.T) {
	r := identity.NewRegistry[int]("test: thing")
	r.Register("fixed_price", 1)
	if v, ok := r.Get("fixed_price"); !ok || v != 1 {
		t.Fatalf("Get = %v, %v", v, ok)
	}
	if _, ok := r.Get("presale"); ok {
		t.Fatal("an unregistered scenario was found")
	}
	defer func() {
		if p := recover(); p != "test: thing of fixed_price registered twice" {
			t.Fatalf("a second registration: %v", p)
		}
	}()
	r.Register("fixed_price", 2)
}
