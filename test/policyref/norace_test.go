//go:build !race

package policyref

const raceEnabled = false
