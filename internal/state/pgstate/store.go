package pgstate

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/reaper-bmc/reaper/internal/redact"
	"github.com/reaper-bmc/reaper/internal/state"
)

// DefaultSchema is the schema reaper uses when state.postgres.schema is not set.
const DefaultSchema = "reaper"

// defaultTimeout bounds each method's round trips, so that a server that stops answering fails a
// cycle instead of hanging it.
const defaultTimeout = 30 * time.Second

// schemaName is what a schema name may be: a plain lowercase identifier, never quoted.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidSchema reports whether name can be a state schema: lowercase letters, digits and
// underscores, not starting with a digit, at most 63 characters.
func ValidSchema(name string) bool { return schemaName.MatchString(name) }

// Config says where the state is.
type Config struct {
	// DSN is a secret: a postgres:// URL or keyword/value string, as libpq reads it.
	DSN string
	// Schema holds reaper's tables; empty means DefaultSchema.
	Schema string
	// Node is written into runs that do not name their node.
	Node string
}

// Store is reaper's state in a PostgreSQL schema. It is safe for concurrent use, and several
// processes on several hosts may open the same schema.
type Store struct {
	pool    *pgxpool.Pool
	conn    *pgx.ConnConfig // what ConnConfig hands out
	schema  string
	node    string
	now     func() time.Time
	timeout time.Duration
	redact  *redact.Redactor // the DSN and its password, out of every error
	readers bool             // see WithoutMigrations
}

var _ state.Backend = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithNow sets the clock used to fill in timestamps a caller left zero.
func WithNow(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithoutMigrations opens an existing schema as it is, for commands that only read (state check,
// report list): a schema not created yet fails Open with ErrNoSchema instead of being created.
func WithoutMigrations() Option { return func(s *Store) { s.readers = true } }

// WithTimeout bounds the round trips of each method (default 30s).
func WithTimeout(d time.Duration) Option { return func(s *Store) { s.timeout = d } }

// ConnConfig parses c.DSN into a connection config for c's schema: its search_path is the schema
// alone and application_name is "reaper". Errors never contain the DSN or its password.
func ConnConfig(c Config) (*pgx.ConnConfig, error) {
	schema := c.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	if !ValidSchema(schema) {
		return nil, fmt.Errorf("invalid schema name %q: use lowercase letters, digits and _", schema)
	}
	cfg, err := pgx.ParseConfig(c.DSN)
	if err != nil {
		return nil, fmt.Errorf("parse dsn: %w", redactorOf(c.DSN).Error(err))
	}
	cfg.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	if _, set := cfg.RuntimeParams["application_name"]; !set {
		cfg.RuntimeParams["application_name"] = "reaper"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	return cfg, nil
}

// Open connects to the server c.DSN names, creates or migrates the schema (see migrate) and
// returns the store. It fails with a *state.SchemaError when the schema is newer than this
// reaper. Errors never contain the DSN or its password.
func Open(ctx context.Context, c Config, opts ...Option) (*Store, error) {
	s := &Store{schema: c.Schema, node: c.Node, now: time.Now, timeout: defaultTimeout, redact: redactorOf(c.DSN)}
	if s.schema == "" {
		s.schema = DefaultSchema
	}
	for _, o := range opts {
		o(s)
	}
	conn, err := ConnConfig(c)
	if err != nil {
		return nil, fmt.Errorf("open postgres state: %w", err)
	}
	s.conn = conn
	pcfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, fmt.Errorf("open postgres state: %w", err)
	}
	pcfg.ConnConfig = conn.Copy()
	pcfg.MaxConns = 4
	// Every call checks its pooled connection first (one round trip): a connection the server
	// ended (a restart, pg_terminate_backend, a failover) is replaced, instead of failing a cycle.
	pcfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return true }
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres state: %w", s.redact.Error(err))
	}
	prepare := func(ctx context.Context, c *pgx.Conn, schema string) error {
		if err := migrate(ctx, c, schema); err != nil {
			return err
		}
		return moveLegacyMoney(ctx, c)
	}
	if s.readers {
		prepare = checkSchema
	}
	err = pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error { return prepare(ctx, c.Conn(), s.schema) })
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres state (schema %s): %w", s.schema, s.redact.Error(err))
	}
	s.pool = pool
	return s, nil
}

// ConnConfig returns a copy of the connection config the store uses (it holds the DSN's
// password: never log it), for a leader elector that needs a dedicated session on the same
// server and schema.
func (s *Store) ConnConfig() *pgx.ConnConfig { return s.conn.Copy() }

// Schema returns the schema the store uses.
func (s *Store) Schema() string { return s.schema }

// Close closes every connection. It is safe to call more than once.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// fail wraps err with op, its secrets removed.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, s.redact.Error(err))
}

// write runs fn in one read-write transaction, bounded by the store's timeout.
func (s *Store) write(op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	return s.fail(op, pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(ctx, tx) }))
}

// read runs fn in one read-only transaction that sees one snapshot of the whole store.
func (s *Store) read(op string, fn func(ctx context.Context, tx pgx.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	return s.fail(op, pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error { return fn(ctx, tx) }))
}

// doc encodes v as the JSON document a row keeps.
func doc(v any) (json.RawMessage, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return data, nil
}

// decode decodes a row's document into v; what names the row in an error.
func decode(what string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// collect reads every row of a query as (key, document) and passes it to fn.
func collect(ctx context.Context, tx pgx.Tx, sql string, fn func(key string, data []byte) error, args ...any) error {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var data []byte
		if err := rows.Scan(&k, &data); err != nil {
			return err
		}
		if err := fn(k, data); err != nil {
			return err
		}
	}
	return rows.Err()
}
