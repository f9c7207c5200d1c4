package gateway

import (
	"net/http"
	"slices"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// ErrorSpec is how one stable code answers on HTTP: its status on the app and admin channels
// and its errcode on the mini-program channel (which always answers HTTP 200).
type ErrorSpec struct {
	Code    string
	Status  int
	Errcode int
}

// Errors routed by the gateway itself.
var (
	ErrRouteNotFound    = errkind.New(errkind.NotFound, "route.not_found", "no such route")
	ErrMethodNotAllowed = errkind.New(errkind.Invalid, "route.method_not_allowed", "method not allowed on this route")
	ErrBodyTooLarge     = errkind.New(errkind.Invalid, "request.body_too_large", "request body is too large")
	ErrInvalidPath      = errkind.New(errkind.Invalid, "request.invalid_path", "the path has an encoded slash or a dot segment; ids never do")
)

// errorTable is the one table of every stable error code: HTTP status and mini-program errcode.
// Codes are append-only; a test checks that every code declared anywhere is listed here. A flow
// added as a module keeps its rows beside its routes and adds them here.
var errorTable = slices.Concat(platformErrors, groupBuyErrors)

var platformErrors = []ErrorSpec{
	{"request.invalid", http.StatusBadRequest, 40001},
	{"request.malformed_json", http.StatusBadRequest, 40002},
	{"request.body_too_large", http.StatusRequestEntityTooLarge, 40003},
	{"request.value_too_large", http.StatusBadRequest, 40004},
	{"request.invalid_path", http.StatusBadRequest, 40005},
	{"request.idempotency_conflict", http.StatusConflict, 40901},
	{"request.idempotency_in_flight", http.StatusConflict, 40902},
	{"auth.unauthenticated", http.StatusUnauthorized, 40101},
	{"auth.forbidden", http.StatusForbidden, 40301},
	{"route.not_found", http.StatusNotFound, 40401},
	{"route.method_not_allowed", http.StatusMethodNotAllowed, 40501},
	{"system.too_many_requests", http.StatusTooManyRequests, 42901},
	{"system.internal", http.StatusInternalServerError, 50001},
	{"system.unavailable", http.StatusServiceUnavailable, 50301},
	{"system.no_tenant", http.StatusInternalServerError, 50002},
	{"system.db_unavailable", http.StatusServiceUnavailable, 50302},
	{"system.unknown_pod", http.StatusBadRequest, 40010},
	{"system.tenant_placed", http.StatusConflict, 40910},
	{"system.unknown_node", http.StatusBadRequest, 40011},
	{"system.primary_up", http.StatusConflict, 40911},
	{"auth.service_token_invalid", http.StatusBadGateway, 50201},
	{"identity.invalid", http.StatusBadRequest, 41001},
	{"identity.frontend_taken", http.StatusConflict, 41003},
	{"money.invalid_amount", http.StatusBadRequest, 41101},
	{"money.unknown_currency", http.StatusBadRequest, 41102},
	{"money.currency_mismatch", http.StatusBadRequest, 41103},
	{"money.overflow", http.StatusBadRequest, 41104},
	{"catalog.sku_not_found", http.StatusNotFound, 42001},
	{"catalog.invalid_sku", http.StatusBadRequest, 42002},
	{"catalog.invalid_cursor", http.StatusBadRequest, 42003},
	{"pricing.empty_cart", http.StatusBadRequest, 42101},
	{"pricing.invalid_item", http.StatusBadRequest, 42102},
	{"pricing.mixed_currency", http.StatusBadRequest, 42103},
	{"pricing.price_changed", http.StatusConflict, 42104},
	{"pricing.invalid_price_list", http.StatusBadRequest, 42105},
	{"pricing.price_list_not_found", http.StatusNotFound, 42106},
	{"pricing.not_priced", http.StatusBadRequest, 42107},
	{"pricing.disabled", http.StatusServiceUnavailable, 42108},
	{"inventory.insufficient_stock", http.StatusConflict, 43001},
	{"inventory.reservation_cancelled", http.StatusConflict, 43002},
	{"inventory.reservation_confirmed", http.StatusConflict, 43003},
	{"inventory.reservation_not_found", http.StatusNotFound, 43004},
	{"inventory.on_hand_below_committed", http.StatusConflict, 43005},
	{"inventory.invalid_quantity", http.StatusBadRequest, 43006},
	{"inventory.level_not_found", http.StatusNotFound, 43007},
	{"inventory.invalid_warehouse", http.StatusBadRequest, 43008},
	{"inventory.warehouse_not_found", http.StatusNotFound, 43009},
	{"inventory.warehouse_in_use", http.StatusConflict, 43010},
	{"order.invalid_transition", http.StatusConflict, 44001},
	{"order.not_found", http.StatusNotFound, 44002},
	{"order.trade_not_found", http.StatusNotFound, 44003},
	{"order.invalid_address", http.StatusBadRequest, 44004},
	{"order.invalid_shipment", http.StatusBadRequest, 44005},
	{"order.concurrent_update", http.StatusConflict, 44006},
	{"order.invalid_cursor", http.StatusBadRequest, 44007},
	{"order.rejected", http.StatusUnprocessableEntity, 44008},
	{"order.no_deposit", http.StatusBadRequest, 44009},
	{"payment.not_found", http.StatusNotFound, 45001},
	{"payment.unknown_method", http.StatusBadRequest, 45002},
	{"payment.invalid_signature", http.StatusUnauthorized, 45003},
	{"payment.invalid_callback", http.StatusBadRequest, 45004},
	{"payment.amount_mismatch", http.StatusConflict, 45005},
	{"payment.nothing_to_pay", http.StatusConflict, 45006},
	{"payment.provider_unavailable", http.StatusServiceUnavailable, 45007},
	{"payment.already_settled", http.StatusConflict, 45008},
	{"payment.not_refundable", http.StatusConflict, 45009},
	{"payment.refund_exceeds_payment", http.StatusConflict, 45010},
	{"payment.refund_not_found", http.StatusNotFound, 45011},
	{"payment.invalid_purpose", http.StatusBadRequest, 45012},
	{"payment.offline_refund", http.StatusConflict, 45013},
	{"payment.invalid_cursor", http.StatusBadRequest, 45014},
	{"extensions.script_failed", http.StatusUnprocessableEntity, 46001},
	{"extensions.budget_exceeded", http.StatusUnprocessableEntity, 46002},
	{"extensions.invalid_output", http.StatusUnprocessableEntity, 46003},
	{"extensions.invalid_script", http.StatusBadRequest, 46004},
	{"extensions.unknown_point", http.StatusBadRequest, 46005},
	{"extensions.input_too_large", http.StatusBadRequest, 46006},
	{"extensions.script_not_found", http.StatusNotFound, 46007},
	{"extensions.nothing_to_roll_back", http.StatusConflict, 46008},
	{"extensions.invalid_scope", http.StatusBadRequest, 46009},
	{"extensions.fixture_failed", http.StatusBadRequest, 46010},
	{"extensions.invalid_input", http.StatusBadRequest, 46011},
	{"extensions.breaker_open", http.StatusServiceUnavailable, 46012},
	{"discount.invalid_promotion", http.StatusBadRequest, 47001},
	{"discount.invalid_coupon", http.StatusBadRequest, 47002},
	{"discount.promotion_not_found", http.StatusNotFound, 47003},
	{"discount.coupon_not_found", http.StatusNotFound, 47004},
	{"discount.coupon_not_applicable", http.StatusUnprocessableEntity, 47005},
	{"discount.coupon_exhausted", http.StatusConflict, 47006},
	{"discount.coupon_user_limit", http.StatusConflict, 47007},
	{"discount.budget_exhausted", http.StatusConflict, 47008},
	{"discount.too_many_coupons", http.StatusBadRequest, 47009},
	{"discount.invalid_campaign", http.StatusBadRequest, 47012},
	{"discount.campaign_not_found", http.StatusNotFound, 47013},
	{"discount.budget_below_spent", http.StatusConflict, 47014},
	{"discount.disabled", http.StatusServiceUnavailable, 47015},
	{"discount.invalid_cursor", http.StatusBadRequest, 47016},
	{"limits.invalid_rule", http.StatusBadRequest, 48001},
	{"limits.rule_not_found", http.StatusNotFound, 48002},
	{"limits.exceeded", http.StatusConflict, 48003},
	{"limits.first_order_only", http.StatusConflict, 48004},
	{"limits.rejected", http.StatusUnprocessableEntity, 48005},
	{"limits.disabled", http.StatusServiceUnavailable, 48006},
	{"delivery.invalid_template", http.StatusBadRequest, 49001},
	{"delivery.disabled", http.StatusServiceUnavailable, 49002},
	{"delivery.region_not_delivered", http.StatusConflict, 49003},
	{"presale.invalid_campaign", http.StatusBadRequest, 51001},
	{"presale.campaign_not_found", http.StatusNotFound, 51002},
	{"presale.campaign_cancelled", http.StatusConflict, 51003},
	{"presale.sku_not_in_campaign", http.StatusBadRequest, 51004},
	{"presale.deposit_window_closed", http.StatusConflict, 51005},
	{"presale.balance_window_not_open", http.StatusConflict, 51006},
	{"presale.per_user_limit", http.StatusConflict, 51007},
	{"presale.campaign_required", http.StatusBadRequest, 51008},
	{"presale.trade_not_found", http.StatusNotFound, 51009},
	{"presale.deposit_not_paid", http.StatusConflict, 51010},
	{"presale.invalid_cursor", http.StatusBadRequest, 51011},
	{"trade.flow_not_found", http.StatusNotFound, 52001},
	{"trade.invalid_move", http.StatusConflict, 52002},
	{"trade.concurrent_move", http.StatusConflict, 52003},
	{"trade.unknown_flow", http.StatusBadRequest, 52004},
	{"address.region_not_found", http.StatusNotFound, 54001},
	{"address.invalid_text", http.StatusBadRequest, 54002},
	{"stats.invalid_range", http.StatusBadRequest, 55001},
	{"aftersale.invalid_request", http.StatusBadRequest, 56001},
	{"aftersale.not_found", http.StatusNotFound, 56002},
	{"aftersale.invalid_transition", http.StatusConflict, 56003},
	{"aftersale.unknown_line", http.StatusBadRequest, 56004},
	{"aftersale.quantity_exceeds_remaining", http.StatusConflict, 56005},
	{"aftersale.not_eligible", http.StatusConflict, 56006},
	{"aftersale.window_passed", http.StatusConflict, 56007},
	{"aftersale.not_returnable", http.StatusConflict, 56008},
	{"aftersale.invalid_amount", http.StatusBadRequest, 56009},
	{"aftersale.refused", http.StatusUnprocessableEntity, 56010},
	{"aftersale.invalid_policy", http.StatusBadRequest, 56011},
	{"aftersale.invalid_cursor", http.StatusBadRequest, 56012},
	{"aftersale.concurrent_update", http.StatusConflict, 56013},
	{"auction.invalid_auction", http.StatusBadRequest, 57001},
	{"auction.not_found", http.StatusNotFound, 57002},
	{"auction.not_running", http.StatusConflict, 57003},
	{"auction.closed", http.StatusConflict, 57004},
	{"auction.bid_too_low", http.StatusConflict, 57005},
	{"auction.own_bid", http.StatusConflict, 57006},
	{"auction.invalid_bid", http.StatusBadRequest, 57007},
	{"auction.deposit_required", http.StatusConflict, 57008},
	{"auction.not_settleable", http.StatusConflict, 57009},
	{"auction.deposit_transition", http.StatusConflict, 57010},
	{"auction.deposit_not_found", http.StatusNotFound, 57011},
	{"auction.no_second_chance", http.StatusConflict, 57012},
	{"auction.invalid_decision", http.StatusBadRequest, 57013},
	{"auction.invalid_cursor", http.StatusBadRequest, 57014},
	{"cod.invalid_rules", http.StatusBadRequest, 53001},
	{"cod.disabled", http.StatusConflict, 53002},
	{"cod.currency_not_accepted", http.StatusConflict, 53003},
	{"cod.address_required", http.StatusBadRequest, 53004},
	{"cod.region_not_served", http.StatusConflict, 53005},
	{"cod.excluded_item", http.StatusConflict, 53006},
	{"cod.amount_over_limit", http.StatusConflict, 53007},
	{"cod.too_many_refusals", http.StatusConflict, 53008},
	{"cod.check_failed", http.StatusConflict, 53009},
	{"cod.rejected", http.StatusConflict, 53010},
	{"cod.collection_required", http.StatusBadRequest, 53011},
	{"cod.collection_mismatch", http.StatusConflict, 53012},
	{"cod.invalid_outcome", http.StatusBadRequest, 53013},
}

// ErrorTable is every row of the table (a test of the whole binary checks it against every code
// declared anywhere).
func ErrorTable() []ErrorSpec { return slices.Clone(errorTable) }

var errorIndex = func() map[string]ErrorSpec {
	m := make(map[string]ErrorSpec, len(errorTable))
	for _, s := range errorTable {
		m[s.Code] = s
	}
	return m
}()

// specFor returns the row for a code; a code missing from the table (a test forbids it) falls
// back to its kind so that a client still gets a sensible status.
func specFor(e *errkind.Error) ErrorSpec {
	if s, ok := errorIndex[e.Code()]; ok {
		return s
	}
	switch e.Kind() {
	case errkind.Invalid:
		return ErrorSpec{e.Code(), http.StatusBadRequest, 40000}
	case errkind.NotFound:
		return ErrorSpec{e.Code(), http.StatusNotFound, 40400}
	case errkind.Conflict, errkind.Exhausted:
		return ErrorSpec{e.Code(), http.StatusConflict, 40900}
	case errkind.Unauthenticated:
		return ErrorSpec{e.Code(), http.StatusUnauthorized, 40100}
	case errkind.Forbidden:
		return ErrorSpec{e.Code(), http.StatusForbidden, 40300}
	case errkind.Unavailable:
		return ErrorSpec{e.Code(), http.StatusServiceUnavailable, 50300}
	}
	return ErrorSpec{e.Code(), http.StatusInternalServerError, 50000}
}
