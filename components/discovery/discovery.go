// Package discovery is how the access role finds the trade role's nodes: the one address it is
// given, a static list, or etcd. Through etcd each trade node registers itself under a lease
// that it keeps alive (a node that stops gracefully leaves the list at once; one that dies, when
// its lease runs out) and the access role resolves the list, refreshed as Kitex refreshes its
// discovery cache. The etcd side is kitex-contrib/registry-etcd; this package only turns the
// configuration into its registry and resolver, and says what a node registers.
package discovery

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/cloudwego/kitex/pkg/discovery"
	"github.com/cloudwego/kitex/pkg/registry"
	etcd "github.com/kitex-contrib/registry-etcd"
)

// Etcd is the etcd cluster the trade nodes register with and the access role resolves from.
type Etcd struct {
	// Endpoints are the cluster's client URLs (e.g. http://10.0.0.2:2379); none turns etcd off.
	Endpoints []string `yaml:"endpoints"`
	Username  string   `yaml:"username"`
	Password  string   `yaml:"password"`
	// Prefix is the key prefix of the registrations (default atrium/registry): deployments that
	// share a cluster keep apart by it.
	Prefix string `yaml:"prefix"`
	// DialTimeout bounds reaching the cluster (default 5s).
	DialTimeout time.Duration `yaml:"dialTimeout"`
}

// DefaultPrefix is the key prefix of the registrations when none is set.
const DefaultPrefix = "atrium/registry"

// On reports whether etcd is configured.
func (e Etcd) On() bool { return len(e.Endpoints) > 0 }

// Validate checks the configuration.
func (e Etcd) Validate() error {
	for _, ep := range e.Endpoints {
		if strings.TrimSpace(ep) == "" {
			return errors.New("rpc.etcd.endpoints: an endpoint is empty")
		}
	}
	if strings.Contains(e.Prefix, " ") {
		return fmt.Errorf("rpc.etcd.prefix %q: no spaces", e.Prefix)
	}
	if e.DialTimeout < 0 {
		return errors.New("rpc.etcd.dialTimeout must not be negative")
	}
	return nil
}

func (e Etcd) options() []etcd.Option {
	prefix, timeout := e.Prefix, e.DialTimeout
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	opts := []etcd.Option{etcd.WithEtcdServicePrefix(strings.TrimSuffix(prefix, "/")), etcd.WithDialTimeoutOpt(timeout)}
	if e.Username != "" {
		opts = append(opts, etcd.WithAuthOpt(e.Username, e.Password))
	}
	return opts
}

// Registry is a trade node's registration in etcd. Kitex registers the node a second after its
// server listens (a failure stops the server) and deregisters it when the server stops;
// registered, if not nil, is told each registration.
func (e Etcd) Registry(registered func(*registry.Info)) (registry.Registry, error) {
	r, err := etcd.NewEtcdRegistry(e.Endpoints, e.options()...)
	if err != nil {
		return nil, fmt.Errorf("discovery: etcd registry: %w", err)
	}
	return &once{Registry: r, registered: registered}, nil
}

// once deregisters only what it registered: registry-etcd's Deregister assumes a registration
// and panics without one, and Kitex deregisters a server stopped within its first second too.
type once struct {
	registry.Registry
	registered func(*registry.Info)
	mu         sync.Mutex
	on         bool
}

func (o *once) Register(info *registry.Info) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.Registry.Register(info); err != nil {
		return fmt.Errorf("discovery: registering %s at %s in etcd: %w", info.ServiceName, info.Addr, err)
	}
	o.on = true
	if o.registered != nil {
		o.registered(info)
	}
	return nil
}

func (o *once) Deregister(info *registry.Info) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.on {
		return nil
	}
	o.on = false
	return o.Registry.Deregister(info)
}

// Resolver resolves the trade nodes registered in etcd.
func (e Etcd) Resolver() (discovery.Resolver, error) {
	r, err := etcd.NewEtcdResolver(e.Endpoints, e.options()...)
	if err != nil {
		return nil, fmt.Errorf("discovery: etcd resolver: %w", err)
	}
	prefix := e.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return named{Resolver: r, name: "etcd:" + strings.Join(e.Endpoints, ",") + "/" + prefix}, nil
}

// named gives a resolver a name of its cluster and prefix. Kitex caches the instances it
// resolves under the resolver's name, process-wide, and registry-etcd names every resolver
// "etcd": two configurations in one process (a test run twice) would share one list.
type named struct {
	discovery.Resolver
	name string
}

func (n named) Name() string { return n.name }

// Advertised is the address a node listening on listen registers: advertise if set, else the
// listener's own address, which must then name one host (a node listening on every interface
// cannot tell which of its addresses the others reach it by).
func Advertised(advertise string, listen net.Addr) (net.Addr, error) {
	if advertise != "" {
		a, err := net.ResolveTCPAddr("tcp", advertise)
		if err != nil {
			return nil, fmt.Errorf("rpc.advertise %q: %w", advertise, err)
		}
		if a.IP == nil || a.IP.IsUnspecified() || a.Port == 0 {
			return nil, fmt.Errorf("rpc.advertise %q: give the host and port others reach this node at", advertise)
		}
		return a, nil
	}
	a, ok := listen.(*net.TCPAddr)
	if !ok || a.IP == nil || a.IP.IsUnspecified() {
		return nil, fmt.Errorf("the trade service listens on %s, every interface: set rpc.advertise to the host:port other nodes reach it at", listen)
	}
	return a, nil
}
