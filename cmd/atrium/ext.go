package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/atriumtrade/atrium/capability/order/ordersql"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/extensions/extsql"
	"github.com/atriumtrade/atrium/extensions/luahost"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
)

func extCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ext", Short: "Run, validate and replay extension scripts exactly as the server does"}
	cmd.AddCommand(extRunCmd(), extValidateCmd(), extReplayCmd(), extShadowCmd(), extPointsCmd())
	return cmd
}

// host builds the Lua host with the server's configured budgets.
func host(cmd *cobra.Command, common commonFlags) (*luahost.Host, error) {
	cfg, err := common.load(cmd)
	if err != nil {
		return nil, err
	}
	return luahost.New(extensions.Budget{Wall: cfg.Extensions.Wall}), nil
}

func readSource(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read script: %w", err)
	}
	return string(b), nil
}

// publicError prints what a client would see of err, with its stable code.
func publicError(err error) error {
	base, msg := errkind.Describe(err)
	if base == errkind.ErrInternal {
		return err
	}
	return fmt.Errorf("%s: %s", base.Code(), msg)
}

func extRunCmd() *cobra.Command {
	var common commonFlags
	var point, script, input, previous string
	cmd := &cobra.Command{
		Use:   "run --point P --script F.lua --input in.json",
		Short: "Run a script as point P on a JSON input and print its output as the server would compute it",
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := extensions.Lookup(point)
			if err != nil {
				return publicError(err)
			}
			src, err := readSource(script)
			if err != nil {
				return err
			}
			in, err := readJSON(cmd, input)
			if err != nil {
				return err
			}
			var prev []byte
			if previous != "" {
				if prev, err = readJSON(cmd, previous); err != nil {
					return err
				}
			}
			h, err := host(cmd, common)
			if err != nil {
				return err
			}
			exe, err := h.Compile(script, src)
			if err != nil {
				return publicError(err)
			}
			out, err := d.RunJSON(cmd.Context(), exe, in, prev)
			if err != nil {
				return publicError(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(out))
			return nil
		},
	}
	common.register(cmd)
	cmd.Flags().StringVar(&point, "point", "", "extension point, e.g. pricing.unit_price (atrium ext points lists them)")
	cmd.Flags().StringVar(&script, "script", "", "the Lua script")
	cmd.Flags().StringVar(&input, "input", "", "JSON input file, or - for standard input")
	cmd.Flags().StringVar(&previous, "previous", "", "JSON previous output, for points in reduce mode")
	for _, f := range []string{"point", "script", "input"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func readJSON(cmd *cobra.Command, path string) ([]byte, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(cmd.InOrStdin())
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s is not valid JSON", path)
	}
	return bytes.TrimSpace(b), nil
}

func extValidateCmd() *cobra.Command {
	var common commonFlags
	cmd := &cobra.Command{
		Use:   "validate F.lua",
		Short: "Check a script as an upload does: it compiles, declares a point and passes its own -- test: fixtures",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := readSource(args[0])
			if err != nil {
				return err
			}
			h, err := host(cmd, common)
			if err != nil {
				return err
			}
			hdr, _, err := extensions.Validate(cmd.Context(), h, src)
			if err != nil {
				return publicError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "ok: %s is a valid %s script; %d fixture(s) pass\n", args[0], hdr.Point, len(hdr.Fixtures))
			return nil
		},
	}
	common.register(cmd)
	return cmd
}

func extPointsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "points",
		Short: "List the extension points, their policies, modes and budgets",
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, d := range extensions.Points() {
				fmt.Fprintf(cmd.OutOrStdout(), "%-28s %-11s %-8s %6s %9d instr  %s\n", d.Name, d.Policy, d.Mode, d.Budget.Wall,
					d.Budget.Instructions, d.Doc)
			}
			return nil
		},
	}
}

func extReplayCmd() *cobra.Command {
	var common commonFlags
	var tenant, orderID, point string
	cmd := &cobra.Command{
		Use:   "replay --tenant T --order ID [--point P]",
		Short: "Re-run the script calls logged for an order with the versions that ran, and compare the outputs",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, db, err := common.openDB(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			ctx := identity.WithTenant(cmd.Context(), tenant) // the tenant's pod
			o, err := ordersql.New(db).Order(ctx, tenant, orderID)
			if err != nil {
				return publicError(err)
			}
			engine := extensions.NewEngine(luahost.New(extensions.Budget{Wall: cfg.Extensions.Wall}), slog.New(slog.NewTextHandler(io.Discard, nil)))
			admin := extensions.NewAdmin(extsql.New(db), engine)
			runs, err := admin.Runs(ctx, tenant, o.TradeID())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			replayed, differ := 0, 0
			for _, r := range runs {
				if point != "" && r.Point != point {
					continue
				}
				replayed++
				fmt.Fprintf(w, "#%d %s %s v%d at %s (recorded %s)\n", r.Seq, r.Point, r.Binding.ScriptID, r.Binding.Version, r.Binding.Scope, r.Outcome)
				out, err := admin.Replay(ctx, tenant, r)
				switch {
				case err != nil:
					_, msg := errkind.Describe(err)
					fmt.Fprintf(w, "  replay:   error: %s\n", msg)
					if r.Outcome == extensions.OutcomeOK {
						differ++
					}
				case r.Outcome != extensions.OutcomeOK:
					fmt.Fprintf(w, "  recorded: error: %s\n  replay:   %s\n", r.Error, out)
					differ++
				case extensions.SameJSON(out, r.Output):
					fmt.Fprintf(w, "  output:   %s (same as recorded)\n", out)
				default:
					fmt.Fprintf(w, "  recorded: %s\n  replay:   %s (differs)\n", r.Output, out)
					differ++
				}
			}
			if replayed == 0 {
				return fmt.Errorf("no script calls recorded for order %s%s", orderID, map[bool]string{true: " at point " + point, false: ""}[point != ""])
			}
			if differ > 0 {
				return errors.New("some replays differ from what was recorded")
			}
			return nil
		},
	}
	common.register(cmd)
	cmd.Flags().StringVar(&tenant, "tenant", "", "the order's tenant")
	cmd.Flags().StringVar(&orderID, "order", "", "the order id")
	cmd.Flags().StringVar(&point, "point", "", "only this point")
	_ = cmd.MarkFlagRequired("tenant")
	_ = cmd.MarkFlagRequired("order")
	return cmd
}
