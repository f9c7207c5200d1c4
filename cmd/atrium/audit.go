package main

import (
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/product-layer/audit"
)

func auditCmd() *cobra.Command {
	var (
		common commonFlags
		tenant string
		since  string
		full   bool
	)
	cmd := &cobra.Command{
		Use:   "audit [--tenant T] [--since 24h|2026-12-01T00:00:00Z] [--full]",
		Short: "Check the books: stock, money, deposits and what is stranded; exits non-zero on a finding",
		Long: `Runs the auditor's checks (product-layer/audit) over the database, per tenant, and prints what
each check read and found, then every open finding with its kind, subject and first-seen time.

By default a run looks at what changed since the previous run (the watermark the scheduled runs
of 'atrium serve' keep too) and rechecks the open findings; --since looks at what changed since a
time (a duration back from now, or RFC 3339) and --full at everything. The exit status is 1 when a
finding is open and 2 when a check could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, db, err := common.openDB(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := db.Migrate(cmd.Context(), platform.Migrations(), nil); err != nil {
				return err
			}
			o := audit.Options{Tenant: tenant, Full: full}
			if since != "" {
				if o.Since, err = parseSince(since, time.Now()); err != nil {
					return err
				}
			}
			var bar *progressbar.ProgressBar
			o.Progress = func(tenant string, done, total int) {
				if bar == nil {
					bar = progressbar.NewOptions(total, progressbar.OptionSetDescription("auditing"), progressbar.OptionShowCount(),
						progressbar.OptionSetWriter(cmd.ErrOrStderr()), progressbar.OptionClearOnFinish())
				}
				bar.Describe("auditing " + tenant)
				_ = bar.Set(done)
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			rep, err := platform.NewAuditor(cfg, db, time.Now, log).Run(cmd.Context(), o)
			if bar != nil {
				_ = bar.Finish()
			}
			if err != nil {
				return err
			}
			printReport(cmd.OutOrStdout(), rep)
			switch {
			case rep.Failed():
				return exitError{code: 2, msg: "a check could not run"}
			case len(rep.Findings) > 0:
				return exitError{code: 1, msg: fmt.Sprintf("%d findings open", len(rep.Findings))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "audit this tenant only (default: every tenant)")
	cmd.Flags().StringVar(&since, "since", "", "look at what changed since: a duration back from now (24h) or an RFC 3339 time")
	cmd.Flags().BoolVar(&full, "full", false, "look at everything, not only what changed since the last run")
	common.register(cmd)
	return cmd
}

// parseSince reads --since: a duration back from now or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: neither a duration (24h) nor an RFC 3339 time", s)
	}
	return t, nil
}

// printReport writes the checks' table, then the open findings.
func printReport(out io.Writer, rep audit.Report) {
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TENANT\tCHECK\tROWS\tFOUND\tTOOK\tERROR")
	rows, found := 0, 0
	for _, c := range rep.Checks {
		e := ""
		if c.Err != nil {
			e = c.Err.Error()
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%s\n", c.Tenant, c.Name, c.Rows, c.Findings, c.Took.Round(time.Microsecond), e)
		rows, found = rows+c.Rows, found+c.Findings
	}
	_ = w.Flush()
	fmt.Fprintf(out, "\n%d checks run, %d rows checked, %d findings open\n", len(rep.Checks), rows, len(rep.Findings))
	if len(rep.Findings) == 0 {
		return
	}
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TENANT\tKIND\tSUBJECT\tFIRST SEEN\tDETAIL")
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", f.Tenant, f.Kind, f.Subject, f.FirstSeen.UTC().Format(time.RFC3339), f.Detail)
	}
	_ = w.Flush()
}
