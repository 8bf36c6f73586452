package state

import "time"

// t0 is the reference time of this package's tests (the conformance suite,
// internal/state/statetest, holds the tests every backend passes).
var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
