package pgstate

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/state/statetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var (
	dbOnce    sync.Once
	sharedDSN string
	schemas   atomic.Int64
)

// testDSN returns the DSN of a database shared by this package's tests; each test keeps to a
// schema of its own (see freshSchema).
func testDSN(t *testing.T) string {
	t.Helper()
	c := pgtest.Shared(t)
	dbOnce.Do(func() { sharedDSN = c.NewDB(t) })
	return sharedDSN
}

// freshSchema returns the name of a schema no test used yet.
func freshSchema() string { return fmt.Sprintf("s%d", schemas.Add(1)) }

// openTest opens a store on a fresh schema and closes it at cleanup.
func openTest(t *testing.T, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), Config{DSN: testDSN(t), Schema: freshSchema(), Node: "test"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestConformance runs the suite every state backend passes against PostgreSQL.
func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) func(statetest.Options) (state.Backend, error) {
		dsn, schema := testDSN(t), freshSchema()
		return func(o statetest.Options) (state.Backend, error) {
			var opts []Option
			if o.Now != nil {
				opts = append(opts, WithNow(o.Now))
			}
			return Open(context.Background(), Config{DSN: dsn, Schema: schema, Node: o.Node}, opts...)
		}
	})
}

// previousSchema creates a schema at the current version, then runs downgrade in it (SQL that
// undoes a migration the way the previous version's schema looked, data it held included), and
// returns the DSN and schema for an Open that upgrades it.
func previousSchema(t *testing.T, downgrade string) (dsn, schema string) {
	t.Helper()
	ctx := context.Background()
	dsn, schema = testDSN(t), freshSchema()
	s, err := Open(ctx, Config{DSN: dsn, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SET search_path TO `+schema+`;`+downgrade); err != nil {
		t.Fatalf("downgrade the schema: %v", err)
	}
	return dsn, schema
}
