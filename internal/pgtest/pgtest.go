// Package pgtest starts throwaway PostgreSQL clusters for tests. Production code never imports it.
//
// A cluster is initdb'd into a fresh temporary directory, listens only on a unix socket in that
// directory (no TCP), runs with fsync off, trusts local connections, and is stopped
// with `pg_ctl stop -m immediate` and removed when the test (or the test binary) ends, even when it
// fails. initdb refuses to run as root, so when the test runs as root the server runs as the
// unprivileged user "postgres" (or "nobody" when there is none), which owns the directory.
//
// Two ways in:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) } // one cluster per test binary
//	func TestX(t *testing.T) { dsn := pgtest.Shared(t).NewDB(t) } // a fresh database per test
//
// and, for a test that stops, restarts or otherwise disturbs the server, a cluster of its own:
//
//	c := pgtest.Start(t) // stopped and removed by t.Cleanup
//
// When the PostgreSQL binaries (initdb, pg_ctl) are missing, tests skip with a message saying so;
// when the environment variable CI is "true" they fail instead. The binaries are looked up on PATH
// and then in /usr/lib/postgresql/*/bin (the newest version first); PGTEST_BINDIR names a directory
// to use instead.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is one running (or stopped) PostgreSQL cluster. Its methods are safe for concurrent use.
type Cluster struct {
	bindir string
	dir    string // owned by the server's user: data/, the socket, server.log
	cred   *syscall.Credential

	mu      sync.Mutex
	running bool
	dbs     int
}

// ErrNoPostgres is returned (wrapped) when the PostgreSQL binaries cannot be found.
var ErrNoPostgres = errors.New("postgresql binaries (initdb, pg_ctl) not found; install postgresql or set PGTEST_BINDIR")

var shared struct {
	once    sync.Once
	cluster *Cluster
	err     error
}

// Main runs the tests of a binary and then stops the cluster that Shared started, if any. It returns
// the exit code for os.Exit.
func Main(m *testing.M) int {
	code := m.Run()
	if shared.cluster != nil {
		if err := shared.cluster.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop shared cluster: %v\n", err)
		}
		_ = os.RemoveAll(shared.cluster.dir)
	}
	return code
}

// Shared returns the cluster shared by the tests of this binary, starting it on first use. Tests
// using it must not stop or restart it (use Start for that). Without Main in TestMain the cluster
// outlives the tests and is never removed.
func Shared(tb testing.TB) *Cluster {
	tb.Helper()
	shared.once.Do(func() { shared.cluster, shared.err = start() })
	if shared.err != nil {
		failOrSkip(tb, shared.err)
	}
	return shared.cluster
}

// Start starts a cluster of the test's own, stopped and removed when the test ends.
func Start(tb testing.TB) *Cluster {
	tb.Helper()
	c, err := start()
	if err != nil {
		failOrSkip(tb, err)
	}
	tb.Cleanup(func() {
		if err := c.stop(); err != nil {
			tb.Errorf("pgtest: stop cluster: %v", err)
		}
		_ = os.RemoveAll(c.dir)
	})
	return c
}

func failOrSkip(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, ErrNoPostgres) && os.Getenv("CI") != "true" {
		noteSkip(tb, err)
		tb.Skipf("SKIP (PostgreSQL tests): %v", err)
	}
	tb.Fatalf("pgtest: %v", err)
}

// NewDB creates a fresh, empty database and returns a DSN (a postgres:// URL) for it, connecting as
// the superuser "postgres" over the cluster's unix socket.
func (c *Cluster) NewDB(tb testing.TB) string {
	tb.Helper()
	c.mu.Lock()
	c.dbs++
	name := fmt.Sprintf("t%d_%s", c.dbs, dbNameRe.ReplaceAllString(strings.ToLower(tb.Name()), "_"))
	c.mu.Unlock()
	if len(name) > 63 {
		name = name[:63]
	}
	if _, err := c.Exec(context.Background(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	return c.DSN(name)
}

var dbNameRe = regexp.MustCompile(`[^a-z0-9_]+`)

// DSN returns a DSN (a postgres:// URL) for the database named db, as the superuser "postgres".
func (c *Cluster) DSN(db string) string {
	q := url.Values{"host": {c.dir}, "user": {"postgres"}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", Path: "/" + db, RawQuery: q.Encode()}).String()
}

// Exec runs one SQL statement in the database "postgres" as the superuser and returns the number of
// rows it affected or returned.
func (c *Cluster) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return 0, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	tag, err := conn.Exec(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// TerminateBackends ends, with pg_terminate_backend, every server session connected to the database
// db (every database when db is empty) whose application_name is app (any when app is empty), and
// returns how many it ended, once they have ended (up to 10 s each). It is how a test cuts a
// client's connection.
func (c *Cluster) TerminateBackends(tb testing.TB, db, app string) int {
	tb.Helper()
	var n int
	err := c.queryRow(`SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'
		AND ($1 = '' OR datname = $1) AND ($2 = '' OR application_name = $2)`, []any{db, app}, &n)
	if err != nil {
		tb.Fatalf("pgtest: terminate backends: %v", err)
	}
	return n
}

func (c *Cluster) queryRow(sql string, args []any, dst ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	return conn.QueryRow(ctx, sql, args...).Scan(dst...)
}

// Stop stops the server at once (pg_ctl stop -m immediate): every connection drops. Start it again
// with Restart. Stopping a stopped cluster does nothing.
func (c *Cluster) Stop(tb testing.TB) {
	tb.Helper()
	if err := c.stop(); err != nil {
		tb.Fatalf("pgtest: stop: %v", err)
	}
}

// Restart stops the server at once (if it runs) and starts it again on the same socket with the
// same data: every connection drops, committed data stays.
func (c *Cluster) Restart(tb testing.TB) {
	tb.Helper()
	if err := c.stop(); err != nil {
		tb.Fatalf("pgtest: restart: %v", err)
	}
	if err := c.startServer(); err != nil {
		tb.Fatalf("pgtest: restart: %v", err)
	}
}

// Log returns the server's log so far, for a failing test to show.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	return string(b)
}

func start() (*Cluster, error) {
	bindir, err := findBindir()
	if err != nil {
		return nil, err
	}
	cred, uid, gid, err := serverUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	c := &Cluster{bindir: bindir, dir: dir, cred: cred}
	if err := c.initdb(uid, gid); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := c.startServer(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func (c *Cluster) initdb(uid, gid int) error {
	if c.cred != nil {
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return fmt.Errorf("chown temp dir: %w", err)
		}
	}
	data := filepath.Join(c.dir, "data")
	if out, err := c.command("initdb", "-D", data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions").CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, out)
	}
	conf := fmt.Sprintf(`
listen_addresses = ''
unix_socket_directories = '%s'
fsync = off
full_page_writes = off
max_connections = 100
shared_buffers = 16MB
log_min_messages = warning
`, c.dir)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	if _, err := f.WriteString(conf); err != nil {
		f.Close()
		return fmt.Errorf("configure: %w", err)
	}
	return f.Close()
}

func (c *Cluster) startServer() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return nil
	}
	out, err := c.command("pg_ctl", "start", "-w", "-t", "60", "-D", filepath.Join(c.dir, "data"),
		"-l", filepath.Join(c.dir, "server.log")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl start: %w: %s\n%s", err, out, c.Log())
	}
	c.running = true
	return nil
}

func (c *Cluster) stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	out, err := c.command("pg_ctl", "stop", "-w", "-m", "immediate", "-D", filepath.Join(c.dir, "data")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	c.running = false
	return nil
}

// command runs a PostgreSQL binary as the server's user.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bindir, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// serverUser returns the credential to run the server with: nil when the test is not root,
// otherwise that of "postgres" or else "nobody".
func serverUser() (*syscall.Credential, int, int, error) {
	if os.Geteuid() != 0 {
		return nil, 0, 0, nil
	}
	var errs []error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 != nil || err2 != nil {
			errs = append(errs, fmt.Errorf("user %s: non-numeric uid or gid", name))
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: false}, uid, gid, nil
	}
	return nil, 0, 0, fmt.Errorf("running as root and no unprivileged user to run postgresql as: %w", errors.Join(errs...))
}

func findBindir() (string, error) {
	if d := os.Getenv("PGTEST_BINDIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			return "", fmt.Errorf("PGTEST_BINDIR=%s: %w", d, ErrNoPostgres)
		}
		return d, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		d := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

func version(bindir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bindir)))
	return n
}

// noteSkip appends "test: why" to $REAPER_SKIP_FILE when it is set: `make test` ends with a banner
// naming every test that skipped for want of a component, so a skipped PostgreSQL test cannot pass
// unseen (in CI such a test fails instead).
func noteSkip(tb testing.TB, why error) {
	path := os.Getenv("REAPER_SKIP_FILE")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		tb.Errorf("record the skip in %s: %v", path, err)
		return
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%s (PostgreSQL): %v\n", tb.Name(), why); err != nil {
		tb.Errorf("record the skip in %s: %v", path, err)
	}
}
