package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/observe"
)

// commonFlags are the flags that choose configuration and database.
type commonFlags struct {
	config  string
	dataDir string
	dbDSN   string
}

func (f *commonFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.config, "config", "", "YAML configuration file (default: built-in defaults; see configs/atrium.yaml)")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "directory of the embedded SQLite database (default ./data)")
	cmd.Flags().StringVar(&f.dbDSN, "db-dsn", "", "MySQL DSN, e.g. 'root@tcp(127.0.0.1:3306)/atrium'; switches from SQLite")
}

// load reads the file and environment, then applies the flags that were given.
func (f *commonFlags) load(cmd *cobra.Command) (platform.Config, error) {
	cfg, err := platform.Load(f.config)
	if err != nil {
		return cfg, err
	}
	if cmd.Flags().Changed("data-dir") {
		cfg.DB.DataDir = f.dataDir
	}
	if f.dbDSN != "" {
		cfg.DB.Driver, cfg.DB.DSN = "mysql", f.dbDSN
	}
	return cfg, nil
}

// openDB loads the configuration and opens its database, for the commands that work on the
// data directly (migrate, ext replay, the bench floor).
func (f *commonFlags) openDB(cmd *cobra.Command) (platform.Config, *dal.DB, error) {
	cfg, err := f.load(cmd)
	if err != nil {
		return cfg, nil, err
	}
	db, err := dal.Open(cmd.Context(), cfg.DB)
	return cfg, db, err
}

func serveCmd() *cobra.Command {
	var (
		common   commonFlags
		httpAddr string
		rpcAddr  string
		role     string
		demo     bool
		pprof    string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the platform (all-in-one by default: Hertz and Kitex on loopback, SQLite in ./data)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := common.load(cmd)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("http-addr") {
				cfg.HTTP.Addr = httpAddr
			}
			if cmd.Flags().Changed("rpc-addr") {
				cfg.RPC.Addr = rpcAddr
			}
			if demo {
				cfg.HTTP.DevMode = true
				if cfg.HTTP.JWTSecret == "" {
					cfg.HTTP.JWTSecret = randomSecret()
				}
				if cfg.Sandbox.Secret == "" {
					cfg.Sandbox.Secret = randomSecret()
				}
			}
			if cfg.Sandbox.CallbackURL == "" {
				cfg.Sandbox.CallbackURL = "http://" + cfg.HTTP.Addr + "/callbacks/v1/payments/sandbox"
			}
			if err := cfg.Validate(); err != nil {
				if !demo && (cfg.HTTP.JWTSecret == "" || cfg.Sandbox.Secret == "") {
					return fmt.Errorf("configuration: %w (run with --demo to generate dev secrets)", err)
				}
				return fmt.Errorf("configuration: %w", err)
			}
			switch role {
			case "all", "trade", "access":
			default:
				return fmt.Errorf("--role must be all, trade or access")
			}
			if pprof != "" {
				if err := servePprof(pprof); err != nil {
					return err
				}
			}
			return serve(cmd.Context(), cfg, role, demo)
		},
	}
	common.register(cmd)
	cmd.Flags().StringVar(&httpAddr, "http-addr", "127.0.0.1:8080", "HTTP listen address of the access layer")
	cmd.Flags().StringVar(&rpcAddr, "rpc-addr", "127.0.0.1:8888", "Kitex address of the trade service")
	cmd.Flags().StringVar(&role, "role", "all", "all (one process), trade (Kitex trade service) or access (Hertz gateway)")
	cmd.Flags().StringVar(&pprof, "pprof-addr", "", "serve Go's /debug/pprof on this address (e.g. 127.0.0.1:6060) for profiling")
	cmd.Flags().BoolVar(&demo, "demo", false, "dev mode: dev tokens, generated secrets, a seeded demo tenant and a printed walkthrough")
	return cmd
}

// servePprof exposes the Go profiler on its own listener, never on the API's port.
func servePprof(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("pprof listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	go func() { _ = http.Serve(ln, mux) }()
	return nil
}

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func serve(ctx context.Context, cfg platform.Config, role string, demo bool) error {
	log, err := cfg.Log.Logger(os.Stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	tracing, err := observe.New(ctx, cfg.Otel)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tracing.Shutdown(sctx) // what is still batched
	}()
	var trade *platform.Trade
	var access *platform.Access
	if role != "access" {
		where := cfg.DB.Driver
		if cfg.DB.Driver == "sqlite" || cfg.DB.Driver == "" {
			where = "sqlite " + filepath.Join(cfg.DB.DataDir, "atrium.db")
		}
		log.Info("starting trade service", "rpc", cfg.RPC.Addr, "db", where)
		trade, err = platform.StartTrade(ctx, cfg, log, platform.TradeOptions{Tracing: tracing, Migrate: func(c string, v int, n string, done, total int) {
			log.Info("migrated", "component", c, "version", v, "name", n, "progress", fmt.Sprintf("%d/%d", done, total))
		}})
		if err != nil {
			return err
		}
		if role == "trade" && cfg.Metrics.Addr != "" {
			addr, err := trade.ServeMetrics(cfg.Metrics.Addr)
			if err != nil {
				trade.Stop()
				return err
			}
			log.Info("serving metrics", "addr", "http://"+addr.String()+"/metrics")
		}
	}
	if role != "trade" {
		if access, err = platform.StartAccess(cfg, log, platform.AccessOptions{Tracing: tracing}); err != nil {
			if trade != nil {
				trade.Stop()
			}
			return err
		}
		if trade != nil {
			access.Gateway.Registry().MustRegister(trade.Collector())
		}
		log.Info("serving HTTP", "addr", cfg.HTTP.Addr)
		if demo {
			if err := seedDemo(ctx, access, cfg); err != nil {
				log.Error("demo seed failed", "err", err)
			} else {
				link, err := consoleLink(cfg, time.Now())
				if err != nil {
					return err
				}
				printWalkthrough(os.Stdout, cfg.HTTP.Addr, link)
			}
		}
	}

	var tradeErr, accessErr <-chan error
	if trade != nil {
		tradeErr = trade.Err()
	}
	if access != nil {
		accessErr = access.Err()
	}
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: letting requests in flight finish")
	case runErr = <-tradeErr:
	case runErr = <-accessErr:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if access != nil {
		if err := access.Stop(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			runErr = errors.Join(runErr, err)
		}
	}
	if trade != nil {
		runErr = errors.Join(runErr, trade.Stop())
	}
	log.Info("stopped")
	return runErr
}
