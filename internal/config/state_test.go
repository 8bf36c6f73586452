package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStateBlock(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "pg-dsn", "postgres://reaper:pg-Secret-1@db/reaper\n", 0o600)
	writeFile(t, dir, "open-dsn", "postgres://reaper:pg-Secret-2@db/reaper\n", 0o644)

	c := mustParse(t, "", nil, dir)
	if got := c.State; got != (State{Backend: "bbolt", Postgres: Postgres{Schema: "reaper"}}) {
		t.Errorf("default state = %+v, want bbolt and schema reaper", got)
	}

	c = mustParse(t, "state: {backend: postgres, postgres: {dsn_file: pg-dsn}}", nil, dir)
	if c.State.Postgres.DSN.Reveal() != "postgres://reaper:pg-Secret-1@db/reaper" {
		t.Errorf("DSN not loaded from dsn_file")
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings = %v, want none", c.Warnings)
	}

	c = mustParse(t, "state: {postgres: {dsn_file: pg-dsn}}", nil, dir)
	if !slices.ContainsFunc(c.Warnings, func(w string) bool { return strings.HasPrefix(w, "state.postgres: is set but state.backend is bbolt") }) {
		t.Errorf("warnings = %v, want one saying the postgres block is not used", c.Warnings)
	}

	for text, want := range map[string][]string{
		"state: {backend: postgres}": {`state.postgres.dsn_file: must be set when state.backend is postgres (a file holding the connection string)`},
		"state: {backend: postgres, postgres: {dsn_file: open-dsn}}": {
			`state.postgres.dsn_file: refusing ` + dir + `/open-dsn: it is readable by others (mode 0644); chmod 600 it`},
		"state: {backend: postgres, postgres: {dsn_file: missing}}": {
			`state.postgres.dsn_file: open ` + dir + `/missing: no such file or directory`},
	} {
		got := parseErr(t, text, nil, dir)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: errors mismatch (-want +got):\n%s", text, diff)
		}
		for _, e := range got {
			if strings.Contains(e, "Secret") {
				t.Errorf("error shows the DSN: %s", e)
			}
		}
	}
}
