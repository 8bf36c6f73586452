package leader

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/state/pgstate"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// createTable makes the schema with the state's migrations, the leadership table among them.
func createTable(t *testing.T, dsn, schema string) {
	t.Helper()
	st, err := pgstate.Open(context.Background(), pgstate.Config{DSN: dsn, Schema: schema, Node: "test"})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}

func connConfig(t *testing.T, dsn string) *pgx.ConnConfig {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// node is one contender and the changes its OnChange saw.
type node struct {
	*Leader
	changes chan bool
}

func newNode(t *testing.T, dsn, schema, name string, mutate ...func(*Options)) *node {
	t.Helper()
	n := &node{changes: make(chan bool, 16)}
	opts := Options{Conn: connConfig(t, dsn), Schema: schema, Node: name, OnChange: func(b bool) { n.changes <- b }}
	for _, m := range mutate {
		m(&opts)
	}
	l, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	n.Leader = l
	t.Cleanup(func() { l.Release(context.Background()) })
	return n
}

// next waits for the next leadership change (a channel receive, bounded; no sleeping).
func (n *node) next(t *testing.T) bool {
	t.Helper()
	select {
	case b := <-n.changes:
		return b
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: no leadership change within 20s", n.opts.Node)
		return false
	}
}

func mustLead(t *testing.T, n *node) {
	t.Helper()
	if err := n.Acquire(context.Background()); err != nil {
		t.Fatalf("%s: acquire: %v", n.opts.Node, err)
	}
	if err := n.Fence(context.Background()); err != nil {
		t.Fatalf("%s: fence right after acquire: %v", n.opts.Node, err)
	}
}

func mustBeRefused(t *testing.T, n *node, holder string) {
	t.Helper()
	err := n.Acquire(context.Background())
	var held *HeldError
	if !errors.As(err, &held) || held.Node != holder {
		t.Fatalf("%s: acquire = %v, want held by %q", n.opts.Node, err, holder)
	}
	if err := n.Fence(context.Background()); !errors.Is(err, ErrNotLeader) {
		t.Errorf("%s: fence while refused = %v, want ErrNotLeader", n.opts.Node, err)
	}
	if ok, why := n.Leading(); ok || !strings.Contains(why, holder) {
		t.Errorf("%s: Leading = %v %q, want false naming %q", n.opts.Node, ok, why, holder)
	}
}

func TestOneLeaderAndRelease(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	createTable(t, dsn, "reaper")
	a, b := newNode(t, dsn, "reaper", "bastion-a"), newNode(t, dsn, "reaper", "bastion-b")
	mustLead(t, a)
	if !a.next(t) {
		t.Fatal("OnChange(false) on acquire")
	}
	mustLead(t, a) // acquiring again while leading is a no-op
	mustBeRefused(t, b, "bastion-a")
	mustBeRefused(t, b, "bastion-a") // a refused contender does not keep a session or the lock

	a.Release(context.Background())
	if a.next(t) {
		t.Fatal("OnChange(true) on release")
	}
	if err := a.Fence(context.Background()); !errors.Is(err, ErrNotLeader) {
		t.Errorf("fence after release = %v, want ErrNotLeader", err)
	}
	mustLead(t, b)
	mustBeRefused(t, a, "bastion-b")
}

func TestSchemasLeadIndependently(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	createTable(t, dsn, "team_one")
	createTable(t, dsn, "team_two")
	mustLead(t, newNode(t, dsn, "team_one", "x"))
	mustLead(t, newNode(t, dsn, "team_two", "y"))
	if LockKey("team_one") == LockKey("team_two") {
		t.Error("two schemas share a lock key")
	}
}

func TestTakeoverAfterHoldersConnectionIsKilled(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDB(t)
	createTable(t, dsn, "reaper")
	a, b := newNode(t, dsn, "reaper", "bastion-a"), newNode(t, dsn, "reaper", "bastion-b")
	mustLead(t, a)
	a.next(t)
	mustBeRefused(t, b, "bastion-a")

	if n := c.TerminateBackends(t, "", "reaper-leader:bastion-a"); n != 1 {
		t.Fatalf("terminated %d sessions of bastion-a, want 1", n)
	}
	mustLead(t, b) // the server released the lock with the session
	err := a.Fence(context.Background())
	if !errors.Is(err, ErrNotLeader) || !strings.Contains(err.Error(), "fence failed") {
		t.Fatalf("fence of the killed holder = %v, want not the leader: fence failed", err)
	}
	if a.next(t) {
		t.Error("OnChange(true) after the session was killed")
	}
	if ok, why := a.Leading(); ok || !strings.Contains(why, "leadership lost") {
		t.Errorf("Leading = %v %q, want false, leadership lost", ok, why)
	}
	mustBeRefused(t, a, "bastion-b")
}

func TestAcquireReprovesAndRecoversALostSession(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDB(t)
	createTable(t, dsn, "reaper")
	a := newNode(t, dsn, "reaper", "bastion-a")
	mustLead(t, a)
	a.next(t)
	c.TerminateBackends(t, "", "reaper-leader:bastion-a")
	// Nobody else took over: the next Acquire finds its session dead and campaigns anew.
	mustLead(t, a)
	if a.next(t) || !a.next(t) {
		t.Error("OnChange did not see the loss and the new leadership, in that order")
	}
}

func TestFenceFailsWhenAnotherSessionIsRecordedHolder(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	createTable(t, dsn, "reaper")
	a := newNode(t, dsn, "reaper", "bastion-a")
	mustLead(t, a)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "UPDATE reaper.leadership SET pid = 0"); err != nil {
		t.Fatal(err)
	}
	if err := a.Fence(context.Background()); !errors.Is(err, ErrNotLeader) || !strings.Contains(err.Error(), "no longer held") {
		t.Fatalf("fence = %v, want not the leader: no longer held", err)
	}
}

func TestKeepaliveNoticesADeadConnection(t *testing.T) {
	c := pgtest.Shared(t)
	dsn := c.NewDB(t)
	createTable(t, dsn, "reaper")
	a := newNode(t, dsn, "reaper", "bastion-a", func(o *Options) { o.Keepalive, o.SessionTimeout = 20*time.Millisecond, time.Second })
	mustLead(t, a)
	a.next(t)
	c.TerminateBackends(t, "", "reaper-leader:bastion-a")
	if a.next(t) { // without any Fence: the keepalive found out
		t.Fatal("OnChange(true) after the session was killed")
	}
	if ok, why := a.Leading(); ok || !strings.Contains(why, "keepalive failed") {
		t.Errorf("Leading = %v %q, want false, keepalive failed", ok, why)
	}
}

func TestFenceFailsAfterServerRestart(t *testing.T) {
	c := pgtest.Start(t)
	dsn := c.NewDB(t)
	createTable(t, dsn, "reaper")
	a, b := newNode(t, dsn, "reaper", "bastion-a"), newNode(t, dsn, "reaper", "bastion-b")
	mustLead(t, a)
	c.Restart(t)
	if err := a.Fence(context.Background()); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("fence after restart = %v, want ErrNotLeader", err)
	}
	mustLead(t, b)
	c.Stop(t)
	if err := b.Fence(context.Background()); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("fence with the server down = %v, want ErrNotLeader", err)
	}
	err := a.Acquire(context.Background())
	var held *HeldError
	if err == nil || errors.As(err, &held) {
		t.Fatalf("acquire with the server down = %v, want a connection error", err)
	}
	if ok, why := a.Leading(); ok || !strings.Contains(why, "cannot reach PostgreSQL") {
		t.Errorf("Leading = %v %q, want false, cannot reach PostgreSQL", ok, why)
	}
}

func TestLeaderSessionHasAnIdleTimeout(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	createTable(t, dsn, "reaper")
	a := newNode(t, dsn, "reaper", "bastion-a")
	mustLead(t, a)
	var timeout string
	a.mu.Lock()
	err := a.conn.QueryRow(context.Background(), "SHOW idle_session_timeout").Scan(&timeout)
	a.mu.Unlock()
	if err != nil || timeout != "30s" {
		t.Errorf("idle_session_timeout of the leader's session = %q (%v), want 30s", timeout, err)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	conn := connConfig(t, "postgres://u:s3cret@localhost/x")
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no schema", Options{Conn: conn, Node: "n"}, "schema and node name are required"},
		{"no node", Options{Conn: conn, Schema: "s"}, "schema and node name are required"},
		{"no connection", Options{Schema: "s", Node: "n"}, "connection config, schema and node name are required"},
		{"timeout too short", Options{Conn: conn, Schema: "s", Node: "n", Keepalive: time.Minute}, "must exceed twice the keepalive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("New = %v, want an error containing %q and no secret", err, tt.want)
			}
		})
	}
}

func TestConnectErrorsHoldNoPassword(t *testing.T) {
	cfg := connConfig(t, "postgres://reaper:s3cret-pw@/x?host="+t.TempDir()) // no server there
	l, err := New(Options{Conn: cfg, Schema: "reaper", Node: "n"})
	if err != nil {
		t.Fatal(err)
	}
	err = l.Acquire(context.Background())
	_, why := l.Leading()
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") || strings.Contains(why, "s3cret-pw") {
		t.Fatalf("acquire without a server = %v (reason %q): want an error without the password", err, why)
	}
}
