// Package enrich adds the data that costs API calls to the instances that survived the guards:
// today that is traffic, for idle detection (the third step of the cycle, README, Safety model).
//
// For each RUNNING or STOPPED instance older than idle.min_age, the Enricher keeps the traffic of
// the last idle.window (clamped to 24 h..30 days) per UTC day in the state store (days.go): each
// day's sample counts, sums and largest figures, which give the window's 95th percentile and mean
// of each direction exactly, over every 5-minute point (not from the per-call in95 figures). A
// cold instance costs one DescribeInstanceTraffic call per 24 hours of window (3 for 72 h); a
// refresh asks only for what came after the cached days, one call in steady state. The window is
// at least idle.window long and less than a day longer (a day is dropped whole). A day that was
// incomplete when fetched is read again at each refresh while the window counts as complete, as
// the API may fill it in later (days.go, unsettled).
//
// The result is complete only when at least 90 % of the expected points arrived, none came
// without a figure, and the instance existed for the whole window; a machine powered off, a
// partial window or a young instance give complete: false, which never makes an instance idle.
//
// Cached figures are reused without any call until the instance's next refresh: once per
// idle.refresh (6 h), at a phase of its own from a hash of its ID, so a fleet warmed at once is
// refreshed spread over the interval (order.go). Instances due are fetched in order of importance
// (those that look idle first) while the Options.Budget of calls lasts; the others, like those
// whose fetch failed, are pending this cycle: they have no traffic (policies see null), and
// Enrich says so. Failures are not cached. Calls for one instance are sequential; instances are
// fetched in parallel up to Options.Concurrency, and the client's rate limiter paces them all.
package enrich
