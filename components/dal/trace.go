package dal

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Record makes every statement run through Q and R be passed to f (with its arguments) before it
// runs, or stops that when f is nil. Tests use it to check the plan of every query a workload
// runs; f must be safe for concurrent use.
func (db *DB) Record(f func(query string, args []any)) {
	if f == nil {
		db.c.record.Store(nil)
		return
	}
	db.c.record.Store(&f)
}

// recording is a Querier that shows each statement to a recorder first.
type recording struct {
	q Querier
	f func(query string, args []any)
}

func (r recording) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r.f(query, args)
	return r.q.ExecContext(ctx, query, args...)
}

func (r recording) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.f(query, args)
	return r.q.QueryContext(ctx, query, args...)
}

func (r recording) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	r.f(query, args)
	return r.q.QueryRowContext(ctx, query, args...)
}

func (db *DB) recorded(q Querier) Querier {
	if t := db.c.tracer.Load(); t != nil {
		q = traced{q: q, t: *t, system: db.c.dialect.String()}
	}
	if f := db.c.record.Load(); f != nil {
		return recording{q: q, f: *f}
	}
	return q
}

// Trace makes every statement run through Q and R within a traced request a span of its own
// (db.system, db.statement), a child of the request's span. Statements outside a sampled trace
// (timers, sweeps) make none.
func (db *DB) Trace(t trace.Tracer) { db.c.tracer.Store(&t) }

// traced is a Querier that wraps each statement in a span.
type traced struct {
	q      Querier
	t      trace.Tracer
	system string
}

func (tr traced) span(ctx context.Context, query string) (context.Context, trace.Span) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, nil
	}
	verb, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	return tr.t.Start(ctx, "SQL "+strings.ToUpper(verb), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", tr.system), attribute.String("db.statement", clip(query, 2000))))
}

func end(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		span.RecordError(err)
		span.SetStatus(codes.Error, "statement failed")
	}
	span.End()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (tr traced) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, span := tr.span(ctx, query)
	res, err := tr.q.ExecContext(ctx, query, args...)
	end(span, err)
	return res, err
}

func (tr traced) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, span := tr.span(ctx, query)
	rows, err := tr.q.QueryContext(ctx, query, args...)
	end(span, err)
	return rows, err
}

func (tr traced) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx, span := tr.span(ctx, query)
	row := tr.q.QueryRowContext(ctx, query, args...)
	end(span, row.Err())
	return row
}
