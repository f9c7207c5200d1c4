package ordersql_test

import (
	"github.com/atriumtrade/atrium/capability/order"
)

// The tests place orders of the scenario fixed_price with the standard lifecycle, which the
// fixed-price flow declares in the platform (this package does not link it).
func init() {
	order.RegisterLifecycle("fixed_price", order.Standard)
	order.RegisterLifecycle("auction", order.Standard) // a second kind of order, for searches by flow
}
