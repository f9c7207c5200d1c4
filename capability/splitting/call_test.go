package splitting_test

import (
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/identity"
)

func defaultCall() extensions.Call {
	id, _ := identity.New("t1", "", identity.Scenario("fixed_price"))
	return extensions.Call{Identity: id, UserID: "u1"}
}
