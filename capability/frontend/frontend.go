// Package frontend is the registry of front ends (an app, a mini-program's appid, a site): each
// belongs to one tenant and business line and speaks one channel's conventions, so that requests
// from it run under that business line whatever a request body says.
package frontend

import (
	"context"
	"regexp"
	"time"

	"github.com/atriumtrade/atrium/kernel/identity"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// ErrTaken is a front-end id another tenant registered first.
var (
	ErrTaken = errkind.New(errkind.Conflict, "identity.frontend_taken", "the front-end id is registered to another tenant")
)

var frontendRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Frontend is a registered front end (an app, a mini-program's appid, a web site): it belongs to
// one tenant and one business line and speaks one channel's conventions. Requests from it run
// under that business line, whatever a request body says.
type Frontend struct {
	ID        string
	Tenant    string
	BizCode   string
	Channel   string
	UpdatedAt time.Time
}

// New validates a registration.
func New(id, tenant, bizCode, channel string, at time.Time) (Frontend, error) {
	if !frontendRe.MatchString(id) {
		return Frontend{}, errkind.Invalidf("frontendId must be 1-64 letters, digits, '.', '_' or '-'")
	}
	line, err := identity.Line(tenant, bizCode)
	if err != nil {
		return Frontend{}, err
	}
	switch channel {
	case "app", "mp":
	default:
		return Frontend{}, errkind.Invalidf("channel must be app or mp")
	}
	return Frontend{ID: id, Tenant: tenant, BizCode: line, Channel: channel, UpdatedAt: at}, nil
}

// Store is the persistence port of registrations.
type Store interface {
	// Register creates or updates a registration; an id registered to another tenant is
	// ErrTaken.
	Register(ctx context.Context, f Frontend) error
	// List returns the registrations of a tenant, or of every tenant when tenant is empty.
	List(ctx context.Context, tenant string) ([]Frontend, error)
}
