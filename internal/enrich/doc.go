// Package enrich adds the data that costs API calls to the instances that survived the guards:
// today that is traffic, for idle detection (DESIGN.md §1 step 3).
//
// For each RUNNING or STOPPED instance older than idle.min_age, the Enricher asks
// DescribeInstanceTraffic for the last idle.window (clamped to 24 h..30 days) in requests of at
// most 24 hours each, so a 72 h window costs 3 calls. Calls for one instance are sequential;
// instances are fetched in parallel up to Options.Concurrency, and the client's rate limiter paces
// them all. The 95th percentile and mean of each direction are computed here over every 5-minute
// point of the whole window (not from the per-call in95 figures).
//
// The result is complete only when at least 90 % of the expected points (window / 5 min) arrived
// and the instance existed for the whole window; a machine powered off, a partial window or a young
// instance give complete: false, which never makes an instance idle. An instance whose data could
// not be fetched gets no traffic at all this cycle.
//
// Fetched figures are cached in the state store per instance and reused, without any call, while
// they are younger than idle.refresh (6 h) and cover the same window length. Failures are not
// cached.
package enrich
