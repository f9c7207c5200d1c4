// Package rpctls is mutual TLS between the platform's roles over Kitex. Kitex's default
// transport (netpoll) has no TLS, so a TLS node runs Kitex over its Go-net transport instead: the
// server accepts on a crypto/tls listener that requires a client certificate signed by the
// configured CA, and clients dial with crypto/tls, presenting their own certificate and checking
// the server's against the same CA. Certificates and the CA are read from files and read again
// when the files change (checked at most once a second, on the next handshake), so a rotation by
// cert-manager or a mounted secret needs no restart; a change that does not load (a half-written
// pair) keeps the last good one.
//
// Written here because Kitex ships no TLS for its Go-net transport, only the hooks: a listener,
// a dialer, and connections that expose bufiox readers (what conn wraps).
package rpctls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/gopkg/bufiox"
	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/remote"
	"github.com/cloudwego/kitex/pkg/remote/trans/gonet"
	"github.com/cloudwego/kitex/server"
)

// Config names the files of a node's certificate and the CA its peers' certificates are signed
// by. Empty: no TLS.
type Config struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	CA   string `yaml:"ca"`
	// ServerName is the name a client expects in the server's certificate (default: the host it
	// dials).
	ServerName string `yaml:"serverName"`
}

// On reports whether TLS is configured.
func (c Config) On() bool { return c.Cert != "" || c.Key != "" || c.CA != "" }

// Validate reports a configuration that cannot work: all three files or none.
func (c Config) Validate() error {
	if !c.On() {
		return nil
	}
	if c.Cert == "" || c.Key == "" || c.CA == "" {
		return errors.New("rpctls: cert, key and ca are all needed")
	}
	return nil
}

// Files are a node's certificate and CA, loaded and reloaded from their files.
type Files struct {
	cfg     Config
	mu      sync.Mutex
	checked time.Time
	stamp   string // the files' sizes and modification times when last loaded
	cur     atomic.Pointer[material]
	// OnReload, if set, hears each reload (nil error) or a change that did not load.
	OnReload func(err error)
}

type material struct {
	cert tls.Certificate
	pool *x509.CertPool
}

// Load reads the files.
func Load(cfg Config) (*Files, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &Files{cfg: cfg}
	m, stamp, err := f.read()
	if err != nil {
		return nil, err
	}
	f.cur.Store(m)
	f.stamp, f.checked = stamp, time.Now()
	return f, nil
}

func (f *Files) stampNow() string {
	s := ""
	for _, p := range []string{f.cfg.Cert, f.cfg.Key, f.cfg.CA} {
		if fi, err := os.Stat(p); err == nil {
			s += fmt.Sprintf("%d/%d;", fi.Size(), fi.ModTime().UnixNano())
		} else {
			s += "missing;"
		}
	}
	return s
}

func (f *Files) read() (*material, string, error) {
	stamp := f.stampNow()
	cert, err := tls.LoadX509KeyPair(f.cfg.Cert, f.cfg.Key)
	if err != nil {
		return nil, "", fmt.Errorf("rpctls: certificate: %w", err)
	}
	caPEM, err := os.ReadFile(f.cfg.CA)
	if err != nil {
		return nil, "", fmt.Errorf("rpctls: ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, "", fmt.Errorf("rpctls: ca %s holds no PEM certificate", f.cfg.CA)
	}
	return &material{cert: cert, pool: pool}, stamp, nil
}

// current is the loaded material, read again first if the files changed (at most once a second).
func (f *Files) current() *material {
	f.mu.Lock()
	defer f.mu.Unlock()
	if time.Since(f.checked) >= time.Second {
		f.checked = time.Now()
		if stamp := f.stampNow(); stamp != f.stamp {
			m, stamp, err := f.read()
			if err == nil {
				f.cur.Store(m)
				f.stamp = stamp
			}
			if f.OnReload != nil {
				f.OnReload(err)
			}
		}
	}
	return f.cur.Load()
}

// serverConfig requires and verifies a client certificate signed by the CA.
func (f *Files) serverConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		m := f.current()
		return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{m.cert}, ClientCAs: m.pool,
			ClientAuth: tls.RequireAndVerifyClientCert}, nil
	}}
}

func (f *Files) clientConfig(host string) *tls.Config {
	m := f.current()
	name := f.cfg.ServerName
	if name == "" {
		name = host
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{m.cert}, RootCAs: m.pool, ServerName: name}
}

// ServerOptions run a Kitex server on ln over TLS, on the Go-net transport.
func (f *Files) ServerOptions(ln net.Listener) []server.Option {
	return []server.Option{
		server.WithListener(tls.NewListener(ln, f.serverConfig())),
		server.WithTransServerFactory(gonet.NewTransServerFactory()),
		server.WithTransHandlerFactory(gonet.NewSvrTransHandlerFactory()),
	}
}

// ClientOptions make a Kitex client dial over TLS, on the Go-net transport.
func (f *Files) ClientOptions() []client.Option {
	return []client.Option{
		client.WithTransHandlerFactory(gonet.NewCliTransHandlerFactory()),
		client.WithDialer(dialer{f}),
	}
}

type dialer struct{ f *Files }

var _ remote.Dialer = dialer{}

// DialTimeout connects and completes the handshake within timeout.
func (d dialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	nd := &net.Dialer{Timeout: timeout}
	c, err := tls.DialWithDialer(nd, network, address, d.f.clientConfig(host))
	if err != nil {
		return nil, err
	}
	return newConn(c), nil
}

// conn is a TLS connection as the Go-net transport reads and writes it: through bufiox buffers
// it takes from the connection (as Kitex's own gonet connections give them).
type conn struct {
	net.Conn
	r      *bufiox.DefaultReader
	w      *bufiox.DefaultWriter
	closed atomic.Bool
}

func newConn(c net.Conn) *conn {
	return &conn{Conn: c, r: bufiox.NewDefaultReader(c), w: bufiox.NewDefaultWriter(c)}
}

func (c *conn) Reader() *bufiox.DefaultReader { return c.r }
func (c *conn) Writer() *bufiox.DefaultWriter { return c.w }
func (c *conn) Read(b []byte) (int, error)    { return c.r.Read(b) }

func (c *conn) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return net.ErrClosed
	}
	c.r.Release(nil)
	return c.Conn.Close()
}
