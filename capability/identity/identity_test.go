package identity_test

import (
	"errors"
	"testing"

	"github.com/atriumtrade/atrium/capability/identity"
)

func TestNew(t *testing.T) {
	id, err := identity.New("acme", "", identity.FixedPrice)
	if err != nil || id.BizCode() != "acme.default" {
		t.Fatalf("default line: %v %v", id, err)
	}
	for _, c := range []struct{ tenant, biz string }{
		{"", ""}, {"ACME", ""}, {"acme", "other.flash"}, {"acme", "acme"}, {"acme", "acme."}, {"a-very-long-tenant-name-over-32-chars", ""},
	} {
		if _, err := identity.New(c.tenant, c.biz, identity.FixedPrice); !errors.Is(err, identity.ErrInvalidIdentity) {
			t.Errorf("New(%q, %q): got %v; want ErrInvalidIdentity", c.tenant, c.biz, err)
		}
	}
	if _, err := identity.New("acme", "acme.flash", "barter"); !errors.Is(err, identity.ErrInvalidIdentity) {
		t.Errorf("unknown scenario: got %v", err)
	}
}
