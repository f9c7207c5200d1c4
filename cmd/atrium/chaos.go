package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/spf13/cobra"

	"github.com/atriumtrade/atrium/cmd/atrium/chaos"
	"github.com/atriumtrade/atrium/components/dal"
)

func chaosCmd() *cobra.Command {
	var (
		duration time.Duration
		seed     uint64
		dbKind   string
		server   string
		etcd     string
		nats     string
		buyers   int
		work     string
		keep     bool
	)
	cmd := &cobra.Command{
		Use:   "chaos --duration D --seed S [--db sqlite|mysql]",
		Short: "Trade every flow from many buyers while faults are injected, then check the books; exits 1 on a violation",
		Long: `Runs this binary as the platform (all in one on SQLite; on MySQL, with --etcd, an access node and
two trade nodes found through etcd) on a fresh database, and drives a mixed workload of every flow
from many buyers, a third of them on the mini-program and the rest on the app: fixed-price orders with coupons, promotions and a limited flash SKU; payments
whose provider callbacks come once, twice, late or beside a stale failure; cancels, refunds,
after-sales and returns; pre-sale deposits and balances; cash on delivery collected or refused;
group buys joined and left to fail; auction deposits, bids and winners who pay or do not.

Meanwhile it injects faults on a schedule drawn from the seed: SIGKILL and restart of a trade node
(or the one process); on MySQL, every connection KILLed on the server and the server paused
(SIGSTOP/SIGCONT, where this user may signal it); the campaign's own NATS stopped and started
(--nats); a slow and a silent payment provider (the sandbox.slow and sandbox.down toggles); a
script over its budget published and rolled back. Clients send again, with their keys, what was
not answered, and sometimes what was.

When trading ends it heals every fault, waits for the windows and timers the campaign opened, and
checks: the auditor's full run, and what the clients were told (every acknowledged order exists
once, every acknowledged payment is settled once, nobody is charged for an order that does not
exist, a key answers one thing, nothing answers 500). It prints operations, faults and invariants
with the seed; --seed replays the same schedule.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("seed") {
				seed = uint64(time.Now().UnixNano())
			}
			bin, err := os.Executable()
			if err != nil {
				return err
			}
			o := chaos.Options{Bin: bin, Duration: duration, Seed: seed, Buyers: buyers, Out: cmd.ErrOrStderr()}
			failed := false // a campaign with a violation keeps what it ran on, to read
			if work == "" {
				if work, err = os.MkdirTemp("", "atrium-chaos-"); err != nil {
					return err
				}
				defer func() {
					if !keep && !failed {
						os.RemoveAll(work)
					}
				}()
			}
			o.Work = work
			defer func() {
				if failed && !keep {
					fmt.Fprintf(cmd.ErrOrStderr(), "kept to read: %s (the nodes' logs, configuration, data) and the campaign's database\n", work)
				}
			}()
			switch dbKind {
			case "sqlite":
				o.DB = dal.Config{Driver: "sqlite", DataDir: filepath.Join(work, "data")}
			case "mysql":
				dsn, drop, err := freshDatabase(cmd.Context(), server, seed)
				if err != nil {
					return err
				}
				defer func() {
					if !keep && !failed {
						drop()
					}
				}()
				o.DB = dal.Config{Driver: "mysql", DSN: dsn}
				o.Etcd = etcd
			default:
				return errors.New("--db must be sqlite or mysql")
			}
			if nats != "" {
				if o.NATS, err = exec.LookPath(nats); err != nil {
					return fmt.Errorf("--nats: %w", err)
				}
			}
			rep, err := chaos.Run(cmd.Context(), o)
			if err != nil {
				failed = true // its error names a node's log
				return err
			}
			rep.Print(cmd.OutOrStdout())
			if keep {
				fmt.Fprintf(cmd.ErrOrStderr(), "kept: %s (logs, configuration, data)\n", work)
			}
			if n := rep.Violations(); n > 0 {
				failed = true
				return exitError{code: 1, msg: fmt.Sprintf("%d violations (seed %d)", n, seed)}
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&duration, "duration", 2*time.Minute, "how long buyers trade while faults are injected (settling and checks take about two minutes more)")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "seed of the fault schedule and the buyers' choices (default: from the clock, printed)")
	cmd.Flags().StringVar(&dbKind, "db", "sqlite", "sqlite (a fresh embedded database) or mysql (a fresh database on --mysql)")
	cmd.Flags().StringVar(&server, "mysql", "root@tcp(127.0.0.1:3306)/", "MySQL server DSN (no database): the campaign creates its own database there and drops it after")
	cmd.Flags().StringVar(&etcd, "etcd", "", "with --db mysql: run an access node and two trade nodes found through this etcd (host:port)")
	cmd.Flags().StringVar(&nats, "nats", "", "nats-server binary: events go to a NATS of the campaign's own, stopped and started as a fault")
	cmd.Flags().IntVar(&buyers, "buyers", 24, "buyers trading at once")
	cmd.Flags().StringVar(&work, "work", "", "directory for the nodes' logs, configuration and data (default: a temporary one)")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the work directory and the MySQL database")
	return cmd
}

// freshDatabase creates an empty database for a campaign on the MySQL server and returns its DSN
// and a function that drops it.
func freshDatabase(ctx context.Context, server string, seed uint64) (string, func(), error) {
	cfg, err := mysql.ParseDSN(server)
	if err != nil {
		return "", nil, fmt.Errorf("--mysql: %w", err)
	}
	admin, err := dal.Open(ctx, dal.Config{Driver: "mysql", DSN: cfg.FormatDSN(), MaxOpenConns: 1})
	if err != nil {
		return "", nil, fmt.Errorf("MySQL at %s: %w", cfg.Addr, err)
	}
	defer admin.Close()
	name := fmt.Sprintf("atrium_chaos_%d_%d", seed%1_000_000, time.Now().Unix())
	if _, err := admin.Primary().ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop := func() {
		if a, err := dal.Open(context.Background(), dal.Config{Driver: "mysql", DSN: cfg.FormatDSN(), MaxOpenConns: 1}); err == nil {
			_, _ = a.Primary().Exec("DROP DATABASE IF EXISTS " + name)
			a.Close()
		}
	}
	cfg.DBName = name
	return cfg.FormatDSN(), drop, nil
}
