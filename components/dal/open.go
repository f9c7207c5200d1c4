package dal

import (
	"cmp"
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
			p, err := openMySQLPod(pc, cfg.MaxOpenConns, cmp.Or(cfg.MaxReplicaLag, 2*time.Second))
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
		if c.dialect != MySQL {
			if err := p.nodes[0].pool.PingContext(pctx); err != nil {
				db.Close()
				return nil, fmt.Errorf("dal: ping %s: %w", c.dialect, err)
			}
			continue
		}
		// Every node is asked what it is; a pod none of whose nodes answers is a mistake of
		// configuration (or a fleet down), refused at start. A pod whose primary is down starts
		// without it: its reads go on, its writes wait for a primary.
		p.checkAll(pctx, 10*time.Second)
		var up []*node
		var firstErr error
		for _, n := range p.nodes {
			if h := n.state(); h.Up {
				up = append(up, n)
			} else if firstErr == nil {
				firstErr = h.Err
			}
		}
		if len(up) == 0 {
			db.Close()
			return nil, fmt.Errorf("dal: ping %s pod %s: no node answers: %w", c.dialect, p.name, firstErr)
		}
		for _, n := range up {
			if err := checkConnectionCharset(pctx, n.pool); err != nil {
				db.Close()
				return nil, err
			}
			var version string
			if err := n.pool.QueryRowContext(pctx, `SELECT VERSION()`).Scan(&version); err != nil {
				db.Close()
				return nil, fmt.Errorf("dal: pod %s version: %w", p.name, err)
			}
			c.tidb = c.tidb || strings.Contains(version, "TiDB")
		}
		p.run()
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
	p := newPod(MainPod, []*node{{addr: path, pool: primary}, {addr: path + " (readers)", pool: replica}}, 0)
	p.embed = true
	return p, nil
}

// openMySQLPod opens a pool per node; which node is the primary is found by asking them.
func openMySQLPod(pc PodConfig, maxConns int, maxLag time.Duration) (*pod, error) {
	if maxConns == 0 {
		maxConns = 64
	}
	var nodes []*node
	for i, dsn := range pc.Nodes {
		pool, err := sql.Open("mysql", mysqlDSN(dsn))
		if err != nil {
			for _, n := range nodes {
				n.pool.Close()
			}
			return nil, fmt.Errorf("dal: open mysql pod %s node %d: %w", pc.Name, i+1, err)
		}
		pool.SetMaxOpenConns(maxConns)
		pool.SetMaxIdleConns(maxConns)
		pool.SetConnMaxLifetime(30 * time.Minute)
		addr := dsn
		if c, err := mysql.ParseDSN(dsn); err == nil {
			addr = c.Addr
		}
		nodes = append(nodes, &node{addr: addr, pool: pool})
	}
	return newPod(pc.Name, nodes, maxLag), nil
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
	if c.Timeout == 0 {
		c.Timeout = time.Second // a node that does not answer is found down at once, not after the OS's minutes
	}
	// One round trip per statement instead of prepare, execute, close. Safe with utf8mb4 (the
	// driver refuses it for the multibyte charsets where escaping could be subverted).
	c.InterpolateParams = true
	c.Collation = "utf8mb4_bin"
	return c.FormatDSN()
}
