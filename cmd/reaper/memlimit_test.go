package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestMemoryLimitFor(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int64
	}{
		{0, defaultMemoryLimit},
		{50 << 20, defaultMemoryLimit},
		{60 << 20, defaultMemoryLimit},
		{100 << 20, 140 << 20},
		{200 << 20, 280 << 20},
		{400 << 20, 560 << 20},
		{math.MaxUint64, math.MaxInt64},
	} {
		if got := memoryLimitFor(defaultMemoryLimit, tc.live); got != tc.want {
			t.Errorf("memoryLimitFor(%d MiB) = %d MiB, want %d MiB", tc.live>>20, got>>20, tc.want>>20)
		}
	}
}

// TestFollowLiveHeap: after a collection with a live heap above the floor, the soft memory limit
// is liveHeapHeadroom times the live heap, not the floor, so a large fleet does not make the
// collector thrash.
func TestFollowLiveHeap(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	const floor = 8 << 20
	stop := followLiveHeap(floor)
	defer stop()
	live := make([][]byte, 48)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	headroom := liveHeapHeadroom // a variable: the product of constants need not be an integer
	want := int64(float64(48<<20) * headroom)
	var got int64
	for range 50 { // each collection runs the finalizer once it is scheduled
		runtime.GC()
		runtime.Gosched()
		if got = debug.SetMemoryLimit(-1); got >= want {
			break
		}
	}
	runtime.KeepAlive(live)
	if got < want {
		t.Fatalf("soft memory limit %d MiB with about 48 MiB live; want at least %d MiB", got>>20, want>>20)
	}
}
