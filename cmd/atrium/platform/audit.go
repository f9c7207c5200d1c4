package platform

import (
	"log/slog"
	"time"

	"github.com/atriumtrade/atrium/components/dal"
	"github.com/atriumtrade/atrium/product-layer/audit"
	"github.com/atriumtrade/atrium/product-layer/audit/auditsql"
)

// NewAuditor is the auditor of db's books with cfg's bounds (the unpaid window is the trade
// configuration's).
func NewAuditor(cfg Config, db *dal.DB, log *slog.Logger) *audit.Auditor {
	ac := cfg.Audit
	ac.UnpaidWindow = cfg.Trade.UnpaidWindow
	return audit.New(auditsql.New(db), time.Now, log, auditsql.NewChecks(db, ac).List()...)
}
