package platform

import (
	"errors"

	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/server"

	"github.com/atriumtrade/atrium/access-layer/gateway"
	"github.com/atriumtrade/atrium/product-layer/tradesvc"
)

// rpcService is one Kitex service of the trade node, on both sides: how the trade role registers
// its handler and how the access role dials its client. rpcServices is the one list of them:
// registerServices and NewTradeClients derive from it, so a service added there is served and
// dialled, and one removed is neither.
type rpcService struct {
	register func(server.Server, *tradesvc.Services) error
	dial     func(*gateway.Clients, []client.Option) error
}

// service pairs a generated service's server and client sides with the handler that serves it
// and the gateway's client field that calls it.
func service[H, C any](reg func(server.Server, H, ...server.RegisterOption) error, newClient func(string, ...client.Option) (C, error),
	handler func(*tradesvc.Services) H, field func(*gateway.Clients) *C) rpcService {
	return rpcService{
		register: func(s server.Server, h *tradesvc.Services) error { return reg(s, handler(h)) },
		dial: func(c *gateway.Clients, opts []client.Option) error {
			cl, err := newClient(ServiceName, opts...)
			*field(c) = cl
			return err
		},
	}
}

// registerServices registers every service's handler on the one server.
func registerServices(svr server.Server, h *tradesvc.Services) error {
	var errs []error
	for _, s := range rpcServices {
		errs = append(errs, s.register(svr, h))
	}
	return errors.Join(errs...)
}

// dialServices dials every service's client with opts.
func dialServices(opts []client.Option) (gateway.Clients, error) {
	var c gateway.Clients
	var errs []error
	for _, s := range rpcServices {
		errs = append(errs, s.dial(&c, opts))
	}
	return c, errors.Join(errs...)
}
