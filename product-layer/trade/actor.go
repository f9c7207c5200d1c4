package trade

import (
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
)

// ActorKind is who issues a command.
type ActorKind string

// The kinds of actor.
const (
	// ActorBuyer acts on their own trades only.
	ActorBuyer ActorKind = "buyer"
	// ActorOperator is a tenant's operator, acting on any trade of the tenant.
	ActorOperator ActorKind = "operator"
	// ActorSystem is the platform itself: a timer, a recovery sweep.
	ActorSystem ActorKind = "system"
)

// Actor is who issues a command: every command names one, so that "an empty user id means an
// operator" is never a convention a caller can get wrong.
type Actor struct {
	Kind ActorKind
	// ID is the buyer's user id, the operator's id (may be empty), or the system job's name.
	ID string
}

// ByBuyer is the buyer userID acting.
func ByBuyer(userID string) Actor { return Actor{Kind: ActorBuyer, ID: userID} }

// ByOperator is an operator of the tenant acting.
func ByOperator(id string) Actor { return Actor{Kind: ActorOperator, ID: id} }

// BySystem is the platform acting on its own, as job.
func BySystem(job string) Actor { return Actor{Kind: ActorSystem, ID: job} }

// Sees reports whether the actor may see (and act on) a record owned by buyer owner: a buyer
// sees only their own (a buyer without a user id sees nothing); operators and the system see
// every record of the tenant.
func (a Actor) Sees(owner string) bool { return a.Kind != ActorBuyer || (a.ID != "" && a.ID == owner) }

// Validate refuses an actor that cannot act: a buyer without a valid user id, or an unknown kind.
func (a Actor) Validate() error {
	switch a.Kind {
	case ActorBuyer:
		if !identity.ValidUserID(a.ID) {
			return errkind.WithDetail(errkind.ErrUnauthenticated, "no buyer")
		}
	case ActorOperator, ActorSystem:
	default:
		return errkind.WithDetail(errkind.ErrForbidden, "unknown actor")
	}
	return nil
}
