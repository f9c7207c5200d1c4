package chaos

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/go-sql-driver/mysql" // KILL and the server's pid, on MariaDB
)

// fault is one scheduled fault: at an offset from the campaign's start, of a kind, lasting.
type fault struct {
	at     time.Duration
	kind   string
	target int // which trade node (kill)
	lasts  time.Duration
}

// Fault kinds.
const (
	faultKill         = "node.sigkill"
	faultDBKill       = "db.connections_killed"
	faultDBPause      = "db.paused"
	faultBroker       = "broker.stopped"
	faultProviderSlow = "provider.slow"
	faultProviderDown = "provider.down"
	faultScriptHog    = "script.over_budget"
)

// kinds are the faults this campaign can inject: the database's need MariaDB, the broker's a
// broker of the campaign's own.
func (cp *campaign) kinds() []string {
	k := []string{faultKill, faultProviderSlow, faultProviderDown, faultScriptHog}
	if cp.o.DB.Driver == "mysql" {
		k = append(k, faultDBKill)
		if mariadbPid() > 0 {
			k = append(k, faultDBPause)
		}
	}
	if cp.broker != nil {
		k = append(k, faultBroker)
	}
	return k
}

// schedule draws the faults from the seed: one every 6 to 14 s from the fifth second until ten
// seconds before the end, each lasting 1 to 8 s, never two at once. Kinds come in rounds, each
// a shuffle of every kind, so that a short campaign still meets each one.
func (cp *campaign) schedule() []fault {
	rng := rand.New(rand.NewPCG(cp.o.Seed, 1))
	var round []string
	var out []fault
	for at := 5 * time.Second; at < cp.o.Duration-10*time.Second; {
		if len(round) == 0 {
			round = cp.kinds()
			rng.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
		}
		f := fault{at: at, kind: round[0], target: rng.IntN(len(cp.trades)), lasts: time.Duration(1000+rng.IntN(7000)) * time.Millisecond}
		round = round[1:]
		out = append(out, f)
		at += f.lasts + time.Duration(6000+rng.IntN(8000))*time.Millisecond
	}
	return out
}

// inject runs the schedule.
func (cp *campaign) inject(ctx context.Context, faults []fault) {
	for _, f := range faults {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(cp.start.Add(f.at))):
		}
		if err := cp.apply(ctx, f); err != nil {
			fmt.Fprintf(cp.o.Out, "\nchaos: %s at %s: %v\n", f.kind, f.at, err)
			continue
		}
		cp.tally.fault(f.kind)
	}
}

// apply injects one fault and, once it has lasted, ends it.
func (cp *campaign) apply(ctx context.Context, f fault) error {
	switch f.kind {
	case faultKill:
		p := cp.trades[f.target]
		p.kill()
		time.Sleep(min(f.lasts, 2*time.Second))
		if err := p.start(); err != nil {
			return err
		}
		return p.waitReady(readyWithin)
	case faultDBKill:
		return cp.killConnections(ctx)
	case faultDBPause:
		pid := mariadbPid()
		if pid <= 0 {
			return fmt.Errorf("mariadbd's pid not found")
		}
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			return err
		}
		time.Sleep(min(f.lasts, 4*time.Second))
		return syscall.Kill(pid, syscall.SIGCONT)
	case faultBroker:
		cp.broker.kill()
		time.Sleep(f.lasts)
		if err := cp.broker.start(); err != nil {
			return err
		}
		return cp.broker.waitReady(readyWithin)
	case faultProviderSlow, faultProviderDown:
		key, value := "sandbox.slow", "1500ms"
		if f.kind == faultProviderDown {
			key, value = "sandbox.down", "2s"
		}
		if err := cp.writeToggles(map[string]string{key: value}); err != nil {
			return err
		}
		time.Sleep(f.lasts + time.Second)
		return cp.writeToggles(nil)
	case faultScriptHog:
		return cp.hog(ctx, f.lasts+2*time.Second)
	}
	return fmt.Errorf("unknown fault %q", f.kind)
}

// hog publishes the script that spends its budget for some buyers, then rolls it back.
func (cp *campaign) hog(ctx context.Context, lasts time.Duration) error {
	admin := cp.w.admin
	a := cp.c.send(ctx, "fault", "POST", "/admin/v1/extensions/publications", admin, map[string]any{"scope": tenant + "/*", "scriptId": "chaos-hog",
		"version": cp.w.hogVersion, "grayBasisPoints": 10000})
	if !a.ok() {
		return fmt.Errorf("publish: %d %s", a.status, a.raw)
	}
	time.Sleep(lasts)
	a = cp.c.send(ctx, "fault", "POST", "/admin/v1/extensions/publications/rollback", admin, map[string]any{"scope": tenant + "/*", "point": "pricing.unit_price"})
	if !a.ok() {
		return fmt.Errorf("rollback: %d %s", a.status, a.raw)
	}
	return nil
}

// killConnections KILLs every connection the platform holds to the campaign's database.
func (cp *campaign) killConnections(ctx context.Context) error {
	db, err := sql.Open("mysql", cp.o.DB.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	var self int64
	if err := db.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&self); err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> ?", self)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		_, _ = db.ExecContext(ctx, fmt.Sprint("KILL ", id)) // one that already ended is no error here
	}
	return nil
}

// mariadbPid is the MariaDB server's pid on this machine, or 0 when there is none this process
// may signal.
func mariadbPid() int {
	out, err := exec.Command("pidof", "mariadbd").Output()
	if err != nil {
		out, err = exec.Command("pidof", "mysqld").Output()
	}
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.Fields(string(out))[0])
	if err != nil {
		return 0
	}
	if syscall.Kill(pid, 0) != nil { // not ours to signal
		return 0
	}
	return pid
}

// heal ends whatever fault may still hold: every node and the broker running, the database
// server continued, the toggles back, the hog rolled back.
func (cp *campaign) heal() {
	if pid := mariadbPid(); pid > 0 && cp.o.DB.Driver == "mysql" {
		_ = syscall.Kill(pid, syscall.SIGCONT)
	}
	_ = cp.writeToggles(nil)
	if cp.broker != nil && !cp.broker.alive() {
		if err := cp.broker.start(); err == nil {
			_ = cp.broker.waitReady(readyWithin)
		}
	}
	for _, p := range cp.nodes {
		if !p.alive() { // no fault leaves a node down: it died on its own
			cp.tally.died(p.name)
			fmt.Fprintf(cp.o.Out, "chaos: %s had died on its own; starting it again\n", p.name)
			if err := p.start(); err == nil {
				_ = p.waitReady(readyWithin)
			}
		}
	}
}
