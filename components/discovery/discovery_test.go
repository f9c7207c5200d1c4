package discovery_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/discovery"
)

func TestAdvertised(t *testing.T) {
	tcp := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	for _, c := range []struct {
		advertise string
		listen    net.Addr
		want, err string
	}{
		{"", tcp("10.0.0.5:8888"), "10.0.0.5:8888", ""},
		{"10.0.0.9:7000", tcp("0.0.0.0:8888"), "10.0.0.9:7000", ""},
		{"", tcp("0.0.0.0:8888"), "", "set rpc.advertise"},
		{"", tcp("[::]:8888"), "", "set rpc.advertise"},
		{"0.0.0.0:8888", tcp("0.0.0.0:8888"), "", "give the host and port"},
		{"10.0.0.9", tcp("10.0.0.5:8888"), "", "rpc.advertise"},
	} {
		got, err := discovery.Advertised(c.advertise, c.listen)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("Advertised(%q, %s) = %v, %v; want an error saying %q", c.advertise, c.listen, got, err, c.err)
		case c.err == "" && (err != nil || got.String() != c.want):
			t.Errorf("Advertised(%q, %s) = %v, %v; want %s", c.advertise, c.listen, got, err, c.want)
		}
	}
}

func TestEtcdValidate(t *testing.T) {
	if (discovery.Etcd{}).On() {
		t.Fatal("etcd on without endpoints")
	}
	if err := (discovery.Etcd{Endpoints: []string{"http://10.0.0.2:2379"}, Prefix: "prod/atrium"}).Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []discovery.Etcd{
		{Endpoints: []string{" "}},
		{Endpoints: []string{"http://e:2379"}, Prefix: "a b"},
		{Endpoints: []string{"http://e:2379"}, DialTimeout: -time.Second},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestResolverNames: Kitex caches resolved instances by resolver name, process-wide; resolvers
// of different clusters or prefixes must not share one.
func TestResolverNames(t *testing.T) {
	names := map[string]bool{}
	for _, e := range []discovery.Etcd{
		{Endpoints: []string{"http://127.0.0.1:2379"}},
		{Endpoints: []string{"http://127.0.0.1:2379"}, Prefix: "other"},
		{Endpoints: []string{"http://127.0.0.2:2379"}},
	} {
		r, err := e.Resolver()
		if err != nil {
			t.Fatal(err)
		}
		names[r.Name()] = true
	}
	if len(names) != 3 {
		t.Fatalf("resolver names %v; want 3 distinct", names)
	}
}
