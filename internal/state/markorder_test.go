package state

import (
	"bytes"
	"slices"
	"testing"
)

// TestCompareMarkKeysIsTheStoredOrder: ReplaceMarks writes marks in the order of their stored
// keys (instance ID, NUL, policy); CompareMarkKeys gives that order without building the keys.
// Building them cost two strings per comparison, hundreds of thousands of allocations for the
// marks of a large fleet, at the peak of a cycle (issue 14).
func TestCompareMarkKeysIsTheStoredOrder(t *testing.T) {
	keys := []MarkKey{
		{"ab", "z"}, {"a", "zz"}, {"abc", "a"}, {"ab", "a"}, {"a", "a"}, {"b", "\x01"}, {"a\x01", "x"},
		{"A", "a"}, {"é", "a"}, {"ab", "a-longer"}, {"100", "reaper.expiry"}, {"99", "reaper.expiry"},
	}
	for _, k := range keys {
		if err := k.check(); err != nil {
			t.Fatalf("test key %q: %v", k, err)
		}
	}
	byBytes := slices.SortedFunc(slices.Values(keys), func(a, b MarkKey) int { return bytes.Compare(a.bytes(), b.bytes()) })
	byCompare := slices.SortedFunc(slices.Values(keys), CompareMarkKeys)
	if !slices.Equal(byBytes, byCompare) {
		t.Errorf("CompareMarkKeys order %q, want the stored keys' order %q", byCompare, byBytes)
	}
	a, b := MarkKey{"instance-000123", "reaper.expiry"}, MarkKey{"instance-000123", "reaper.idle"}
	if n := testing.AllocsPerRun(100, func() { CompareMarkKeys(a, b) }); n != 0 {
		t.Errorf("CompareMarkKeys made %v allocations, want 0", n)
	}
}
