package mq

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	wmsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
)

// Watermill's SQL pub/sub knows MySQL and PostgreSQL; these two adapters (its documented
// extension points) add SQLite, the embedded default. SQLite has one writer at a time and no
// row locks: dal gives it a single primary connection that begins every transaction IMMEDIATE,
// so a subscription's transaction holds the write lock from its SELECT to its ack, which is what
// MySQL's SELECT ... FOR UPDATE on the offsets row gives. The consumer's own writes go in that
// transaction (Consumers does so), so they commit with the ack.

type sqliteSchema struct {
	table func(topic string) string
	batch int
}

func (s sqliteSchema) SchemaInitializingQueries(p wmsql.SchemaInitializingQueriesParams) ([]wmsql.Query, error) {
	return []wmsql.Query{{Query: `CREATE TABLE IF NOT EXISTS "` + s.table(p.Topic) + `" (
		"offset" INTEGER PRIMARY KEY AUTOINCREMENT,
		uuid VARCHAR(64) NOT NULL,
		created_at BIGINT NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)),
		payload TEXT,
		metadata TEXT
	)`}}, nil
}

func (s sqliteSchema) InsertQuery(p wmsql.InsertQueryParams) (wmsql.Query, error) {
	args := make([]any, 0, 3*len(p.Msgs))
	for _, m := range p.Msgs {
		meta, err := json.Marshal(m.Metadata)
		if err != nil {
			return wmsql.Query{}, fmt.Errorf("mq: metadata of %s: %w", m.UUID, err)
		}
		args = append(args, m.UUID, string(m.Payload), string(meta))
	}
	return wmsql.Query{Query: `INSERT INTO "` + s.table(p.Topic) + `" (uuid, payload, metadata) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?),", len(p.Msgs)), ","), Args: args}, nil
}

func (s sqliteSchema) SelectQuery(p wmsql.SelectQueryParams) (wmsql.Query, error) {
	next, err := p.OffsetsAdapter.NextOffsetQuery(wmsql.NextOffsetQueryParams{Topic: p.Topic, ConsumerGroup: p.ConsumerGroup})
	if err != nil {
		return wmsql.Query{}, err
	}
	return wmsql.Query{Query: `SELECT "offset", uuid, payload, metadata FROM "` + s.table(p.Topic) + `" WHERE "offset" > (` +
		next.Query + `) ORDER BY "offset" LIMIT ` + fmt.Sprint(s.batch), Args: next.Args}, nil
}

func (s sqliteSchema) UnmarshalMessage(p wmsql.UnmarshalMessageParams) (wmsql.Row, error) {
	var r wmsql.Row
	var uuid, payload, meta sql.NullString
	if err := p.Row.Scan(&r.Offset, &uuid, &payload, &meta); err != nil {
		return wmsql.Row{}, fmt.Errorf("mq: scan message row: %w", err)
	}
	r.UUID, r.Payload, r.Metadata = []byte(uuid.String), []byte(payload.String), []byte(meta.String)
	msg := message.NewMessage(uuid.String, r.Payload)
	if meta.Valid && meta.String != "" {
		if err := json.Unmarshal(r.Metadata, &msg.Metadata); err != nil {
			return wmsql.Row{}, fmt.Errorf("mq: metadata of %s: %w", uuid.String, err)
		}
	}
	r.Msg = msg
	return r, nil
}

// SubscribeIsolationLevel is the default: dal's SQLite transactions are IMMEDIATE and
// serialized, and the driver refuses other levels.
func (s sqliteSchema) SubscribeIsolationLevel() sql.IsolationLevel { return sql.LevelDefault }

type sqliteOffsets struct{ table func(topic string) string }

func (a sqliteOffsets) SchemaInitializingQueries(p wmsql.OffsetsSchemaInitializingQueriesParams) ([]wmsql.Query, error) {
	return []wmsql.Query{{Query: `CREATE TABLE IF NOT EXISTS "` + a.table(p.Topic) + `" (
		consumer_group VARCHAR(255) NOT NULL PRIMARY KEY,
		offset_acked BIGINT,
		offset_consumed BIGINT NOT NULL
	)`}}, nil
}

func (a sqliteOffsets) AckMessageQuery(p wmsql.AckMessageQueryParams) (wmsql.Query, error) {
	return wmsql.Query{Query: `INSERT INTO "` + a.table(p.Topic) + `" (offset_consumed, offset_acked, consumer_group) VALUES (?, ?, ?)
		ON CONFLICT (consumer_group) DO UPDATE SET offset_consumed = excluded.offset_consumed, offset_acked = excluded.offset_acked`,
		Args: []any{p.LastRow.Offset, p.LastRow.Offset, p.ConsumerGroup}}, nil
}

// ConsumedMessageQuery records nothing: the offset that matters is the acked one, written in the
// same transaction.
func (a sqliteOffsets) ConsumedMessageQuery(wmsql.ConsumedMessageQueryParams) (wmsql.Query, error) {
	return wmsql.Query{}, nil
}

func (a sqliteOffsets) NextOffsetQuery(p wmsql.NextOffsetQueryParams) (wmsql.Query, error) {
	return wmsql.Query{Query: `SELECT COALESCE((SELECT offset_acked FROM "` + a.table(p.Topic) + `" WHERE consumer_group = ?), 0)`,
		Args: []any{p.ConsumerGroup}}, nil
}

func (a sqliteOffsets) BeforeSubscribingQueries(wmsql.BeforeSubscribingQueriesParams) ([]wmsql.Query, error) {
	return nil, nil
}
