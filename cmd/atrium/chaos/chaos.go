// Package chaos is atrium chaos: a campaign that runs the real binary (all in one, or an access
// node and two trade nodes found through etcd), drives every flow from many buyers while it
// injects faults on a seeded schedule, waits for the platform to settle, and then checks the
// books twice: with the auditor (product-layer/audit, a full run) and against what the clients
// were told (every acknowledged order exists once, every acknowledged payment is settled once,
// no buyer is charged for an order that does not exist, a key answers one thing).
//
// It is written by hand because what it does is this platform's own: a load tool would drive the
// requests but know nothing of which answer acknowledged what, and fault injectors (Toxiproxy,
// Chaos Mesh) act on networks and pods, not on a process, a database server and a payment
// provider's callbacks on one machine. The schedule of faults and each buyer's choices are drawn
// from the seed, so a seed replays the same campaign (what the platform answers still depends on
// timing).
package chaos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/atriumtrade/atrium/capability/payment/sandboxpay"
	"github.com/atriumtrade/atrium/components/dal"
)

// Options of a campaign.
type Options struct {
	// Bin is the atrium binary the campaign runs.
	Bin string
	// Duration is how long buyers trade and faults are injected; settling and checking come after.
	Duration time.Duration
	// Seed draws the fault schedule and the buyers' choices.
	Seed uint64
	// DB is the campaign's database: SQLite (DataDir) or MySQL (DSN of an empty database).
	DB dal.Config
	// Etcd, with MySQL, runs an access node and two trade nodes found through this etcd
	// (host:port); else one all-in-one process.
	Etcd string
	// NATS is the nats-server binary: the platform's events then go to a NATS of the
	// campaign's own, which is stopped and started. Empty: events stay in the database.
	NATS string
	// Buyers is how many buyers trade at once.
	Buyers int
	// Work is the directory of the nodes' logs, configuration and (SQLite) data.
	Work string
	// Out shows progress and the summary.
	Out io.Writer
}

const (
	tenant      = "chaos"
	unpaid      = 15 * time.Second // the campaign's trade.unpaidWindow
	timerPoll   = 200 * time.Millisecond
	readyWithin = 60 * time.Second
)

// campaign is one run: its processes, clients and tallies.
type campaign struct {
	o        Options
	secret   string // JWT and sandbox secret of every node
	base     string // the access layer's URL
	toggles  string // the toggles file every node watches
	nodes    []*proc
	trades   []*proc // the nodes that hold the trade role
	broker   *proc
	natsURL  string
	sandbox  *sandboxpay.Provider // signs the callbacks the campaign sends as the provider
	c        *client
	w        *workload
	ledger   *ledger
	tally    *tally
	start    time.Time
	deadline time.Time // the workload's end
}

// Run runs a campaign and returns its report; err is a campaign that could not run (a node that
// never started), not a violation.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Duration < 30*time.Second {
		return nil, errors.New("chaos: --duration must be at least 30s (the flows' windows need it)")
	}
	if o.Buyers < 1 {
		o.Buyers = 24
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if err := os.MkdirAll(o.Work, 0o755); err != nil {
		return nil, err
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	cp := &campaign{o: o, secret: hex.EncodeToString(b), toggles: filepath.Join(o.Work, "toggles.yaml"),
		ledger: newLedger(), tally: newTally()}
	var err error
	if cp.sandbox, err = sandboxpay.New(sandboxpay.Config{Secret: cp.secret, CallbackURL: "http://unused/"}); err != nil {
		return nil, err
	}
	if err := cp.writeToggles(nil); err != nil {
		return nil, err
	}
	defer cp.stopAll()
	if err := cp.launch(); err != nil {
		return nil, err
	}
	cp.c = newClient(cp.base, cp.tally, cp.ledger)
	fmt.Fprintf(o.Out, "chaos: seed %d, %s of trading with %d buyers on %s (%s), work in %s\n", o.Seed, o.Duration, o.Buyers,
		o.DB.Driver, cp.topology(), o.Work)
	w, err := cp.setup(ctx)
	if err != nil {
		return nil, err
	}
	cp.w = w
	cp.start = time.Now()
	cp.deadline = cp.start.Add(o.Duration)
	faults := cp.schedule()
	fmt.Fprintf(o.Out, "chaos: %d faults scheduled\n", len(faults))
	done := make(chan struct{})
	go cp.progress(done)
	faultsDone := make(chan struct{})
	go func() { defer close(faultsDone); cp.inject(ctx, faults) }()
	w.run(ctx)
	<-faultsDone
	close(done)
	cp.heal()
	rep := cp.settleAndCheck(ctx, w)
	rep.Seed, rep.Duration, rep.Topology = o.Seed, o.Duration, cp.topology()
	return rep, nil
}

func (cp *campaign) topology() string {
	s := "all-in-one"
	if cp.o.Etcd != "" {
		s = "access + 2 trade nodes through etcd"
	}
	if cp.broker != nil {
		s += ", NATS"
	}
	return s
}

// nodeConfig is the YAML configuration of one node.
func (cp *campaign) nodeConfig(httpAddr, rpcAddr, metricsAddr string, id int, etcdPrefix string) map[string]any {
	db := map[string]any{"driver": cp.o.DB.Driver}
	if cp.o.DB.Driver == "mysql" {
		db["dsn"] = cp.o.DB.DSN
	} else {
		db["dataDir"] = cp.o.DB.DataDir
	}
	cfg := map[string]any{
		"http":    map[string]any{"addr": httpAddr, "jwtSecret": cp.secret, "devMode": true},
		"rpc":     map[string]any{"addr": rpcAddr},
		"db":      db,
		"sandbox": map[string]any{"secret": cp.secret, "callbackUrl": cp.base + "/callbacks/v1/payments/sandbox"},
		"node":    map[string]any{"id": id, "timerInterval": timerPoll.String()},
		"toggles": map[string]any{"file": cp.toggles, "poll": "200ms"},
		"metrics": map[string]any{"addr": metricsAddr},
		"trade":   map[string]any{"unpaidWindow": unpaid.String()},
		"audit":   map[string]any{"interval": "10s"},
	}
	if etcdPrefix != "" {
		cfg["rpc"] = map[string]any{"addr": rpcAddr, "etcd": map[string]any{"endpoints": []string{"http://" + cp.o.Etcd}, "prefix": etcdPrefix}}
	}
	if cp.natsURL != "" {
		cfg["mq"] = map[string]any{"broker": "nats", "url": cp.natsURL}
	}
	return cfg
}

// launch starts the broker (if any) and the nodes, and waits until they serve.
func (cp *campaign) launch() error {
	addrs, err := freeAddrs(8)
	if err != nil {
		return err
	}
	if cp.o.NATS != "" {
		cp.natsURL = "nats://" + addrs[7]
		host, port, _ := strings.Cut(addrs[7], ":")
		cp.broker = &proc{name: "nats", bin: cp.o.NATS, log: logPath(cp.o.Work, "nats"), ready: tcpReady(addrs[7]),
			args: []string{"-a", host, "-p", port, "-js", "-sd", filepath.Join(cp.o.Work, "nats")}}
		if err := cp.broker.start(); err != nil {
			return err
		}
		if err := cp.broker.waitReady(readyWithin); err != nil {
			return err
		}
	}
	cp.base = "http://" + addrs[0]
	write := func(name string, cfg map[string]any) (string, error) {
		b, err := yaml.Marshal(cfg)
		if err != nil {
			return "", err
		}
		path := filepath.Join(cp.o.Work, name+".yaml")
		return path, os.WriteFile(path, b, 0o600)
	}
	add := func(name, role string, cfg map[string]any, ready func() bool) error {
		path, err := write(name, cfg)
		if err != nil {
			return err
		}
		p := &proc{name: name, bin: cp.o.Bin, args: []string{"serve", "--role", role, "--config", path}, log: logPath(cp.o.Work, name), ready: ready}
		cp.nodes = append(cp.nodes, p)
		if role != "access" {
			cp.trades = append(cp.trades, p)
		}
		return p.start()
	}
	if cp.o.Etcd == "" {
		if err := add("all", "all", cp.nodeConfig(addrs[0], addrs[1], addrs[2], 1, ""), httpReady(cp.base+"/readyz")); err != nil {
			return err
		}
	} else {
		prefix := fmt.Sprintf("atrium-chaos/%d-%d", cp.o.Seed, time.Now().UnixNano())
		for i, a := range [][2]string{{addrs[3], addrs[4]}, {addrs[5], addrs[6]}} {
			if err := add(fmt.Sprint("trade-", i+1), "trade", cp.nodeConfig(addrs[0], a[0], a[1], i+1, prefix), tcpReady(a[0])); err != nil {
				return err
			}
		}
		if err := add("access", "access", cp.nodeConfig(addrs[0], addrs[1], addrs[2], 9, prefix), httpReady(cp.base+"/readyz")); err != nil {
			return err
		}
	}
	for _, p := range cp.nodes {
		if err := p.waitReady(readyWithin); err != nil {
			return err
		}
	}
	return nil
}

// stopAll ends every process the campaign started.
func (cp *campaign) stopAll() {
	for _, p := range cp.nodes {
		p.stop(10 * time.Second)
	}
	if cp.broker != nil {
		cp.broker.stop(5 * time.Second)
	}
}

// writeToggles writes the toggles file every node watches: the campaign's own values and set.
func (cp *campaign) writeToggles(set map[string]string) error {
	doc := map[string]any{}
	for k, v := range set {
		section, key, _ := strings.Cut(k, ".")
		m, _ := doc[section].(map[string]any)
		if m == nil {
			m = map[string]any{}
			doc[section] = m
		}
		m[key] = v
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	tmp := cp.toggles + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, cp.toggles)
}

// progress shows the campaign's state until done: a line rewritten every two seconds on a
// terminal, a line every ten seconds in a log.
func (cp *campaign) progress(done chan struct{}) {
	every, format := 10*time.Second, "chaos [%s/%s] %d operations, %d faults, %d violations so far\n"
	if interactive(cp.o.Out) {
		every, format = 2*time.Second, "\rchaos [%s/%s] %d operations, %d faults, %d violations so far   "
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			if interactive(cp.o.Out) {
				fmt.Fprintf(cp.o.Out, "\r%-100s\r", "")
			}
			return
		case <-t.C:
			el := time.Since(cp.start).Round(time.Second)
			ops, faults, violations := cp.tally.totals()
			fmt.Fprintf(cp.o.Out, format, el, cp.o.Duration, ops, faults, violations+cp.ledger.violationCount())
		}
	}
}

// interactive reports whether w is a terminal.
func interactive(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
