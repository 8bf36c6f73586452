package pgstate

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

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
