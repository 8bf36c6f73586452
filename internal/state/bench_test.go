package state

import (
	"fmt"
	"testing"
)

const benchSize = 10_000

func BenchmarkReplaceMarks10k(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	marks := make(map[MarkKey]Mark, benchSize)
	for i := range benchSize {
		id := fmt.Sprint(932237369560662463 + i)
		m := Mark{InstanceID: id, Policy: "reaper.idle", FirstSeen: t0, Reasons: []string{"idle for 72h"}}
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
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	recs := make([]TrafficRecord, benchSize)
	for i := range recs {
		recs[i] = TrafficRecord{InstanceID: fmt.Sprint(932237369560662463 + i), FetchedAt: t0,
			WindowStart: t0, WindowEnd: t0, Samples: 288, Expected: 288, InP95: 1 << 20, OutP95: 1 << 21}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.PutTraffic(recs...); err != nil {
			b.Fatal(err)
		}
	}
}
