package pgstate

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/pgtest"
	"github.com/reaper-bmc/reaper/internal/state"
)

const benchSize = 10_000

var benchT0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

func openBench(b *testing.B) *Store {
	b.Helper()
	dsn := pgtest.Shared(b).NewDB(b)
	s, err := Open(context.Background(), Config{DSN: dsn, Node: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkReplaceMarks10k is the bbolt benchmark of the same name on PostgreSQL (a unix socket,
// fsync off: the server's own cost, not a disk's).
func BenchmarkReplaceMarks10k(b *testing.B) {
	s := openBench(b)
	marks := make(map[state.MarkKey]state.Mark, benchSize)
	for i := range benchSize {
		id := fmt.Sprint(932237369560662463 + i)
		m := state.Mark{InstanceID: id, Policy: "reaper.idle", FirstSeen: benchT0, Reasons: []string{"idle for 72h"}}
		marks[m.Key()] = m
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.ReplaceMarks(marks); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutTraffic10k(b *testing.B) {
	s := openBench(b)
	recs := make([]state.TrafficRecord, benchSize)
	for i := range recs {
		recs[i] = state.TrafficRecord{InstanceID: fmt.Sprint(932237369560662463 + i), FetchedAt: benchT0,
			WindowStart: benchT0, WindowEnd: benchT0, Samples: 288, Expected: 288, InP95: 1 << 20, OutP95: 1 << 21}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.PutTraffic(recs...); err != nil {
			b.Fatal(err)
		}
	}
}
