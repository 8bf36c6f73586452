// Package record is the last step of a cycle (README, Safety model, "record"): it turns a cycle's
// reconcile.Result into everything reaper says about it, in one place:
//
//	reconcile.Result ─► report.Run ─► report files
//	                              ├─► metrics
//	                              ├─► notification events
//	                              └─► the terminal summary
//
// The report document is built first and the other outputs read the same result and the same
// report, so they cannot disagree: a candidate counted by the metrics is a candidate in the
// report, and an event names the recycle deadline the report derived. Owner notices (owners.go,
// README, Owner notices) are built here from the same result and report and sent through notify's
// transports, remembered in the state store's meta memory. Features that turn a run
// into something more (owner notices, plan files, money figures) are further steps of Record.
//
// record imports reconcile, report, metrics, notify, plan and config (and the value types of policy and
// zen, and inert for the terminal); none of them imports record, and reconcile imports none of
// report, metrics, notify and config (test/layout checks both). cmd/reaper wires a Recorder per cycle and keeps only
// flags, signals and exit codes.
package record
