package extensions

import (
	"context"
	"log/slog"
	"time"
)

// Loader keeps an Engine in step with the Store: it polls the publication revision and reloads
// when it moves, so a publish or rollback on any node applies on every node within one interval
// plus a load.
type Loader struct {
	store  Store
	engine *Engine
	log    *slog.Logger
	rev    int64
}

// NewLoader returns a Loader; call Load once before serving, then Run.
func NewLoader(store Store, engine *Engine, log *slog.Logger) *Loader {
	return &Loader{store: store, engine: engine, log: log, rev: -1}
}

// Load reloads if the revision moved since the last load.
func (l *Loader) Load(ctx context.Context) error {
	rev, err := l.store.Revision(ctx)
	if err != nil {
		return err
	}
	if rev == l.rev {
		return nil
	}
	sets, err := l.store.Active(ctx)
	if err != nil {
		return err
	}
	l.engine.Load(sets)
	if l.rev >= 0 {
		l.log.Info("extensions reloaded", "revision", rev, "publications", len(sets))
	}
	l.rev = rev
	return nil
}

// Run polls every interval until ctx ends.
func (l *Loader) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.Load(ctx); err != nil && ctx.Err() == nil {
				l.log.Error("extensions: reload failed; keeping what is loaded", "err", err)
			}
		}
	}
}
