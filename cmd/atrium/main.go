// Command atrium is the one binary of the Atrium trade platform: serve (all-in-one or one
// role), migrate, bench, ext and audit. It is the composition root: it loads the configuration once and
// builds everything through package platform.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "atrium",
		Short:         "Atrium: a trade middle-platform for e-commerce",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCmd(), migrateCmd(), benchCmd(), extCmd(), auditCmd(), chaosCmd(), openapiCmd(), podsCmd())
	return root
}

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "atrium:", err)
		var e exitError
		if errors.As(err, &e) {
			os.Exit(e.code)
		}
		os.Exit(1)
	}
}

// exitError ends the command with its own exit status (audit: 1 on a finding, 2 when a check
// could not run).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }
