package platform

import (
	"context"
	"log/slog"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/components/mq/delay"
	"github.com/atriumtrade/atrium/product-layer/audit"
	"github.com/atriumtrade/atrium/product-layer/audit/auditsql"
)

// NewAuditor is the auditor of db's books with cfg's bounds (the unpaid window is the trade
// configuration's), on the clock now.
func NewAuditor(cfg Config, db *dal.DB, now func() time.Time, log *slog.Logger) *audit.Auditor {
	ac := cfg.Audit.Config
	ac.UnpaidWindow = cfg.Trade.UnpaidWindow
	return audit.New(auditsql.New(db), now, log, auditsql.NewChecks(db, ac).List()...)
}

// The scheduled audit is one durable timer that sets its own next run: whichever trade node's
// timer worker takes it runs it, so one node at a time audits and a node that dies hands it on.
const (
	auditTimer = "audit.run"
	auditRef   = "platform"
)

// scheduleAudits runs the auditor every cfg.Audit.Interval on one node of the fleet. Every node
// handles the timer (a node with audits off lets it run out); a node with them on makes sure it
// is set.
func scheduleAudits(ctx context.Context, cfg Config, db *dal.DB, queue *delay.Queue, auditor *audit.Auditor, now func() time.Time, log *slog.Logger) error {
	every := cfg.Audit.Interval
	queue.Handle(auditTimer, func(ctx context.Context, ref string) error {
		if every <= 0 {
			return nil
		}
		rep, err := auditor.Run(ctx, audit.Options{})
		switch {
		case err != nil:
			log.Warn("audit: a run failed", "err", err)
		case len(rep.Findings) > 0:
			kinds := map[string]int{}
			for _, f := range rep.Findings {
				kinds[f.Kind]++
			}
			log.Warn("audit: the books have open findings (atrium audit or GET /admin/v1/audit lists them)", "open", len(rep.Findings), "kinds", kinds)
		}
		return queue.Schedule(ctx, auditTimer, ref, now().Add(every))
	})
	if every <= 0 {
		return nil
	}
	// Each pod audits its own tenants, on its own timer.
	return db.EachPod(ctx, func(ctx context.Context) error { return queue.Ensure(ctx, auditTimer, auditRef, now().Add(every)) })
}
