package pgstate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/state"
)

// TestErrorsNeverShowTheDSN: whatever fails, the DSN and its password are not in the error.
func TestErrorsNeverShowTheDSN(t *testing.T) {
	const pw = "Sup3r-S3cret-pw"
	missing := t.TempDir() // a directory without a server socket
	tests := []struct {
		name, dsn string
	}{
		{"url, no server", "postgres://reaper:" + pw + "@/reaper?host=" + missing + "&connect_timeout=2"},
		{"url, bad port", "postgres://reaper:" + pw + "@db.example.test:notaport/reaper"},
		{"url, escaped password", "postgres://reaper:" + strings.ReplaceAll(pw, "-", "%2D") + "%40x@db.example.test:bad/reaper"},
		{"keyword/value, no server", "host=" + missing + " user=reaper password=" + pw + " dbname=reaper connect_timeout=2"},
		{"keyword/value, quoted, bad port", "host=db.example.test port=x password='" + pw + " x' dbname=reaper"},
		{"garbage", "postgres://reaper:" + pw + "@[::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), Config{DSN: tt.dsn})
			if err == nil {
				t.Fatal("Open succeeded, want an error")
			}
			msg := err.Error()
			if strings.Contains(msg, "S3cret") || strings.Contains(msg, tt.dsn) || strings.Contains(msg, "S3cret") {
				t.Errorf("error shows the secret: %s", msg)
			}
			for e := err; e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), "S3cret") {
					t.Errorf("a wrapped error shows the secret: %s", e)
				}
			}
		})
	}
}

// TestErrorsFromARealServerNeverShowThePassword: a server that refuses the connection (no such
// database) answers with an error that names the user and the database, never the password.
func TestErrorsFromARealServerNeverShowThePassword(t *testing.T) {
	cfg, err := pgx.ParseConfig(testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	dsn := "host=" + cfg.Host + " user=postgres password=Sup3r-S3cret-pw dbname=no_such_db sslmode=disable"
	_, err = Open(context.Background(), Config{DSN: dsn})
	if err == nil {
		t.Fatal("Open of a missing database succeeded")
	}
	if strings.Contains(err.Error(), "S3cret") {
		t.Errorf("error shows the password: %s", err)
	}
	if !strings.Contains(err.Error(), "no_such_db") {
		t.Errorf("error %q does not say which database, want it to help the operator", err)
	}
}

// TestMigrations: the schema is created once, recorded in schema_migrations, and a schema newer
// than this reaper is refused and left alone.
func TestMigrations(t *testing.T) {
	dsn, schema := testDSN(t), freshSchema()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs { // reapers starting together on a new schema
		wg.Go(func() {
			s, err := Open(ctx, Config{DSN: dsn, Schema: schema})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var versions []int
	rows, _ := conn.Query(ctx, "SELECT version FROM "+schema+".schema_migrations ORDER BY version")
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := migrations()
	if len(versions) != len(ms) || versions[len(versions)-1] != SchemaVersion() {
		t.Errorf("schema_migrations = %v, want each of the %d migrations up to %d once", versions, len(ms), SchemaVersion())
	}

	if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".schema_migrations (version, name) VALUES (99, '099_future.sql')"); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, Config{DSN: dsn, Schema: schema})
	var se *state.SchemaError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "upgrade reaper") {
		t.Errorf("Open of a newer schema = %v, want a *state.SchemaError asking to upgrade", err)
	}
}

func TestInvalidSchemaName(t *testing.T) {
	for _, name := range []string{"Reaper", "1x", "a-b", `x"; DROP TABLE y; --`, strings.Repeat("a", 64)} {
		if _, err := Open(context.Background(), Config{DSN: "postgres://h/db", Schema: name}); err == nil || !strings.Contains(err.Error(), "invalid schema name") {
			t.Errorf("Open with schema %q = %v, want an invalid schema name error", name, err)
		}
	}
}

// TestSharedBetweenStores: two stores on one schema (two bastions) see each other's writes as
// soon as a write returns: an intent is on the server before the call it announces is made.
func TestSharedBetweenStores(t *testing.T) {
	dsn, schema := testDSN(t), freshSchema()
	ctx := context.Background()
	a, err := Open(ctx, Config{DSN: dsn, Schema: schema, Node: "bastion-a"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, Config{DSN: dsn, Schema: schema, Node: "bastion-b"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.PutIntent(state.Intent{RunID: "r1", InstanceID: "i-1"}); err != nil {
		t.Fatal(err)
	}
	open, err := b.OpenIntents()
	if err != nil || len(open) != 1 || open[0].InstanceID != "i-1" {
		t.Fatalf("the other node's OpenIntents = %+v, %v; want the intent just written", open, err)
	}
	if _, err := a.PutRun(state.Run{ID: "r1"}); err != nil {
		t.Fatal(err)
	}
	if seq, err := b.PutRun(state.Run{ID: "r2"}); err != nil || seq != 2 {
		t.Errorf("the other node's PutRun = %d, %v; want 2 (one sequence for both)", seq, err)
	}
	runs, err := a.Runs(0)
	if err != nil || len(runs) != 2 || runs[0].Node != "bastion-b" || runs[1].Node != "bastion-a" {
		t.Errorf("runs = %+v, %v; want r2 by bastion-b, r1 by bastion-a", runs, err)
	}
	if cc := a.ConnConfig(); cc.RuntimeParams["search_path"] != `"`+schema+`"` {
		t.Errorf("ConnConfig search_path = %q, want the schema", cc.RuntimeParams["search_path"])
	}
}

// TestLostConnections: connections the server ended (pg_terminate_backend, a restart) are
// replaced, and the next call works; while the server is down a call fails within the timeout,
// saying so without the DSN, and nothing is half written.
func TestLostConnections(t *testing.T) {
	c := pgtest.Start(t)
	dsn := strings.Replace(c.NewDB(t), "postgres://", "postgres://postgres:Sup3r-S3cret-pw@", 1)
	s, err := Open(context.Background(), Config{DSN: dsn, Node: "n"}, WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put := func(id string) error { return s.PutIntent(state.Intent{RunID: "r", InstanceID: id}) }
	if err := put("a"); err != nil {
		t.Fatal(err)
	}
	if n := c.TerminateBackends(t, "", "reaper"); n == 0 {
		t.Fatal("no reaper session to terminate")
	}
	if err := put("b"); err != nil {
		t.Fatalf("PutIntent after pg_terminate_backend: %v", err)
	}
	c.Restart(t)
	if err := put("c"); err != nil {
		t.Fatalf("PutIntent after a restart: %v", err)
	}
	c.Stop(t)
	err = put("d")
	if err == nil || strings.Contains(err.Error(), "S3cret") || !strings.Contains(err.Error(), "put intent r/d") {
		t.Errorf("PutIntent with the server down = %v, want an error naming the intent, without the DSN", err)
	}
	c.Restart(t)
	got, err := s.Intents()
	if err != nil {
		t.Fatal(err)
	}
	if ids := intentIDs(got); !slices.Equal(ids, []string{"a", "b", "c"}) {
		t.Errorf("intents = %v, want a, b, c", ids)
	}
}

func intentIDs(ins []state.Intent) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.InstanceID)
	}
	return out
}

// TestWithoutMigrations: a reader neither creates nor changes the schema; it reads what is there.
func TestWithoutMigrations(t *testing.T) {
	dsn, schema := testDSN(t), freshSchema()
	ctx := context.Background()
	_, err := Open(ctx, Config{DSN: dsn, Schema: schema}, WithoutMigrations())
	if !errors.Is(err, ErrNoSchema) {
		t.Fatalf("reader Open of a missing schema = %v, want ErrNoSchema", err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil || exists {
		t.Fatalf("schema exists after a reader's Open = %v, %v; want not created", exists, err)
	}
	w, err := Open(ctx, Config{DSN: dsn, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.PutRun(state.Run{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, Config{DSN: dsn, Schema: schema}, WithoutMigrations())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if runs, err := r.Runs(0); err != nil || len(runs) != 1 {
		t.Errorf("reader Runs = %v, %v; want the one run", runs, err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".schema_migrations (version, name) VALUES (99, '099_future.sql')"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, Config{DSN: dsn, Schema: schema}, WithoutMigrations()); !errors.As(err, new(*state.SchemaError)) {
		t.Errorf("reader Open of a newer schema = %v, want a *state.SchemaError", err)
	}
}
