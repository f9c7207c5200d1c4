package platform_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/rpctls"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

// testCA is a certificate authority of a test's own.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue writes a node certificate (server and client use, for 127.0.0.1) with serial into dir and
// returns the TLS configuration naming it and the CA.
func (ca *testCA) issue(t *testing.T, dir string, serial int64) rpctls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "atrium-node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := rpctls.Config{Cert: filepath.Join(dir, "node.crt"), Key: filepath.Join(dir, "node.key"), CA: filepath.Join(dir, "ca.crt")}
	// The pair is written beside and renamed into place, as a secret mount swaps it.
	for path, body := range map[string][]byte{cfg.Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		cfg.Key: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), cfg.CA: ca.pem} {
		if err := os.WriteFile(path+".new", body, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".new", path); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// TestMutualTLSBetweenTheRoles: with rpc.tls on both roles, the platform runs through HTTP →
// Kitex over TLS; a client without TLS, or with a certificate from another CA, cannot call the
// trade node; a certificate renewed on disk is served on the next connections without a
// restart.
func TestMutualTLSBetweenTheRoles(t *testing.T) {
	ca := newCA(t, "atrium test CA")
	dir := t.TempDir()
	tlsCfg := ca.issue(t, dir, 100)
	s := startWith(t, sqliteConfig(t), &clock{t: time.Now()}, func(c *platform.Config) { c.RPC.TLS = tlsCfg })
	admin := s.token("acme", "ops", "", "admin")
	s.seed(admin, "tea", "s1", 1000, 10)
	must(t, s.do("POST", "/app/v1/orders", s.token("acme", "u1", "app", "buyer"), orderBody(item("tea", 1)), "Idempotency-Key", "tls"), 201, "order over TLS")

	addr := s.trade.Addr().String()
	ping := func(rpc platform.RPCConfig) error {
		c, err := platform.NewTradeClients(rpc, addr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Queries.ListOrders(context.Background(), &trade.ListOrdersRequest{Caller: rpcBuyer, Limit: 1})
		return err
	}
	if err := ping(platform.RPCConfig{TLS: tlsCfg}); err != nil {
		t.Fatalf("a client with the node certificate: %v", err)
	}
	if err := ping(platform.RPCConfig{}); err == nil {
		t.Error("a client without TLS was served")
	}
	stranger := newCA(t, "another CA")
	strangerCfg := stranger.issue(t, t.TempDir(), 7)
	strangerCfg.CA = tlsCfg.CA // it trusts the server, the server does not trust it
	if err := ping(platform.RPCConfig{TLS: strangerCfg}); err == nil {
		t.Error("a client whose certificate another CA signed was served")
	}

	// Renewed on disk: new connections get the new certificate (checked at most once a second).
	ca.issue(t, dir, 101)
	pair, err := tls.LoadX509KeyPair(tlsCfg.Cert, tlsCfg.Key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.pem)
	eventually(t, 10*time.Second, "the renewed certificate served", func() bool {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64() == 101
	})
	if err := ping(platform.RPCConfig{TLS: tlsCfg}); err != nil {
		t.Errorf("a client with the renewed certificate: %v", err)
	}
}
