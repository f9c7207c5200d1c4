package main

import (
	"fmt"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
)

func migrateCmd() *cobra.Command {
	var common commonFlags
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending schema migrations (serve also does this at start-up)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, db, err := common.openDB(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			var bar *progressbar.ProgressBar
			// One bar per phase: tables converted to utf8mb4_bin (if any), then migrations.
			n, err := db.Migrate(cmd.Context(), platform.Migrations(), func(c string, v int, name string, done, total int) {
				if bar == nil || done == 1 {
					if bar != nil {
						_ = bar.Finish()
					}
					bar = progressbar.NewOptions(total, progressbar.OptionSetDescription("migrating"),
						progressbar.OptionShowCount(), progressbar.OptionSetWriter(cmd.ErrOrStderr()), progressbar.OptionClearOnFinish())
				}
				bar.Describe(fmt.Sprintf("%s/%03d %s", c, v, name))
				_ = bar.Add(1)
			})
			if bar != nil {
				_ = bar.Finish()
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d migrations applied on %s; schema is up to date\n", n, db.Dialect())
			return nil
		},
	}
	common.register(cmd)
	return cmd
}
