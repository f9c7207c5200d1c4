package platform

import (
	"cmp"
	"encoding"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/atriumtrade/atrium/access-layer/gateway"
	"github.com/atriumtrade/atrium/capability/discount"
	"github.com/atriumtrade/atrium/capability/payment/sandboxpay"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/discovery"
	"github.com/atriumtrade/atrium/components/mq"
	"github.com/atriumtrade/atrium/components/observe"
	"github.com/atriumtrade/atrium/components/rpctls"
	"github.com/atriumtrade/atrium/components/servicetoken"
	"github.com/atriumtrade/atrium/components/toggles"
	"github.com/atriumtrade/atrium/product-layer/audit/auditsql"
	"github.com/atriumtrade/atrium/product-layer/trade"
)

// Config is the whole static configuration: one YAML file with a section per component.
// Environment variables override it: ATRIUM_<SECTION>_<FIELD> in upper case, e.g.
// ATRIUM_DB_DSN, ATRIUM_HTTP_JWTSECRET, ATRIUM_TRADE_UNPAIDWINDOW=10m.
type Config struct {
	HTTP       gateway.Config    `yaml:"http"`
	RPC        RPCConfig         `yaml:"rpc"`
	DB         dal.Config        `yaml:"db"`
	Trade      trade.Config      `yaml:"trade"`
	Sandbox    sandboxpay.Config `yaml:"sandbox"`
	Node       NodeConfig        `yaml:"node"`
	Extensions ExtConfig         `yaml:"extensions"`
	// Discount holds the stacking rules every tenant's promotions obey.
	Discount discount.Rules `yaml:"discount"`
	Cache    CacheConfig    `yaml:"cache"`
	Log      LogConfig      `yaml:"log"`
	Metrics  MetricsConfig  `yaml:"metrics"`
	// Otel exports traces over OTLP/HTTP when otel.endpoint is set.
	Otel    observe.Config `yaml:"otel"`
	Toggles TogglesConfig  `yaml:"toggles"`
	// Apollo is where toggles come from with toggles.source: apollo.
	Apollo toggles.ApolloConfig `yaml:"apollo"`
	// MQ is where the outbox's events go (components/mq): the database itself by default.
	MQ mq.Config `yaml:"mq"`
	// Audit is how often the trade role audits the books, and the bounds past which the auditor
	// calls money or stock stranded.
	Audit AuditConfig `yaml:"audit"`
}

// Validate checks the schedule and the bounds.
func (c AuditConfig) Validate() error {
	if c.Interval < 0 {
		return errors.New("audit: interval must not be negative (0: never)")
	}
	return c.Config.Validate()
}

// AuditConfig schedules the auditor (product-layer/audit) on the trade role.
type AuditConfig struct {
	// Interval is how often the books are audited, by one trade node at a time (default 1m; 0:
	// never, atrium audit still works).
	Interval        time.Duration `yaml:"interval"`
	auditsql.Config `yaml:",inline"`
}

// TogglesConfig says where runtime toggles come from (see components/toggles): values read on
// each use, changed while the server runs.
type TogglesConfig struct {
	// Source is file (the default: File, watched) or apollo (the apollo section, through agollo).
	Source string `yaml:"source"`
	// File is the YAML file of toggles, watched and reloaded when it changes (default
	// configs/toggles.yaml; a missing file leaves every toggle at its default).
	File string `yaml:"file"`
	// Poll is how often the file is read in case a change event was missed (default 1s).
	Poll time.Duration `yaml:"poll"`
}

// MetricsConfig says where a trade role running on its own serves /metrics (with the access
// role in the same process, the gateway's /metrics has the trade role's series too).
type MetricsConfig struct {
	// Addr is the trade role's metrics listener (default 127.0.0.1:9464; empty: none).
	Addr string `yaml:"addr"`
}

// LogConfig says how the process logs (to stderr).
type LogConfig struct {
	// Format is text (the default, for a terminal) or json (one object per line, for collectors).
	Format string `yaml:"format"`
	// Level is debug, info (the default), warn or error.
	Level string `yaml:"level"`
}

// Logger is the process's logger as configured: a line logged with a request's context names its
// trace, request id and tenant (observe.LogHandler).
func (c LogConfig) Logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cmp.Or(c.Level, "info"))); err != nil {
		return nil, fmt.Errorf("log: level must be debug, info, warn or error, not %q", c.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.Format {
	case "", "text":
		return slog.New(observe.LogHandler(slog.NewTextHandler(w, opts))), nil
	case "json":
		return slog.New(observe.LogHandler(slog.NewJSONHandler(w, opts))), nil
	}
	return nil, fmt.Errorf("log: format must be text or json, not %q", c.Format)
}

// CacheConfig configures the per-tenant cache of configuration the order path reads on every
// order: promotions, limit rules, shipping templates and price lists.
type CacheConfig struct {
	// TTL is how long a node keeps what it read (default 1s; 0 or negative: read every time).
	// A change made through a node applies there at once and on the others when its
	// cache.invalidated event reaches them; the TTL bounds a node that missed it.
	TTL time.Duration `yaml:"ttl"`
}

// ExtConfig configures extension scripts.
type ExtConfig struct {
	// ReloadInterval is how often a node checks for publishes and rollbacks (default 500ms,
	// so a publish applies everywhere within about a second).
	ReloadInterval time.Duration `yaml:"reloadInterval"`
	// Wall is the default time budget of one script call (default 5ms); points may set their own.
	Wall time.Duration `yaml:"wall"`
	// Concurrency bounds script calls running at once (default 4 × CPUs).
	Concurrency int `yaml:"concurrency"`
}

// RPCConfig is the trade service's Kitex endpoint, and how the access role finds its nodes.
type RPCConfig struct {
	// Addr is where the trade role listens, and the node the access role dials when neither
	// Targets nor Etcd is set.
	Addr string `yaml:"addr"`
	// Timeout bounds one RPC (default 10s).
	Timeout time.Duration `yaml:"timeout"`
	// Targets are the trade nodes the access role balances between (host:port each).
	Targets []string `yaml:"targets"`
	// Etcd, with endpoints, is where each trade node registers itself and the access role finds
	// them (Targets is then ignored).
	Etcd discovery.Etcd `yaml:"etcd"`
	// Advertise is the host:port a trade node registers in etcd (default: the address it listens
	// on, which must then name one host).
	Advertise string `yaml:"advertise"`
	// Auth is the key ring of the service tokens every call from an access node carries and
	// every trade node verifies (components/servicetoken). A trade node listening beyond
	// loopback refuses to start without it, unless Insecure says so on purpose.
	Auth servicetoken.Config `yaml:"auth"`
	// Insecure lets a trade node listen beyond loopback without service tokens (a private
	// network trusted as a whole).
	Insecure bool `yaml:"insecure"`
	// TLS, with cert, key and ca, is mutual TLS between the roles (components/rpctls): the same
	// on every node of both roles.
	TLS rpctls.Config `yaml:"tls"`
}

// Validate checks the RPC section.
func (c RPCConfig) Validate() error {
	if c.Addr == "" {
		return errors.New("rpc: addr is required")
	}
	if err := c.Auth.Validate(); err != nil {
		return fmt.Errorf("rpc.auth: %w", err)
	}
	if err := c.TLS.Validate(); err != nil {
		return fmt.Errorf("rpc.tls: %w", err)
	}
	for _, t := range c.Targets {
		if _, _, err := net.SplitHostPort(t); err != nil {
			return fmt.Errorf("rpc.targets: %q is not host:port", t)
		}
	}
	if c.Advertise != "" {
		if _, _, err := net.SplitHostPort(c.Advertise); err != nil {
			return fmt.Errorf("rpc.advertise: %q is not host:port", c.Advertise)
		}
	}
	return c.Etcd.Validate()
}

// NodeConfig identifies this process among those sharing a database.
type NodeConfig struct {
	// ID is 0..1023, distinct per node and stable across its restarts (a restarted node takes back
	// the timers it was running when it stopped); -1 picks one at random.
	ID int `yaml:"id"`
	// TimerInterval is how often due timers are polled (default 1s).
	TimerInterval time.Duration `yaml:"timerInterval"`
}

// Defaults is the all-in-one configuration of a fresh machine.
func Defaults() Config {
	return Config{
		HTTP:       gateway.Config{Addr: "127.0.0.1:8080", RequestTimeout: 10 * time.Second},
		RPC:        RPCConfig{Addr: "127.0.0.1:8888", Timeout: 10 * time.Second},
		DB:         dal.Config{Driver: "sqlite", DataDir: "./data"},
		Trade:      trade.Config{UnpaidWindow: 30 * time.Minute, HotHold: time.Minute},
		Sandbox:    sandboxpay.Config{Tolerance: 5 * time.Minute},
		Node:       NodeConfig{ID: -1, TimerInterval: time.Second},
		Extensions: ExtConfig{ReloadInterval: 500 * time.Millisecond, Wall: 5 * time.Millisecond},
		Cache:      CacheConfig{TTL: time.Second},
		Toggles:    TogglesConfig{Source: "file", File: "configs/toggles.yaml", Poll: time.Second},
		Metrics:    MetricsConfig{Addr: "127.0.0.1:9464"},
		Audit:      AuditConfig{Interval: time.Minute, Config: auditsql.DefaultConfig()},
	}
}

// Load reads path (if not empty) over the defaults, then applies environment overrides.
func Load(path string) (Config, error) { return LoadEnv(path, os.Environ()) }

// LoadEnv is Load with environ in place of the process's environment (a container's, checked by
// the deployment tests).
func LoadEnv(path string, environ []string) (Config, error) {
	cfg := Defaults()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := applyEnv(reflect.ValueOf(&cfg).Elem(), "ATRIUM", environ); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Validate checks every section.
func (c Config) Validate() error {
	return errors.Join(c.HTTP.Validate(), c.DB.Validate(), c.Trade.Validate(), c.Sandbox.Validate(), c.Discount.Validate(), c.MQ.Validate(), c.Audit.Validate(), c.rpcValidate(), c.podsValidate())
}

// podsValidate refuses the SQL broker on several pods: its queue would live in one pod while
// each consumer's inbox and effects are in its tenant's pod, in one transaction with the queue's.
func (c Config) podsValidate() error {
	if len(c.DB.Pods) > 1 && (c.MQ.Broker == "" || c.MQ.Broker == "sql") {
		return errors.New("mq: a database of several pods needs a broker outside it (mq.broker: nats, rabbitmq or kafka)")
	}
	return nil
}

func (c Config) rpcValidate() error {
	if err := c.Otel.Validate(); err != nil {
		return err
	}
	if _, err := c.Log.Logger(io.Discard); err != nil {
		return err
	}
	if s := c.Toggles.Source; s != "" && s != "file" && s != "apollo" {
		return fmt.Errorf("toggles: source must be file or apollo, not %q", s)
	}
	if err := c.RPC.Validate(); err != nil {
		return err
	}
	if c.Extensions.ReloadInterval < 10*time.Millisecond || c.Extensions.ReloadInterval > time.Minute {
		return errors.New("extensions: reloadInterval must be between 10ms and 1m")
	}
	if c.Extensions.Wall < 0 || c.Extensions.Wall > time.Second || c.Extensions.Concurrency < 0 {
		return errors.New("extensions: wall must be at most 1s and concurrency not negative")
	}
	return nil
}

// applyEnv sets fields from ATRIUM_SECTION_FIELD variables (names are the yaml keys, upper-cased).
func applyEnv(v reflect.Value, prefix string, environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, val, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, prefix+"_") {
			env[k] = val
		}
	}
	var walk func(v reflect.Value, name string) error
	walk = func(v reflect.Value, name string) error {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" && opts == "inline" && f.Type.Kind() == reflect.Struct { // its keys are its parent's
				if err := walk(v.Field(i), name); err != nil {
					return err
				}
				continue
			}
			if tag == "" || tag == "-" {
				continue
			}
			key := name + "_" + strings.ToUpper(tag)
			fv := v.Field(i)
			if fv.Kind() == reflect.Struct {
				if err := walk(fv, key); err != nil {
					return err
				}
				continue
			}
			s, ok := env[key]
			if !ok {
				continue
			}
			if err := setField(fv, s); err != nil {
				return fmt.Errorf("config: %s=%q: %w", key, s, err)
			}
		}
		return nil
	}
	return walk(v, prefix)
}

func setField(fv reflect.Value, s string) error {
	if u, ok := fv.Addr().Interface().(encoding.TextUnmarshaler); ok { // a type that reads itself (a key ring)
		return u.UnmarshalText([]byte(s))
	}
	switch {
	case fv.Type() == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		fv.SetInt(int64(d))
	case fv.Kind() == reflect.String:
		fv.SetString(s)
	case fv.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		fv.SetBool(b)
	case fv.Kind() == reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		fv.SetInt(int64(n))
	case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
		parts := strings.Split(s, ",")
		fv.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("unsupported field type %s", fv.Type())
	}
	return nil
}
