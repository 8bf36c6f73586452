package pgtest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestNewDBIsFreshAndSeparate(t *testing.T) {
	c := Shared(t)
	a, b := c.NewDB(t), c.NewDB(t)
	if a == b {
		t.Fatalf("NewDB returned the same DSN twice: %s", a)
	}
	ca := connect(t, a)
	if _, err := ca.Exec(context.Background(), "CREATE TABLE x (v int); INSERT INTO x VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var n int
	err := connect(t, b).QueryRow(context.Background(), "SELECT count(*) FROM pg_tables WHERE tablename = 'x'").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("table of one database is visible in another: count %d, want 0", n)
	}
	if Shared(t) != c {
		t.Error("Shared started a second cluster")
	}
}

func TestServerDoesNotRunAsRoot(t *testing.T) {
	var super bool
	err := connect(t, Shared(t).NewDB(t)).QueryRow(context.Background(),
		"SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super)
	if err != nil || !super {
		t.Fatalf("DSN does not connect as a superuser: super %v, err %v", super, err)
	}
	// initdb refuses root, so a running cluster is itself the proof; check the files' owner too.
	st, err := os.Stat(Shared(t).dir)
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 && st.Sys() != nil && ownerUID(st) == 0 {
		t.Errorf("cluster directory %s is owned by root", Shared(t).dir)
	}
}

func TestTerminateBackendsCutsTheConnection(t *testing.T) {
	c := Shared(t)
	dsn := c.NewDB(t)
	victim := connect(t, dsn+"&application_name=victim")
	bystander := connect(t, dsn+"&application_name=bystander")
	if n := c.TerminateBackends(t, "", "victim"); n != 1 {
		t.Fatalf("terminated %d backends, want 1", n)
	}
	if _, err := victim.Exec(context.Background(), "SELECT 1"); err == nil {
		t.Error("victim's connection still works after TerminateBackends")
	}
	if _, err := bystander.Exec(context.Background(), "SELECT 1"); err != nil {
		t.Errorf("bystander's connection was cut: %v", err)
	}
}

func TestRestartKeepsDataAndDropsConnections(t *testing.T) {
	c := Start(t)
	dsn := c.NewDB(t)
	before := connect(t, dsn)
	if _, err := before.Exec(context.Background(), "CREATE TABLE x (v int); INSERT INTO x VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	c.Restart(t)
	if _, err := before.Exec(context.Background(), "SELECT 1"); err == nil {
		t.Error("a connection survived Restart")
	}
	var v int
	if err := connect(t, dsn).QueryRow(context.Background(), "SELECT v FROM x").Scan(&v); err != nil || v != 42 {
		t.Errorf("after restart: v %d, err %v; want 42", v, err)
	}
	c.Stop(t)
	if _, err := pgx.Connect(context.Background(), dsn); err == nil {
		t.Error("connected to a stopped cluster")
	}
	c.Stop(t) // stopping twice is harmless
	if !strings.Contains(c.Log(), "database system") {
		t.Errorf("server log does not look like one:\n%s", c.Log())
	}
}

func TestMissingBinariesAreNamed(t *testing.T) {
	t.Setenv("PGTEST_BINDIR", t.TempDir())
	_, err := findBindir()
	if !errors.Is(err, ErrNoPostgres) {
		t.Fatalf("findBindir with an empty PGTEST_BINDIR: %v, want ErrNoPostgres", err)
	}
	if !strings.Contains(err.Error(), "PGTEST_BINDIR") {
		t.Errorf("error %q does not name PGTEST_BINDIR", err)
	}
}
