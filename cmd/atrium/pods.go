package main

import (
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
	cmd.AddCommand(podsListCmd(), podsPlaceCmd(), podsPromoteCmd())
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
		Short: "List the pods' nodes (primary, replica and lag, or down) and tenants and, with --tenants, every placement",
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
			// One line per node, as the pod's checks found it when the database opened.
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "POD\tTENANTS\tNODE\tSTATE\tLAG")
			dirPod := db.Platform().Name()
			for _, p := range db.Health() {
				name := p.Name
				if name == dirPod {
					name += " (directory)"
				}
				for i, n := range p.Nodes {
					count := ""
					if i == 0 {
						count = fmt.Sprint(counts[p.Name])
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", name, count, n.Addr, nodeState(n), nodeLag(n))
				}
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

func nodeState(n dal.NodeHealth) string {
	switch {
	case !n.Up:
		return fmt.Sprintf("down (%v)", n.Err)
	case n.Primary:
		return "primary"
	case n.ReadOnly:
		return "replica"
	}
	return "writable, not the primary (another node was first): make it read-only"
}

func nodeLag(n dal.NodeHealth) string {
	switch {
	case !n.Up || n.Primary:
		return "-"
	case !n.LagKnown:
		return "unknown (replication stopped?)"
	}
	return n.Lag.String()
}

func podsPromoteCmd() *cobra.Command {
	var common commonFlags
	var pod, node string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "promote --pod P --node HOST:PORT",
		Short: "Make a replica its pod's primary once the primary is dead",
		Long: `Makes the node (host:port, as pods list shows it) its pod's primary: waits for it to apply what it
received from the old primary, stops its replication and turns read_only off. Running nodes find
the new primary within a second or two and resume the pod's writes without a restart. A pod
whose primary still answers is refused: stop the old primary (or make it read-only) first, and
make it a replica of the new one before it rejoins.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, db, err := common.openDB(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Promote(cmd.Context(), pod, node, wait); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is pod %s's primary\n", node, pod)
			return nil
		},
	}
	cmd.Flags().StringVar(&pod, "pod", "", "the pod")
	cmd.Flags().StringVar(&node, "node", "", "the node to promote, host:port")
	cmd.Flags().DurationVar(&wait, "wait", 30*time.Second, "how long to wait for the node to apply what it received")
	_ = cmd.MarkFlagRequired("pod")
	_ = cmd.MarkFlagRequired("node")
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
