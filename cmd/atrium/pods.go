package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/atriumtrade/atrium/cmd/atrium/platform"
	"github.com/atriumtrade/atrium/components/dal"
)

func podsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pods",
		Short: "Tenants on pods: list the pods and where each tenant lives, place a new tenant",
		Long: `A pod is a MySQL primary with its replicas (db.pods in the configuration); every tenant lives
wholly on one pod, and the tenant directory (on the pod db.directory names) says which. A tenant
seen for the first time is placed by the rule: db.defaultPod, else the pod with the fewest tenants.`,
	}
	cmd.AddCommand(podsListCmd(), podsPlaceCmd())
	return cmd
}

// openPods opens and migrates the configured database, for the pods commands.
func openPods(cmd *cobra.Command, common *commonFlags) (*dal.DB, error) {
	_, db, err := common.openDB(cmd)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(cmd.Context(), platform.Migrations(), nil); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func podsListCmd() *cobra.Command {
	var common commonFlags
	var tenants bool
	cmd := &cobra.Command{
		Use:   "list [--tenants]",
		Short: "List the pods (reachable, tenants placed) and, with --tenants, every placement",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openPods(cmd, &common)
			if err != nil {
				return err
			}
			defer db.Close()
			ctx := cmd.Context()
			dir := db.Directory()
			counts, err := dir.Counts(ctx)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "POD\tROLE\tSTATE\tTENANTS")
			dirPod := db.Platform().Name()
			for _, p := range db.Pods() {
				role := ""
				if p.Name() == dirPod {
					role = "directory"
				}
				state := "up"
				pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				if err := p.Primary().PingContext(pctx); err != nil {
					state = "down: " + err.Error()
				}
				cancel()
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", p.Name(), role, state, counts[p.Name()])
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if !tenants {
				return nil
			}
			list, err := dir.List(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout())
			w = tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TENANT\tPOD\tSINCE")
			for _, p := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\n", p.Tenant, p.Pod, p.UpdatedAt.UTC().Format(time.RFC3339))
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&tenants, "tenants", false, "also list every tenant's pod")
	common.register(cmd)
	return cmd
}

func podsPlaceCmd() *cobra.Command {
	var common commonFlags
	var tenant, pod string
	cmd := &cobra.Command{
		Use:   "place --tenant T --pod P",
		Short: "Put a tenant on a pod before it trades (or record where an existing tenant's rows are)",
		Long: `Places a tenant the directory does not know yet on a pod. A tenant already placed elsewhere is
refused (moving one copies its rows: that is the mover's work). Before a second pod is added to a
database that has traded on one, place every existing tenant on the first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openPods(cmd, &common)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Directory().Place(cmd.Context(), tenant, pod); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "tenant %s is on pod %s\n", tenant, pod)
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "the tenant")
	cmd.Flags().StringVar(&pod, "pod", "", "the pod (one of db.pods)")
	_ = cmd.MarkFlagRequired("tenant")
	_ = cmd.MarkFlagRequired("pod")
	common.register(cmd)
	return cmd
}
