// Package reconcile runs one reaper cycle, level-based, from observed state:
//
//	inventory ─► guards ─► enrich ─► policy ─► plan ─► act ─► record
//
// Every pass recomputes from what the API reports now and what the state store remembers; nothing
// is carried in memory between cycles. The policy step starts during the inventory for the
// instances that can get no traffic: their pages are evaluated as they arrive (stream.go), and
// the decisions are used only once the whole listing has succeeded. The guards are the safety
// floor: no policy can make reaper terminate an instance that a guard skips. What a cycle may do (write mark tags, send owner
// notices, terminate) is decided in exactly one place, the function Permit, from the config's mode
// (README, Modes), --dry-run and the command; a cycle that may not terminate skips the act step.
//
// The package declares the small interfaces it needs from the Zenlayer client, the policy engine
// and the state store; it imports their value types only.
package reconcile
