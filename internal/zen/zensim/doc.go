// Package zensim is a stateful simulator of the Zenlayer Cloud API 2.0 parts reaper uses: on
// /api/v2/bmc DescribeInstances, TerminateInstance, DescribeInstanceTraffic and
// InquiryPriceCreateInstance; on /api/v2/zrm (resource tags) ModifyResourceTags and
// DescribeResourceTags; on /api/v2/zbc (billing) DescribeBillDetail and
// DescribeMonthlyBillSummary. Tests use a *Server in-process as an http.Handler under httptest;
// `reaper sim` and `reaper demo` serve it on loopback. Any other action, ReleaseInstances
// included, is refused with 400 INVALID_ACTION, and so is an action sent to another service's path.
//
// The simulator speaks the wire format of zenlayer-bmc-api.md: POST /api/v2/<service>, the action
// in X-ZC-Action, the service's version in X-ZC-Version (bmc 2026-02-01 or 2022-11-20, zrm
// 2025-10-14, zbc 2024-08-08), success as {"requestId","response":{...}}, errors as
// {"requestId","code","message"} with the HTTP status of the docs. It verifies ZC2-HMAC-SHA256
// signatures with its own verifier (written independently of the client's signer; the path is not
// signed, so one signature scheme serves every service) and accepts bearer tokens.
//
// # Behaviour the documentation leaves open
//
// Where the API reference is silent the simulator makes a choice and keeps it:
//
//   - Multiple DescribeInstances tag filters are ANDed: an instance matches only if it carries every
//     key of tagKeys and every key=value pair of tags. Filters on imageId or subnetId match nothing,
//     because the simulator models no images or subnets.
//
//   - TerminateInstance sets RECYCLE synchronously; the instance is released 24 hours later on the
//     simulator clock. With Options.PrepaidCancels a PREPAID instance has its subscription cancelled
//     (autoRenew false, status unchanged) and goes to RECYCLE at its expiry time.
//
//   - DescribeInstanceTraffic rejects a startTime in the future or older than 30 days, and ranges
//     that are empty or longer than 24 hours. It returns no sample newer than the simulator clock,
//     none before the instance's creation and none inside the profile's gap.
//
//   - Signature timestamps are accepted within ±Options.MaxSkew (300 s by default); replays inside
//     that window are accepted, as the Go SDK resends the same signature on retries. The HMAC
//     scheme needs X-ZC-Timestamp, X-ZC-Signature-Method: ZC2-HMAC-SHA256 and an Authorization
//     header in exactly the documented shape (", " separators, SignedHeaders=content-type;host,
//     lowercase hex). X-ZC-Service is optional (see below).
//
//   - Checks run in the order a gateway would: method, path, body size, credentials, rate limit,
//     headers (action, version, service, Content-Type application/json), permission, faults, then
//     the action.
//     A body that is not a JSON object is a 400. So is a member whose name is not exactly a
//     parameter of the action, at any depth: names are case-sensitive ("InstanceIds" is not
//     instanceIds) and unknown names are refused, 400 INVALID_PARAMETER naming the member. The
//     reference does not say what the API does with them; refusing them keeps a misspelt filter
//     from passing unnoticed (the API might ignore it and list everything).
//
//   - A 429 REQUEST_LIMIT_EXCEEDED carries no Retry-After header unless Options.RetryAfter is
//     set; the reference does not say whether the API sends one.
//
//   - Statuses and charge types are served exactly as loaded, unknown and empty ones included,
//     so a fleet written by `reaper inventory --format fleet` replays what the API reported.
//
//   - X-ZC-Service is optional on every path but must name the path's service when sent.
//     Options.NoPermission refuses a credential a whole service, 403 OPERATION_DENIED_NO_PERMISSION
//     (the reference says keys may lack billing or tagging permission but documents no code).
//
//   - ModifyResourceTags (zenlayer-bmc-api.md §10) applies at once: the next DescribeInstances
//     and its tagKeys/tags filters see it (§10.4 infers this; a real propagation delay, if any,
//     is not modelled). Keys in neither list stay (the inferred upsert reading; the alternative,
//     that replaceTags replaces the whole set, is not modelled). On an instance with a tag list a
//     changed key keeps its place, a new key is appended and a deleted key is dropped; an
//     instance with a tags map keeps it (served sorted by key, as always; the order is not
//     documented), so Mutate can still change SimInstance.Tags after a write. Keys and values must be 1 to 64
//     characters (runes, not bytes) and each list at most 20 entries (inferred from CreateTags);
//     a key twice in a list, or in both lists, is refused; all 400 INVALID_PARAMETER. Deleting a
//     key the resource lacks and a call with both lists empty succeed and change nothing (the
//     reference is silent; a real server might refuse them). Writing a key a replayed fleet lists
//     twice leaves it once. An unknown resourceUuid is 404 INVALID_RESOURCE_NOT_FOUND; an
//     instance with TagsLocked is 404 INVALID_RESOURCE_CAN_NOT_BOUND. FaultNotTaken makes a
//     ModifyResourceTags answer 200 and change nothing. Keys match exactly (case-sensitive).
//
//   - DescribeResourceTags lists the tags in DescribeInstances' order with totalCount equal to
//     the list's length; an unknown resource gets 200 and an empty list (inferred). createdDate
//     ("2006-01-02 15:04:05", UTC) is when the key=value tag came to exist in the account (the
//     first instance carrying it was created, or it was first written), not when it was bound
//     to this resource: the reference leaves both readings open, and this one keeps a client
//     from reading a mark time from it.
//
//   - InquiryPriceCreateInstance quotes from the fleet's "prices" section (PriceOffer): zones
//     and types known from the offers or the instances; a PREPAID price covers the whole
//     requested period (monthly price × period, the likelier reading of §11.1); every PriceItem
//     field is sent, null when unused. A fleet without prices sells nothing (400
//     INVALID_INSTANCE_TYPE_ZONE_NO_SELL), never a price of 0.
//
//   - DescribeBillDetail pages over the fleet's "bills" section (BillLine) in file order; the
//     totals and totalCount cover every matching line, a pageSize over 5000 is answered with
//     5000 lines, billMonthly defaults to the simulator clock's UTC month, amounts are printed
//     with six decimals and amount = cash + voucher, totalSpend = totalCash + totalVoucher −
//     totalRefund. The product filter (Go SDK only) is applied as an exact match.
//     FaultTotalCountDrift applies to its pages after the first, as to DescribeInstances';
//     FaultShortPage leaves out the last line of a page.
//     DescribeMonthlyBillSummary sums the same lines by product or resource group.
//
// Error codes not documented by Zenlayer are invented here and listed so clients do not depend on
// them: 401 AUTHFAILURE_SIGNATURE_FAILURE (any authentication failure), 405 METHOD_NOT_ALLOWED,
// 404 INVALID_PATH, 400 INVALID_ACTION, 400 INVALID_VERSION, 400 INVALID_SERVICE,
// 400 INVALID_PARAMETER (bad body or value), 400 MISSING_PARAMETER, 413 REQUEST_TOO_LARGE,
// 403 OPERATION_DENIED_NO_PERMISSION.
package zensim
