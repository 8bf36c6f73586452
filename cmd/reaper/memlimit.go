package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// defaultMemoryLimit is the floor of the Go soft memory limit when GOMEMLIMIT is unset: a small
// fleet's heap grows at Go's own pace (up to twice the live heap) until it meets the floor; past a
// live heap of about 71 MiB (roughly 85,000 instances) the limit follows the live heap instead.
const defaultMemoryLimit = 100 << 20

// liveHeapHeadroom is how far above the live heap the default soft memory limit follows it. A
// fixed limit makes the garbage collector thrash once a large fleet's live set approaches it
// (issue 14: a 300,000-instance plan took 9 – 10× the CPU of a 100,000 one); a limit a constant
// factor above the live set keeps the collector's work per allocated byte constant, so time stays
// linear in the fleet. The factor trades time for memory (docs/PERFORMANCE.md, "The collector's
// pace with slim entries", measured at 100,000 instances on one commit, warm plan): 2, Go's own
// pace (with the old floor of 200 MiB), peaked at 206 – 214 MiB RSS in 3.6 s; 1.5 at 146 – 151 MiB
// in 4.1 – 4.8 s; 1.4 at 140 – 143 MiB in 4.7 – 4.8 s (its cold plans at 130 – 143 MiB); 1.35 and
// 1.25 saved only a few MiB more for up to half as much time again. At 300,000 instances a plan
// peaks at about 1.4 times its peak live heap plus the binary's pages, 280 – 285 MiB (PERFORMANCE.md,
// "300,000 instances under 300 MiB"), and takes 2.8 – 3.7 times the 100,000 time: a 100,000 plan
// spends much of its run under the floor, where collections are rarer. With no limit at all a
// 300,000-instance plan overshot to 904 MB.
const liveHeapHeadroom = 1.4

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
