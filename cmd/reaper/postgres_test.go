package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/state/pgstate"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pgPassword is in every DSN these tests write; no output may show it. (The test cluster trusts
// local connections, so any password connects.)
const pgPassword = "pw-S3cret-5a1t"

// withPostgres returns the YAML of a state block for dsn, writing the DSN file into dir.
func withPostgres(t *testing.T, dir, dsn, backend, node string) string {
	t.Helper()
	dsn = strings.Replace(dsn, "postgres://", "postgres://postgres:"+pgPassword+"@", 1)
	if err := os.WriteFile(filepath.Join(dir, "pg-dsn"), []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return "state: {backend: " + backend + ", node_name: " + node + ", postgres: {dsn_file: pg-dsn, schema: shared}}\n"
}

// writePGConfig writes a config for the simulator at url whose state is on postgres at dsn.
func writePGConfig(t *testing.T, url, dsn, backend, node string) string {
	t.Helper()
	path, dir := writeConfig(t, url, testSecret, "")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(withPostgres(t, dir, dsn, backend, node)); err != nil {
		t.Fatal(err)
	}
	return path
}

func noSecret(t *testing.T, what string, r result) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, "S3cret") {
		t.Errorf("%s shows the DSN's password:\n%s%s", what, r.stdout, r.stderr)
	}
}

// TestTwoNodesShareRuns: two reapers (two bastions, two report directories) on one PostgreSQL
// state number their runs in one sequence, and `report list` on either shows both nodes' runs,
// saying which reports are elsewhere.
func TestTwoNodesShareRuns(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	_, url := startSim(t, fleetN(3, healthyInstance))
	a := writePGConfig(t, url, dsn, "postgres", "bastion-a")
	b := writePGConfig(t, url, dsn, "postgres", "bastion-b")
	// Before any run, the readers create nothing and say there is nothing yet.
	if r := reaper(t, "state", "check", "--config", a); r.code != exitOK || !strings.Contains(r.stdout, `no reaper state in the postgres schema "shared": the first run creates it`) {
		t.Errorf("state check before any run: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := reaper(t, "report", "list", "--config", a); r.code != exitOK || !strings.Contains(r.stdout, "no reports in") {
		t.Errorf("report list before any run: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, cfg := range []string{a, b} {
		r := reaper(t, "run", "--once", "--config", cfg)
		noSecret(t, "run --once", r)
		if r.code != exitOK {
			t.Fatalf("run --once: code %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	r := reaper(t, "report", "list", "--config", a)
	noSecret(t, "report list", r)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != exitOK || len(lines) != 4 || !strings.HasSuffix(lines[0], "SEQ  NODE") {
		t.Fatalf("report list: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if f := strings.Fields(lines[1]); f[len(f)-3] != "2" || f[len(f)-2] != "bastion-b" || f[len(f)-1] != "*" {
		t.Errorf("newest run = %q, want seq 2 by bastion-b, its report elsewhere (*)", lines[1])
	}
	if f := strings.Fields(lines[2]); f[len(f)-2] != "1" || f[len(f)-1] != "bastion-a" {
		t.Errorf("older run = %q, want seq 1 by bastion-a, its report here", lines[2])
	}
	if !strings.HasPrefix(lines[3], "* the report of this run is not in ") {
		t.Errorf("no note on reports kept per node: %q", lines[3])
	}
	r = reaper(t, "state", "check", "--config", b)
	if r.code != exitOK || !strings.Contains(r.stdout, `the postgres schema "shared": ok`) || !strings.Contains(r.stdout, "runs 2") {
		t.Errorf("state check: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	noSecret(t, "state check", r)
	if r := reaper(t, "state", "backup", "x.db", "--config", b); r.code == exitOK || !strings.Contains(r.stderr, "pg_dump -n shared") {
		t.Errorf("state backup on postgres: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestStateMigrateBothWays: a bbolt store moves to PostgreSQL, the copy is refused a second
// time, and the state moves back to a fresh bbolt directory.
func TestStateMigrateBothWays(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	_, url := startSim(t, fleetN(3, expiredInstance))
	bolt := writePGConfig(t, url, dsn, "bbolt", "bastion-a")
	for range 2 {
		if r := reaper(t, "run", "--once", "--config", bolt); r.code != exitOK {
			t.Fatalf("run --once: code %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	r := reaper(t, "state", "migrate", "--to", "postgres", "--config", bolt)
	noSecret(t, "state migrate", r)
	if r.code != exitOK || !strings.Contains(r.stdout, `to the postgres schema "shared" and verified it: marks 3,`) ||
		!strings.Contains(r.stdout, "runs 2") || !strings.Contains(r.stdout, "next: set state.backend: postgres") {
		t.Fatalf("migrate --to postgres: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = reaper(t, "state", "migrate", "--to", "postgres", "--config", bolt)
	noSecret(t, "state migrate again", r)
	if r.code != exitFailure || !strings.Contains(r.stderr, `postgres schema "shared" is not empty (marks 3,`) ||
		!strings.Contains(r.stderr, "nothing was copied") {
		t.Fatalf("second migrate: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := reaper(t, "state", "migrate", "--to", "bbolt", "--config", bolt); r.code != exitFailure ||
		!strings.Contains(r.stderr, "already on bbolt") {
		t.Errorf("migrate to the backend in use: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	pg := writePGConfig(t, url, dsn, "postgres", "bastion-b")
	if r := reaper(t, "run", "--once", "--config", pg); r.code != exitOK { // continues the sequence: run 3
		t.Fatalf("run --once on postgres: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	back := filepath.Join(t.TempDir(), "back")
	r = reaper(t, "state", "migrate", "--to", "bbolt", "--dir", back, "--config", pg)
	if r.code != exitOK || !strings.Contains(r.stdout, "to the bbolt store in "+back+" and verified it") || !strings.Contains(r.stdout, "runs 3") {
		t.Fatalf("migrate --to bbolt: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := reaper(t, "state", "check", "--dir", back); r.code != exitOK || !strings.Contains(r.stdout, "3 runs, last run seq 3") {
		t.Errorf("state check of the copy: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestPostgresUnreachableNeverShowsTheDSN: a cycle that cannot reach the server fails, saying so,
// without the DSN.
func TestPostgresUnreachableNeverShowsTheDSN(t *testing.T) {
	_, url := startSim(t, fleetN(1, healthyInstance))
	cfg := writePGConfig(t, url, "postgres:///reaper?host="+t.TempDir()+"&connect_timeout=2", "postgres", "n")
	r := reaper(t, "run", "--once", "--config", cfg)
	noSecret(t, "run --once", r)
	if r.code == exitOK || !strings.Contains(r.stderr, "open state") {
		t.Errorf("run --once without a server: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestSchemaRulesAgree: config accepts a schema name exactly when pgstate does.
func TestSchemaRulesAgree(t *testing.T) {
	for _, name := range []string{"reaper", "_x", "a1_b", "Reaper", "1a", "a-b", "", strings.Repeat("a", 63), strings.Repeat("a", 64), "ä"} {
		r := reaper(t, "validate", "--config", writeSchemaConfig(t, name))
		if cfgOK := !strings.Contains(r.stderr, "state.postgres.schema"); cfgOK != pgstate.ValidSchema(name) {
			t.Errorf("schema %q: config accepts %v, pgstate %v", name, cfgOK, pgstate.ValidSchema(name))
		}
	}
}

func writeSchemaConfig(t *testing.T, schema string) string {
	t.Helper()
	path, _ := writeConfig(t, "http://127.0.0.1:1", testSecret, "state: {postgres: {schema: \""+schema+"\"}}\n")
	return path
}

// TestIntentOnTheServerBeforeTerminateOnPostgres: with the state on PostgreSQL, each
// TerminateInstance the simulator receives already has its intent committed, as another session
// (the other bastion) reads it at that moment; afterwards every intent has an outcome.
func TestIntentOnTheServerBeforeTerminateOnPostgres(t *testing.T) {
	dsn := pgtest.Shared(t).NewDB(t)
	sim, url := startSim(t, append(fleetN(3, expiredInstance), healthyInstance("7700000000000000099")))
	path, dir := writeConfig(t, url, testSecret, "dry_run: false\n"+
		"safety: {grace_period: 0s, max_terminations_percent: 100, max_fleet_drop_percent: 100}\n")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(withPostgres(t, dir, dsn, "postgres", "bastion-a")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	other, err := pgstate.Open(t.Context(), pgstate.Config{DSN: dsn, Schema: "shared", Node: "bastion-b"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	var mu sync.Mutex
	var seen, missing []string
	sim.OnCall(func(c zensim.Call) {
		if c.Action != "TerminateInstance" {
			return
		}
		open, err := other.OpenIntents()
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, c.InstanceIDs...)
		if err != nil || !slices.ContainsFunc(open, func(in state.Intent) bool { return in.InstanceID == c.InstanceIDs[0] }) {
			missing = append(missing, c.InstanceIDs[0])
		}
	})
	if r := reaper(t, "run", "--once", "--config", path); r.code != exitOK {
		t.Fatalf("run --once: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	sim.OnCall(nil)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 || len(missing) != 0 {
		t.Errorf("TerminateInstance for %v; without a committed intent on the server: %v", seen, missing)
	}
	all, err := other.Intents()
	if err != nil || len(all) != 3 {
		t.Fatalf("intents = %d, %v; want 3", len(all), err)
	}
	for _, in := range all {
		if in.Outcome == nil || in.Outcome.Result != "terminated" {
			t.Errorf("intent %s/%s has outcome %+v, want terminated", in.RunID, in.InstanceID, in.Outcome)
		}
	}
}
