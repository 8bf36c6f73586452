package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// defaultMemoryLimit is the floor of the Go soft memory limit when GOMEMLIMIT is unset: it keeps a
// cycle over 100,000 instances near 250 MB of RSS (docs/PERFORMANCE.md).
const defaultMemoryLimit = 200 << 20

// liveHeapHeadroom is how far above the live heap the default soft memory limit follows it. A
// fixed limit makes the garbage collector thrash once a large fleet's live set approaches it
// (issue 14: a 300,000-instance plan took 9 – 10× the CPU of a 100,000 one); a limit a constant
// factor above the live set keeps the collector's work per allocated byte constant, so time stays
// linear in the fleet. The factor is Go's own pace (GOGC=100: the heap grows to twice what is
// live), so above the floor the limit only caps the overshoot while the live set grows: 1.25 made
// the collector run four times as often per byte at 300,000 as at 100,000 (a 300,000 plan took 4.1×
// the 100,000 time, a cold one 492 collections); no limit at all let the peak overshoot to 904 MB
// (docs/PERFORMANCE.md, "The garbage collector's pace").
const liveHeapHeadroom = 2.0

// memoryLimitFor is the soft memory limit for a live heap of live bytes: floor, or
// liveHeapHeadroom times the live heap when that is larger.
func memoryLimitFor(floor int64, live uint64) int64 {
	follow := float64(live) * liveHeapHeadroom
	if follow >= math.MaxInt64 {
		return math.MaxInt64
	}
	return max(floor, int64(follow))
}

// followLiveHeap sets the soft memory limit to memoryLimitFor(floor, live heap) now and after
// every garbage collection, until stop is called. It is used only when GOMEMLIMIT is unset.
func followLiveHeap(floor int64) (stop func()) {
	var stopped atomic.Bool
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	set := func() {
		metrics.Read(sample)
		var live uint64
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = sample[0].Value.Uint64()
		}
		debug.SetMemoryLimit(memoryLimitFor(floor, live))
	}
	// A finalizer runs after the collection that found its object unreachable; it re-arms itself
	// with a new object, so it runs once per collection.
	var arm func()
	arm = func() {
		sentinel := new([16]byte)
		runtime.SetFinalizer(sentinel, func(*[16]byte) {
			if stopped.Load() {
				return
			}
			set()
			arm()
		})
	}
	set()
	arm()
	return func() { stopped.Store(true) }
}
