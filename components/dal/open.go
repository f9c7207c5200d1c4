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

// Open connects to every node of every pod and pings them. It does not migrate. What it returns
// is the routed view (see Routing); on several pods the directory it reads is refreshed every
// second until Close.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &cluster{byName: map[string]*pod{}, failing: newFailingPool()}
	db := &DB{c: c}
	if cfg.Driver == "mysql" {
		c.dialect = MySQL
		for _, pc := range cfg.pods() {
			p, err := openMySQLPod(pc, cfg.MaxOpenConns)
			if err != nil {
				db.Close()
				return nil, err
			}
			c.pods = append(c.pods, p)
			c.byName[p.name] = p
		}
	} else {
		c.dialect = SQLite
		p, err := openSQLite(cfg)
		if err != nil {
			db.Close()
			return nil, err
		}
		c.pods, c.byName[p.name] = []*pod{p}, p
	}
	c.dirPod = c.pods[0]
	if cfg.Directory != "" {
		c.dirPod = c.byName[cfg.Directory]
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, p := range c.pods {
		if err := p.primary.PingContext(pctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("dal: ping %s pod %s: %w", c.dialect, p.name, err)
		}
		if c.dialect != MySQL {
			continue
		}
		pools := []*sql.DB{p.primary}
		if p.replica != p.primary {
			pools = append(pools, p.replica)
		}
		for _, pool := range pools {
			if err := checkConnectionCharset(pctx, pool); err != nil {
				db.Close()
				return nil, err
			}
		}
		var version string
		if err := p.primary.QueryRowContext(pctx, `SELECT VERSION()`).Scan(&version); err != nil {
			db.Close()
			return nil, fmt.Errorf("dal: pod %s version: %w", p.name, err)
		}
		c.tidb = c.tidb || strings.Contains(version, "TiDB")
	}
	c.dir = newDirectory(c, cfg.DefaultPod)
	if len(c.pods) > 1 { // one pod routes without the directory
		c.dir.run(time.Second)
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

func openSQLite(cfg Config) (*pod, error) {
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
	return &pod{name: MainPod, primary: primary, replica: replica}, nil
}

// openMySQLPod opens a pool per node: the first node is the primary, the second (if any) serves
// plain reads.
func openMySQLPod(pc PodConfig, maxConns int) (*pod, error) {
	if maxConns == 0 {
		maxConns = 64
	}
	primary, err := sql.Open("mysql", mysqlDSN(pc.Nodes[0]))
	if err != nil {
		return nil, fmt.Errorf("dal: open mysql pod %s: %w", pc.Name, err)
	}
	primary.SetMaxOpenConns(maxConns)
	primary.SetMaxIdleConns(maxConns)
	primary.SetConnMaxLifetime(30 * time.Minute)
	replica := primary
	if len(pc.Nodes) > 1 {
		if replica, err = sql.Open("mysql", mysqlDSN(pc.Nodes[1])); err != nil {
			primary.Close()
			return nil, fmt.Errorf("dal: open mysql pod %s replica: %w", pc.Name, err)
		}
		replica.SetMaxOpenConns(maxConns)
		replica.SetMaxIdleConns(maxConns)
	}
	return &pod{name: pc.Name, primary: primary, replica: replica}, nil
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
