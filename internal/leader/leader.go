// Package leader elects one active reaper among several sharing one PostgreSQL state.
//
// Leadership is a session-level advisory lock (pg_try_advisory_lock) whose key is derived from the
// state's schema name, held on a dedicated connection (not the state's pool): the server releases
// it the moment that session ends, whether the holder exits, crashes, is killed, or its connection
// is cut. The holder writes its node name and backend pid into the table <schema>.leadership, so
// a refused contender can say who leads.
//
// Holding the lock once is not enough to act: a session can end at any moment. Fence proves, by an
// UPDATE of the leadership row guarded by the lock in pg_locks for this very session, that the
// lock is still held; zero rows or any error means leadership is lost, the connection is dropped
// and no further action may start. A keepalive on the dedicated connection notices a dead
// connection between cycles, and the session sets idle_session_timeout so that the server ends
// (and releases) the session of a holder that stopped talking, such as a frozen or partitioned
// host.
package leader

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Defaults for Options.
const (
	DefaultKeepalive      = 5 * time.Second
	DefaultSessionTimeout = 30 * time.Second
	DefaultQueryTimeout   = 10 * time.Second
)

// ErrNotLeader is returned by Fence when this process does not (or no longer) hold leadership.
var ErrNotLeader = errors.New("not the leader")

// HeldError is returned by Acquire when another session holds leadership.
type HeldError struct {
	Node string // the holder's node name; empty when it cannot be told
}

func (e *HeldError) Error() string {
	if e.Node == "" {
		return "another reaper leads this state (its node name is not known yet)"
	}
	return fmt.Sprintf("reaper on node %q leads this state", e.Node)
}

// Options configures a Leader.
type Options struct {
	// Conn says how to connect to the state's server (the state store's config; it holds a
	// password: it never reaches an error or a log). Leader connects with a copy.
	Conn *pgx.ConnConfig
	// Schema is the state's schema: it holds the leadership table and names the lock.
	Schema string
	// Node is this process's node name, written for others to read.
	Node string
	// Keepalive is how often the dedicated connection is checked between fences. Zero means
	// DefaultKeepalive.
	Keepalive time.Duration
	// SessionTimeout is the server-side idle_session_timeout of the dedicated session: a holder
	// silent for longer loses the lock. It must exceed Keepalive; zero means DefaultSessionTimeout.
	SessionTimeout time.Duration
	// OnChange, if set, is called with true when leadership is acquired and false when it is lost
	// or released. It must not call the Leader.
	OnChange func(leading bool)
	Logger   *slog.Logger
}

// Leader campaigns for, holds and proves leadership of one state. Its methods are safe for
// concurrent use.
type Leader struct {
	opts  Options
	cfg   *pgx.ConnConfig
	key   int64
	table string // quoted, schema-qualified leadership table

	mu     sync.Mutex // guards conn and serialises its use
	conn   *pgx.Conn  // the dedicated session; nil when not leading
	stop   chan struct{}
	done   chan struct{}
	reason string // why this process does not lead, for /readyz
}

// New returns a Leader that does not lead yet. It makes no connection.
func New(opts Options) (*Leader, error) {
	if opts.Conn == nil || opts.Schema == "" || opts.Node == "" {
		return nil, errors.New("leader: connection config, schema and node name are required")
	}
	cfg := opts.Conn.Copy()
	if opts.Keepalive <= 0 {
		opts.Keepalive = DefaultKeepalive
	}
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = DefaultSessionTimeout
	}
	if opts.SessionTimeout <= 2*opts.Keepalive {
		return nil, fmt.Errorf("leader: session timeout %s must exceed twice the keepalive %s", opts.SessionTimeout, opts.Keepalive)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.RuntimeParams["application_name"] = "reaper-leader:" + opts.Node
	cfg.RuntimeParams["idle_session_timeout"] = fmt.Sprint(opts.SessionTimeout.Milliseconds())
	cfg.DialFunc = (&net.Dialer{KeepAlive: opts.Keepalive, Timeout: DefaultQueryTimeout}).DialContext
	return &Leader{opts: opts, cfg: cfg, key: LockKey(opts.Schema),
		table: pgx.Identifier{opts.Schema, "leadership"}.Sanitize(), reason: "leadership not tried yet"}, nil
}

// LockKey is the advisory lock key of the state in schema. Advisory locks are per database, so
// there is one leader per database and schema: one per state.
func LockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("reaper leadership\x00" + schema))
	return int64(h.Sum64())
}

// Leading reports whether this process holds leadership as far as it knows (Fence proves it), and
// when it does not, why.
func (l *Leader) Leading() (bool, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		return true, ""
	}
	return false, l.reason
}

// Session returns the PostgreSQL backend PID of the session that holds leadership for this
// process, 0 when it does not lead as far as it knows. A write fenced on it (the PID holds the
// lock) proves leadership in the same statement, as Fence does.
func (l *Leader) Session() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return 0
	}
	return l.conn.PgConn().PID()
}

// Acquire takes leadership if no other session holds it. It returns nil when this process leads
// (already, proven by a fence, or now), a *HeldError when another does, and another error when the
// database cannot be used.
func (l *Leader) Acquire(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil && l.fence(ctx) == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultQueryTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		l.reason = "cannot reach PostgreSQL: " + err.Error() // pgx names host, user and database, never the password
		return fmt.Errorf("leadership: connect: %w", err)
	}
	if err := l.campaign(ctx, conn); err != nil {
		conn.Close(context.Background())
		var held *HeldError
		if errors.As(err, &held) {
			l.reason = "standby: " + held.Error()
		} else {
			l.reason = "leadership not acquired: " + err.Error()
		}
		return err
	}
	l.conn, l.stop, l.done = conn, make(chan struct{}), make(chan struct{})
	go l.keepalive(conn, l.stop, l.done)
	l.opts.Logger.Info("leadership acquired", "node", l.opts.Node, "schema", l.opts.Schema)
	if l.opts.OnChange != nil {
		l.opts.OnChange(true)
	}
	return nil
}

// campaign tries the lock on conn and, once held, writes this node into the leadership row.
func (l *Leader) campaign(ctx context.Context, conn *pgx.Conn) error {
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", l.key).Scan(&got); err != nil {
		return fmt.Errorf("leadership: try lock: %w", err)
	}
	if !got {
		return &HeldError{Node: l.holder(ctx, conn)}
	}
	_, err := conn.Exec(ctx, `INSERT INTO `+l.table+` (id, node, pid, acquired_at, fenced_at)
		VALUES (1, $1, pg_backend_pid(), now(), now())
		ON CONFLICT (id) DO UPDATE SET node = excluded.node, pid = excluded.pid,
			acquired_at = excluded.acquired_at, fenced_at = excluded.fenced_at`, l.opts.Node)
	if err != nil {
		return fmt.Errorf("leadership: record holder: %w", err)
	}
	return nil
}

// holder returns the node name of the session holding the lock, or "" when the leadership row
// does not name it (the holder has not written it yet, or the table cannot be read).
func (l *Leader) holder(ctx context.Context, conn *pgx.Conn) string {
	var node string
	err := conn.QueryRow(ctx, `SELECT node FROM `+l.table+` WHERE id = 1 AND pid IN (`+heldBy+`)`,
		l.key).Scan(&node)
	if err != nil {
		return ""
	}
	return node
}

// heldBy selects the pids holding the advisory lock $1 (a bigint key: classid is its high 32
// bits, objid its low ones, objsubid 1) in the current database.
const heldBy = `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
	AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
	AND classid::int8 = ($1::int8 >> 32) & 4294967295 AND objid::int8 = $1::int8 & 4294967295
	AND objsubid = 1`

// Fence proves that this process still leads, by a write in the session that holds the lock: an
// UPDATE of the leadership row that matches only while this session holds the lock and is the
// recorded holder. When it cannot prove it (zero rows, any error, no session) leadership is lost
// at once and the error says why; no further action may start.
func (l *Leader) Fence(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fence(ctx)
}

// fence is Fence with l.mu held.
func (l *Leader) fence(ctx context.Context) error {
	if l.conn == nil {
		return fmt.Errorf("%w: %s", ErrNotLeader, l.reason)
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultQueryTimeout)
	defer cancel()
	tag, err := l.conn.Exec(ctx, `UPDATE `+l.table+` SET fenced_at = now()
		WHERE id = 1 AND pid = pg_backend_pid() AND pg_backend_pid() IN (`+heldBy+`)`, l.key)
	switch {
	case err != nil:
		l.lose("fence failed: " + err.Error())
	case tag.RowsAffected() != 1:
		l.lose("fence found the lock no longer held by this session")
	default:
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNotLeader, l.reason)
}

// keepalive checks the dedicated connection every Keepalive until stop is closed; the first
// failure loses leadership.
func (l *Leader) keepalive(conn *pgx.Conn, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(l.opts.Keepalive)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		if l.conn != conn { // lost or released meanwhile
			l.mu.Unlock()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), DefaultQueryTimeout)
		err := conn.Ping(ctx)
		cancel()
		if err != nil {
			l.lose("keepalive failed: " + err.Error())
			l.mu.Unlock()
			return
		}
		l.mu.Unlock()
	}
}

// lose drops the session after leadership was lost. l.mu is held.
func (l *Leader) lose(why string) {
	l.opts.Logger.Error("leadership lost", "node", l.opts.Node, "reason", why)
	l.drop("standby: leadership lost (" + why + ")")
}

// drop closes the dedicated session (which releases the lock on the server) and tells OnChange.
// l.mu is held.
func (l *Leader) drop(reason string) {
	conn := l.conn
	l.conn, l.reason = nil, reason
	close(l.stop)
	ctx, cancel := context.WithTimeout(context.Background(), DefaultQueryTimeout)
	defer cancel()
	_ = conn.Close(ctx)
	if l.opts.OnChange != nil {
		l.opts.OnChange(false)
	}
}

// Release gives leadership up: the lock is released and the session closed. Releasing when not
// leading does nothing.
func (l *Leader) Release(ctx context.Context) {
	l.mu.Lock()
	if l.conn == nil {
		l.mu.Unlock()
		return
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultQueryTimeout)
	_, _ = l.conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", l.key) // closing the session releases it anyway
	cancel()
	done := l.done
	l.drop("leadership released")
	l.mu.Unlock()
	<-done
	l.opts.Logger.Info("leadership released", "node", l.opts.Node)
}
