// Package e2e_test proves reaper's safety properties end to end: the real Zenlayer client talks
// HTTP to the simulator, cycles run with the real state store and the bundled policies, and every
// assertion about terminations counts the TerminateInstance calls the simulator saw.
package e2e_test
