package splitting_test

import (
	"github.com/atriumtrade/atrium/capability/identity"
	"github.com/atriumtrade/atrium/extensions"
)

func defaultCall() extensions.Call {
	id, _ := identity.New("t1", "", identity.Scenario("fixed_price"))
	return extensions.Call{Identity: id, UserID: "u1"}
}
