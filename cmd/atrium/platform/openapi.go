package platform

import (
	"io"
	"log/slog"
	"strings"

	"github.com/atriumtrade/atrium/access-layer/gateway"
	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/capability/payment"
)

// enums are the platform's enumerations the API's document lists: every order status of every
// flow's lifecycle, and the flows.
func enums() map[string][]string {
	var statuses, flows []string
	for _, s := range order.AllStatuses() {
		statuses = append(statuses, string(s))
	}
	for _, sc := range order.Scenarios() {
		flows = append(flows, string(sc))
	}
	return map[string][]string{"orderStatus": statuses, "flow": flows,
		"paymentStatus":  {string(payment.Pending), string(payment.Succeeded), string(payment.Failed), string(payment.Closed)},
		"paymentPurpose": {string(payment.Full), string(payment.Deposit), string(payment.Balance), string(payment.CODCollection)},
		"refundStatus":   {string(payment.RefundPending), string(payment.RefundSucceeded)}}
}

// OpenAPIDocument is the API's OpenAPI document as a production access node serves it at
// /openapi.json (without the dev-mode token route), built without serving anything.
func OpenAPIDocument() ([]byte, error) {
	gw, err := gateway.New(gateway.Config{Addr: "127.0.0.1:0", JWTSecret: strings.Repeat("-", 32)}, gateway.Clients{},
		slog.New(slog.NewTextHandler(io.Discard, nil)), gateway.WithEnums(enums()))
	if err != nil {
		return nil, err
	}
	return gw.OpenAPI(), nil
}
