package pgstate

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/state"
)

// migrationFiles are the schema's migrations, NNN_name.sql, applied in order, each once.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLockClass is the first key of the transaction-level advisory lock that serialises
// migrations of one schema (the second is the hash of the schema name). Two-key advisory locks
// do not collide with single-key ones, such as a leader lock.
const migrateLockClass = 0x72656170 // "reap"

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order; their versions must increase from 1. A
// version may be missing (a branch that adds 006 before 003-005 exist): migrate applies each
// version the schema has not recorded, so one added later is still applied.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []migration
	prev := 0
	for _, path := range names {
		name := strings.TrimPrefix(path, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil || v <= prev || (prev == 0 && v != 1) {
			return nil, fmt.Errorf("migration %s: want a version after %d first in its name (from 1, each once)", name, prev)
		}
		prev = v
		data, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(data)})
	}
	return out, nil
}

// SchemaVersion is the version of the newest embedded migration: the layout this reaper uses.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// ErrNoSchema is returned (wrapped) by Open with WithoutMigrations when the schema holds no
// reaper state yet.
var ErrNoSchema = errors.New("no reaper state in this schema yet: the first run creates it")

// checkSchema is migrate for a reader: it changes nothing, and fails with ErrNoSchema when the
// schema has no migrations table and with a *state.SchemaError when it is newer than this reaper.
// An older schema can be read: the next writer brings it up to date.
func checkSchema(ctx context.Context, conn *pgx.Conn, schema string) error {
	var exists bool
	err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", pgx.Identifier{schema, "schema_migrations"}.Sanitize()).Scan(&exists)
	if err != nil {
		return err
	}
	if !exists {
		return ErrNoSchema
	}
	var have int
	table := pgx.Identifier{schema, "schema_migrations"}.Sanitize()
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+table).Scan(&have); err != nil {
		return err
	}
	if want := SchemaVersion(); have > want {
		return &state.SchemaError{Path: "postgres schema " + schema, Found: strconv.Itoa(have), Supported: want}
	}
	return nil
}

// migrate brings schema up to the newest migration in one transaction, under an advisory lock so
// that two reapers starting together do not both apply one. It creates the schema when missing
// (which needs CREATE on the database; an existing schema needs only USAGE and CREATE on it). A
// schema newer than this reaper's is refused with a *state.SchemaError and left alone.
func migrate(ctx context.Context, conn *pgx.Conn, schema string) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", migrateLockClass, schema); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
			return err
		}
		ident := pgx.Identifier{schema}.Sanitize()
		if !exists {
			if _, err := tx.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
				return fmt.Errorf("create schema: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+ident); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		rows, _ := tx.Query(ctx, "SELECT version FROM schema_migrations")
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		if have, want := slices.Max(append(applied, 0)), ms[len(ms)-1].version; have > want {
			return &state.SchemaError{Path: "postgres schema " + schema, Found: strconv.Itoa(have), Supported: want}
		}
		for _, m := range ms {
			if slices.Contains(applied, m.version) {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("apply %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
				return err
			}
		}
		return nil
	})
}
