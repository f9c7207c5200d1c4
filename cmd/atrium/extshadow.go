package main

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/extensions/extsql"
	"github.com/atriumtrade/atrium/extensions/luahost"
	"github.com/atriumtrade/atrium/kernel/identity"
)

func extShadowCmd() *cobra.Command {
	var common commonFlags
	var tenant, scriptID, scope, point, since string
	var version, limit int
	cmd := &cobra.Command{
		Use:   "shadow --tenant T --script ID --version N --scope S [--point P] [--limit N] [--since 24h]",
		Short: "Replay a stored script version over the logged calls of its point at a scope, beside what they returned, and report what would change",
		Long: "Shadow replay runs a candidate version on the inputs logged by the latest calls of its point at a scope (default the\n" +
			"last 1,000 of the past week) and compares its results with what those calls returned: how many differ, the money\n" +
			"difference (pricing, discount and shipping points), its errors and budget hits, and its slowest calls. Nothing is\n" +
			"written. It exits 1 when a call would fail.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, db, err := common.openDB(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			req := extensions.ShadowRequest{ScriptID: scriptID, Version: version, Scope: scope, Point: point, Limit: limit}
			if since != "" {
				if req.Since, err = parseSince(since, time.Now()); err != nil {
					return err
				}
			}
			var bar *progressbar.ProgressBar
			req.Progress = func(done, total int) {
				if bar == nil {
					bar = progressbar.NewOptions(total, progressbar.OptionSetDescription("replaying"), progressbar.OptionShowCount(),
						progressbar.OptionSetWriter(cmd.ErrOrStderr()), progressbar.OptionClearOnFinish())
				}
				_ = bar.Set(done)
			}
			engine := extensions.NewEngine(luahost.New(extensions.Budget{Wall: cfg.Extensions.Wall}), slog.New(slog.NewTextHandler(io.Discard, nil)))
			// The logged calls are on the tenant's pod.
			rep, err := extensions.NewAdmin(extsql.New(db), engine).Shadow(identity.WithTenant(cmd.Context(), tenant), tenant, req)
			if bar != nil {
				_ = bar.Finish()
			}
			if err != nil {
				return publicError(err)
			}
			printShadow(cmd.OutOrStdout(), rep)
			if rep.Errors > 0 {
				return exitError{code: 1, msg: fmt.Sprintf("%d of %d calls would fail", rep.Errors, rep.Calls)}
			}
			return nil
		},
	}
	common.register(cmd)
	cmd.Flags().StringVar(&tenant, "tenant", "", "the script's tenant")
	cmd.Flags().StringVar(&scriptID, "script", "", "the script id")
	cmd.Flags().IntVar(&version, "version", 0, "the candidate version")
	cmd.Flags().StringVar(&scope, "scope", "", "where the logged calls ran: <tenant>/*, <bizCode>/* or <bizCode>/<scenario>")
	cmd.Flags().StringVar(&point, "point", "", "the point (default: the version's own)")
	cmd.Flags().IntVar(&limit, "limit", 0, "the latest calls to replay (default 1000, at most 10000)")
	cmd.Flags().StringVar(&since, "since", "", "only calls since: a duration back (24h) or an RFC 3339 time (default a week)")
	for _, f := range []string{"tenant", "script", "version", "scope"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func printShadow(out io.Writer, rep extensions.ShadowReport) {
	fmt.Fprintf(out, "%s v%d at %s (%s), calls since %s\n", rep.ScriptID, rep.Version, rep.Scope, rep.Point, rep.Since.Format(time.RFC3339))
	fmt.Fprintf(out, "calls %d  changed %d  errors %d  budget hits %d  took %s\n", rep.Calls, rep.Changed, rep.Errors, rep.BudgetHits,
		rep.Took.Round(time.Microsecond))
	if rep.Skipped > 0 {
		fmt.Fprintf(out, "skipped %d calls logged cut short (too large to keep whole)\n", rep.Skipped)
	}
	if rep.Money {
		for _, cur := range slices.Sorted(maps.Keys(rep.MoneyDelta)) {
			fmt.Fprintf(out, "money: buyers would pay %+d %s minor units in all, over %d calls\n", rep.MoneyDelta[cur], cur, rep.ChangedMoney)
		}
	}
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	for _, list := range []struct {
		title string
		calls []extensions.ShadowCall
	}{{"changed", rep.ChangedCalls}, {"failed", rep.FailedCalls}, {"slowest", rep.Slowest}} {
		if len(list.calls) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\nTRADE\tSEQ\tRAN\tMONEY\tTOOK\tDETAIL\n", list.title)
		for _, c := range list.calls {
			ran := "default"
			if c.Ran.ScriptID != "" {
				ran = fmt.Sprintf("%s v%d", c.Ran.ScriptID, c.Ran.Version)
			}
			detail := string(c.Baseline) + " -> " + string(c.Candidate)
			if c.Error != "" {
				detail = "error: " + c.Error
			}
			fmt.Fprintf(w, "%s\t%d\t%s\t%+d\t%s\t%s\n", c.TradeID, c.Seq, ran, c.MoneyDelta, c.Took.Round(time.Microsecond), detail)
		}
	}
	_ = w.Flush()
}
