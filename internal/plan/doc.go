// Package plan owns the plan file of README, Plans and approval: what a `reaper plan --out FILE` or an
// approve-mode cycle decided is due, written so that a person can review it and `reaper apply`
// can act on exactly that and nothing else.
//
// It builds a plan from a cycle's reconcile.Result, writes and strictly reads the file, and says
// whether a plan may still be applied (Check). It never calls the API and never touches state;
// the apply itself runs through reconcile (Reconciler.Apply), which re-describes every item.
//
// # Canonical JSON
//
// The plan's digest and each item's fingerprint are "sha256:" and the lower-case hex SHA-256 of
// the canonical JSON of a value. Canonical JSON here is the value as RFC 8259 JSON with:
//   - no insignificant whitespace;
//   - object members sorted by key, byte-wise on their UTF-8 encoding, at every depth;
//   - strings escaped as Go's encoding/json escapes them with HTML escaping off (", \ and control
//     characters escaped; U+2028 and U+2029 as \u2028 and \u2029; everything else literal UTF-8);
//   - numbers as they were written (the plan holds only integers, and a strict decode refuses any
//     other spelling of them);
//   - times as RFC 3339 strings in UTC, to the second.
//
// The digest covers every member of the plan file except "digest" itself, so any edit to what the
// file says (one byte in an ID, a reason, a time) is refused; reformatting the file (whitespace,
// member order) is not an edit.
//
// Imports: reconcile, policy and zen types, stdlib.
package plan
