package dal

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Open connects and pings. It does not migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var db *DB
	var err error
	if cfg.Driver == "mysql" {
		db, err = openMySQL(cfg)
	} else {
		db, err = openSQLite(cfg)
	}
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.primary.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("dal: ping %s: %w", db.dialect, err)
	}
	if db.dialect == MySQL {
		pools := []*sql.DB{db.primary}
		if db.replica != db.primary {
			pools = append(pools, db.replica)
		}
		for _, pool := range pools {
			if err := checkConnectionCharset(pctx, pool); err != nil {
				db.Close()
				return nil, err
			}
		}
	}
	return db, nil
}

// utf8mb4Only refuses a DSN that asks for a connection charset other than utf8mb4: every id,
// address and title is written as utf8mb4, and a narrower connection would fail or mangle them.
// (The driver keeps the charset parameter to itself, so it is read from the DSN's query.)
func utf8mb4Only(dsn string) error {
	_, query, _ := strings.Cut(dsn, "?")
	params, err := url.ParseQuery(query)
	if err != nil {
		return err
	}
	for _, cs := range params["charset"] {
		for _, name := range strings.Split(cs, ",") {
			if strings.TrimSpace(name) != "utf8mb4" {
				return fmt.Errorf("charset=%s: Atrium talks to MySQL in utf8mb4 only; remove the charset parameter", cs)
			}
		}
	}
	return nil // the collation is always utf8mb4_bin (mysqlDSN)
}

// checkConnectionCharset refuses a server whose connections do not carry utf8mb4 (a server too
// old for it, or one that overrides what the client asks for, such as skip-character-set-client-
// handshake with a latin1 default): such a connection would refuse or mangle Chinese addresses.
func checkConnectionCharset(ctx context.Context, pool *sql.DB) error {
	var client, conn, results, collation string
	err := pool.QueryRowContext(ctx, `SELECT @@character_set_client, @@character_set_connection, @@character_set_results,
		@@collation_connection`).Scan(&client, &conn, &results, &collation)
	if err != nil {
		return fmt.Errorf("dal: read the connection's charset: %w", err)
	}
	if client != "utf8mb4" || conn != "utf8mb4" || results != "utf8mb4" {
		return fmt.Errorf("dal: the MySQL server gives this connection the charset %s/%s/%s (client/connection/results); "+
			"Atrium needs utf8mb4 (MySQL 5.5.3 or later, MariaDB 5.5 or later, without skip-character-set-client-handshake)",
			client, conn, results)
	}
	return nil
}

// uriPath escapes what a file: URI's path cannot hold as it is; SQLite decodes %HH.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

func openSQLite(cfg Config) (*DB, error) {
	path := cfg.DSN
	if path == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("dal: data dir: %w", err)
		}
		path = filepath.Join(cfg.DataDir, "atrium.db")
	}
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	// The path goes into a file: URI, where "?" starts the parameters and "#" a fragment: a data
	// directory named "orders#2" would otherwise open "orders", shared with every sibling.
	path = uriPath.Replace(path)
	primary, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("dal: open sqlite: %w", err)
	}
	primary.SetMaxOpenConns(1)
	primary.SetMaxIdleConns(1)
	primary.SetConnMaxIdleTime(0)
	// Make sure the file exists and is in WAL mode before readers open it read-only.
	if _, err := primary.Exec("SELECT 1"); err != nil {
		primary.Close()
		return nil, fmt.Errorf("dal: open sqlite %s: %w", path, err)
	}
	replica, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		primary.Close()
		return nil, fmt.Errorf("dal: open sqlite reader: %w", err)
	}
	replica.SetMaxOpenConns(4)
	replica.SetMaxIdleConns(4)
	return &DB{primary: primary, replica: replica, dialect: SQLite}, nil
}

func openMySQL(cfg Config) (*DB, error) {
	primary, err := sql.Open("mysql", mysqlDSN(cfg.DSN))
	if err != nil {
		return nil, fmt.Errorf("dal: open mysql: %w", err)
	}
	maxConns := cfg.MaxOpenConns
	if maxConns == 0 {
		maxConns = 64
	}
	primary.SetMaxOpenConns(maxConns)
	primary.SetMaxIdleConns(maxConns)
	primary.SetConnMaxLifetime(30 * time.Minute)
	replica := primary
	if cfg.ReplicaDSN != "" {
		if replica, err = sql.Open("mysql", mysqlDSN(cfg.ReplicaDSN)); err != nil {
			primary.Close()
			return nil, fmt.Errorf("dal: open mysql replica: %w", err)
		}
		replica.SetMaxOpenConns(maxConns)
		replica.SetMaxIdleConns(maxConns)
	}
	return &DB{primary: primary, replica: replica, dialect: MySQL}, nil
}

// mysqlDSN forces the settings the adapters rely on.
func mysqlDSN(dsn string) string {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return dsn
	}
	c.ParseTime = false
	c.MultiStatements = false
	c.ClientFoundRows = true // RowsAffected counts matched rows, as SQLite does
	// One round trip per statement instead of prepare, execute, close. Safe with utf8mb4 (the
	// driver refuses it for the multibyte charsets where escaping could be subverted).
	c.InterpolateParams = true
	c.Collation = "utf8mb4_bin"
	return c.FormatDSN()
}
