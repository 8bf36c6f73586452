package state

import (
	"testing"
	"time"
)

func TestRunsNewestFirst(t *testing.T) {
	s := openStore(t)
	mk := func(id string, size int) Run {
		return Run{ID: id, Command: "run", StartedAt: t0, FinishedAt: t0.Add(time.Minute),
			Result: "ok", InventoryComplete: true, InventorySize: size,
			Counts: map[string]int{"kept": size}, ReportDir: "/var/lib/reaper/reports/" + id}
	}
	r1, r2, r3 := mk("20261126T080000Z-a", 1), mk("20261126T083000Z-b", 2), mk("20261126T090000Z-c", 3)
	for _, r := range []Run{r2, r3, r1} {
		if err := s.PutRun(r); err != nil {
			t.Fatal(err)
		}
	}
	r2.Result, r2.Error = "failed", "inventory: page 2: timeout"
	if err := s.PutRun(r2); err != nil { // replace
		t.Fatal(err)
	}

	tests := []struct {
		limit int
		want  []Run
	}{
		{0, []Run{r3, r2, r1}},
		{-1, []Run{r3, r2, r1}},
		{2, []Run{r3, r2}},
		{1, []Run{r3}},
		{10, []Run{r3, r2, r1}},
	}
	for _, tt := range tests {
		checkEqual(t, "runs", must(s.Runs(tt.limit))(t), tt.want)
	}
}

func TestPutRunEmptyID(t *testing.T) {
	s := openStore(t)
	if err := s.PutRun(Run{Command: "run"}); err == nil {
		t.Error("PutRun without ID succeeded, want an error")
	}
}

func TestLastCompleteInventory(t *testing.T) {
	tests := []struct {
		name     string
		runs     []Run
		wantSize int
		wantOK   bool
	}{
		{"no runs", nil, 0, false},
		{"only incomplete", []Run{{ID: "1", InventorySize: 5}}, 0, false},
		{"newest complete", []Run{{ID: "1", InventoryComplete: true, InventorySize: 5},
			{ID: "2", InventoryComplete: true, InventorySize: 7}}, 7, true},
		{"skips newer incomplete", []Run{{ID: "1", InventoryComplete: true, InventorySize: 5},
			{ID: "2", InventorySize: 1}, {ID: "3", Error: "aborted"}}, 5, true},
		{"complete empty fleet", []Run{{ID: "1", InventoryComplete: true, InventorySize: 9},
			{ID: "2", InventoryComplete: true}}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			for _, r := range tt.runs {
				if err := s.PutRun(r); err != nil {
					t.Fatal(err)
				}
			}
			size, ok, err := s.LastCompleteInventory()
			if err != nil || size != tt.wantSize || ok != tt.wantOK {
				t.Errorf("LastCompleteInventory() = %d, %v, %v; want %d, %v, nil", size, ok, err, tt.wantSize, tt.wantOK)
			}
		})
	}
}
