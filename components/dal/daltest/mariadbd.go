package daltest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Server is a mariadbd process of a test's own, on a free loopback port with its data in the
// test's temporary directory: a pod's primary or replica, which a failover test stops (as a crash
// would: SIGKILL) and starts again. It runs without grant tables (root with no password, for
// replication too) and with the binary log on, so any server can be a primary.
type Server struct {
	t    testing.TB
	ID   int
	Port int
	dir  string
	bin  string

	mu  sync.Mutex
	cmd *exec.Cmd
}

var serverIDs struct {
	sync.Mutex
	next int
}

// StartMariaDB initializes a data directory and starts mariadbd on it; it skips t (fails it in
// CI) when mariadbd is not installed. The server is killed at cleanup.
func StartMariaDB(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("mariadbd")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/mariadbd"); err != nil {
			Unreachable(t, "mariadbd (Debian's mariadb-server)", err)
		}
	}
	serverIDs.Lock()
	serverIDs.next++
	id := 100 + serverIDs.next
	serverIDs.Unlock()
	dir := t.TempDir()
	install := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+filepath.Join(dir, "data"), "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	s := &Server{t: t, ID: id, dir: dir, bin: bin, Port: freePort(t)}
	s.Start()
	t.Cleanup(s.Kill)
	return s
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Start starts the server (again, after Kill, on the same data) and waits until it answers.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.bin, "--no-defaults", "--datadir="+filepath.Join(s.dir, "data"), "--user=root",
		"--port="+strconv.Itoa(s.Port), "--bind-address=127.0.0.1", "--socket="+filepath.Join(s.dir, "sock"),
		"--pid-file="+filepath.Join(s.dir, "pid"), "--server-id="+strconv.Itoa(s.ID), "--log-bin="+filepath.Join(s.dir, "data", "bin"),
		"--binlog-format=ROW", "--log-slave-updates", "--skip-grant-tables", "--innodb-buffer-pool-size=32M",
		"--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin", "--log-error="+filepath.Join(s.dir, "err.log"))
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start mariadbd: %v", err)
	}
	s.cmd = cmd
	go func() { _ = cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, err := sql.Open("mysql", s.DSN(""))
		if err == nil {
			err = db.Ping()
			db.Close()
		}
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "err.log"))
			s.t.Fatalf("mariadbd on port %d not up after 30s: %v\n%s", s.Port, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill stops the server at once, as a crash would.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), 100*time.Millisecond); err != nil {
			break
		} else {
			c.Close()
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.cmd = nil
}

// DSN is the server's DSN for database name ("" for none).
func (s *Server) DSN(name string) string {
	c := mysql.NewConfig()
	c.User, c.Net, c.Addr, c.DBName = "root", "tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), name
	return c.FormatDSN()
}

// Exec runs statements on the server, failing t on an error.
func (s *Server) Exec(stmts ...string) {
	s.t.Helper()
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, stmt := range stmts {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			s.t.Fatalf("mariadbd :%d: %s: %v", s.Port, stmt, err)
		}
	}
}

// Replicate makes s a read-only replica of primary from its current position (both are fresh,
// or primary's data is already on s), and waits until its threads run.
func (s *Server) Replicate(primary *Server) {
	s.t.Helper()
	s.Exec("STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL read_only = 1",
		fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='root', MASTER_PASSWORD='', "+
			"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1", primary.Port),
		"START SLAVE")
}

// Promote makes s a writable primary, as an operator does after its primary died: replication
// stops and read_only goes off.
func (s *Server) Promote() {
	s.t.Helper()
	s.Exec("STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL read_only = 0")
}

// Pod starts a primary and replicas replicating from it, with a database name on the primary
// (created utf8mb4_bin; replicated to the replicas), and returns the servers and the pod's node
// DSNs, primary first.
func Pod(t testing.TB, name string, replicas int) ([]*Server, []string) {
	t.Helper()
	primary := StartMariaDB(t)
	servers := []*Server{primary}
	for range replicas {
		r := StartMariaDB(t)
		r.Replicate(primary)
		servers = append(servers, r)
	}
	primary.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	dsns := make([]string, len(servers))
	for i, s := range servers {
		dsns[i] = s.DSN(name)
	}
	for _, r := range servers[1:] {
		r.WaitFor(func(db *sql.DB) bool {
			var n int
			return db.QueryRow(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, name).Scan(&n) == nil && n == 1
		}, "the database replicated")
	}
	return servers, dsns
}

// WaitFor polls ok on the server for up to 30 seconds, failing t if it never holds.
func (s *Server) WaitFor(ok func(db *sql.DB) bool, what string) {
	s.t.Helper()
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for !ok(db) {
		if time.Now().After(deadline) {
			s.t.Fatalf("mariadbd :%d: %s: not after 30s", s.Port, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
