// Package state is reaper's embedded transactional store.
//
// It keeps, in one bbolt file under the state directory, everything reaper
// must remember between cycles: marks (candidates and when they were first
// seen), refusals learned from the API (commitment periods, subscriptions),
// termination intents and their outcomes, run summaries (with the last
// complete inventory size used as the fleet-drop baseline), a traffic cache
// and small metadata, under a schema version.
//
// One process writes: Open takes an exclusive, non-blocking flock on
// <dir>/reaper.lock and writes its PID to <dir>/reaper.pid, so a second
// reaper on the same directory fails at once with a *LockedError naming the
// holder. The lock dies with the process, so a crash leaves nothing to clean
// up. Every write is one committed, fsynced transaction before it returns.
// OpenReadOnly serves commands that only read.
package state
