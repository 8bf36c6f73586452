// Package pgstate is reaper's state on PostgreSQL (state.backend: postgres), for reapers on
// several hosts that share one state: marks, refusals, unconfirmed terminations, intents and
// their outcomes, runs with their sequence numbers and nodes, the clock baseline, the traffic
// cache and the notifier's memory. It implements state.Backend and passes the same conformance
// suite as the bbolt store (internal/state/statetest).
//
// Everything lives in one schema (state.postgres.schema, default "reaper"), created and brought
// up to date on Open by the embedded migrations (migrations/NNN_name.sql, recorded in the table
// schema_migrations). Each record is kept as the JSON document bbolt keeps, in a json column, next
// to the columns that key and order it: both backends then hold exactly the same values
// (timestamptz would keep microseconds only) and migrating between them loses nothing.
//
// Every method is one transaction, committed before it returns: PutIntent is on the server before
// the call it announces is made. The DSN is a secret: errors never contain it or its password
// (see redact). Leadership is not this package's: a leader elector opens its own connection with
// ConnConfig, on the same server and schema.
package pgstate
