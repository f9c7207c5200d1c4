// Command atrium is the one binary of the Atrium trade platform: serve (all-in-one or one
// role), migrate, and bench. It is the composition root: it loads the configuration once and
// builds everything through package platform.
package main

import (
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
	root.AddCommand(serveCmd(), migrateCmd(), benchCmd(), extCmd())
	return root
}

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "atrium:", err)
		os.Exit(1)
	}
}
