// Package report turns one reconcile cycle into the documents people and machines read: report.json
// (schema_version 1, described by docs/report.schema.json), report.csv, report.md and a single
// self-contained report.html that can be sorted and filtered offline. It also reads past reports back
// (List, Load), compares two runs (Diff) and prunes old ones (Prune).
//
// The package is a leaf: it knows nothing of the API client, the policies or the state store. The
// caller fills a Run (header and one Instance per inventoried instance), calls Finalize to derive the
// summary and savings, and hands it to Write.
package report
