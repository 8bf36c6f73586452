//go:build race

package policyref

// raceEnabled makes TestReferenceMatchesEngine use its short fleets: the race detector slows
// policy evaluation several times over, and the comparison checks decisions, not concurrency.
const raceEnabled = true
