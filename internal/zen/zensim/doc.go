// Package zensim is a stateful simulator of the Zenlayer Bare Metal Cloud API 2.0 (the parts reaper
// uses: DescribeInstances, TerminateInstance, DescribeInstanceTraffic). Tests use a *Server
// in-process as an http.Handler under httptest; `reaper sim` and `reaper demo` serve it on loopback.
// Any other action, ReleaseInstances included, is refused with 400 INVALID_ACTION.
//
// The simulator speaks the wire format of zenlayer-bmc-api.md: POST /api/v2/bmc, the action in
// X-ZC-Action, success as {"requestId","response":{...}}, errors as {"requestId","code","message"}
// with the HTTP status of the docs. It verifies ZC2-HMAC-SHA256 signatures with its own verifier
// (written independently of the client's signer) and accepts bearer tokens.
//
// # Behaviour the documentation leaves open
//
// Where the API reference is silent the simulator makes a choice and keeps it:
//
//   - Multiple DescribeInstances tag filters are ANDed: an instance matches only if it carries every
//     key of tagKeys and every key=value pair of tags. Filters on imageId or subnetId match nothing,
//     because the simulator models no images or subnets.
//   - TerminateInstance sets RECYCLE synchronously; the instance is released 24 hours later on the
//     simulator clock. With Options.PrepaidCancels a PREPAID instance has its subscription cancelled
//     (autoRenew false, status unchanged) and goes to RECYCLE at its expiry time.
//   - DescribeInstanceTraffic rejects a startTime in the future or older than 30 days, and ranges
//     that are empty or longer than 24 hours. It returns no sample newer than the simulator clock,
//     none before the instance's creation and none inside the profile's gap.
//   - Signature timestamps are accepted within ±Options.MaxSkew (300 s by default); replays inside
//     that window are accepted, as the Go SDK resends the same signature on retries. The HMAC
//     scheme needs X-ZC-Timestamp, X-ZC-Signature-Method: ZC2-HMAC-SHA256 and an Authorization
//     header in exactly the documented shape (", " separators, SignedHeaders=content-type;host,
//     lowercase hex). X-ZC-Service is optional but must be "bmc" when sent.
//   - Checks run in the order a gateway would: method, path, body size, credentials, rate limit,
//     headers (action, version, service, Content-Type application/json), faults, then the action.
//     A body that is not a JSON object is a 400. So is a member whose name is not exactly a
//     parameter of the action, at any depth: names are case-sensitive ("InstanceIds" is not
//     instanceIds) and unknown names are refused, 400 INVALID_PARAMETER naming the member. The
//     reference does not say what the API does with them; refusing them keeps a misspelt filter
//     from passing unnoticed (the API might ignore it and list everything).
//   - A 429 REQUEST_LIMIT_EXCEEDED carries no Retry-After header unless Options.RetryAfter is
//     set; the reference does not say whether the API sends one.
//   - Statuses and charge types are served exactly as loaded, unknown and empty ones included,
//     so a fleet written by `reaper inventory --format fleet` replays what the API reported.
//
// Error codes not documented by Zenlayer are invented here and listed so clients do not depend on
// them: 401 AUTHFAILURE_SIGNATURE_FAILURE (any authentication failure), 405 METHOD_NOT_ALLOWED,
// 404 INVALID_PATH, 400 INVALID_ACTION, 400 INVALID_VERSION, 400 INVALID_SERVICE,
// 400 INVALID_PARAMETER (bad body or value), 400 MISSING_PARAMETER, 413 REQUEST_TOO_LARGE.
package zensim
