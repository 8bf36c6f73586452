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
// <dir>/reaper.lock and writes its PID, and what it is (WithHolder), to
// <dir>/reaper.pid, so a second reaper on the same directory fails at once
// with a *LockedError naming the holder. The lock dies with the process, so a crash leaves nothing to clean
// up. Every write is one committed, fsynced transaction before it returns.
// OpenReadOnly serves commands that only read.
//
// The approval inbox (Inbox, <dir>/inbox) is the one part written without the lock: `reaper
// apply` leaves an approved plan there for the daemon that holds the directory, which alone
// reads and removes entries (pgstate keeps the same queue in a table). Recording an entry's
// outcome takes it off the queue; an inbox others could write into is refused.
//
// The same state can live on PostgreSQL instead (package pgstate, for several bastions). Backend
// is what both stores provide. It is declared here, beside the record types, rather than by a
// consumer, because its users deal with a whole store whatever its kind: the wiring in cmd/reaper,
// the copy between backends (internal/migrate) and the conformance suite (statetest). Packages that
// only use part of a store keep declaring their own small interfaces (reconcile.Store,
// enrich.Cache). The checks and defaults every backend applies (Prepare*, StaleIntents,
// SortIntents, CheckSnapshot) are defined here once.
package state
