package policy

import (
	"runtime"
	"testing"
)

func TestZZHeap(t *testing.T) {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	before := m.HeapInuse
	fleet := syntheticFleet(100000)
	runtime.GC()
	runtime.ReadMemStats(&m)
	t.Logf("fleet heap %.1f MB", float64(m.HeapInuse-before)/(1<<20))
	runtime.KeepAlive(fleet)
}
