// Package policy loads, compiles, tests and evaluates reaper's Rego policies (README, Policies).
//
// # Contract
//
// A policy is a Rego v1 package under reaper. (package reaper.expiry) that defines at least
// one of the sets terminate, exempt and warn, each written `terminate contains reason if {...}`.
// A reason is a non-empty string, or an object with a non-empty "reason" string whose other
// fields become Reason.Details. Every reason is attributed to its package (Reason.Policy is
// "reaper.expiry"). Any exemption wins over every terminate; warnings change nothing.
//
// Packages under reaper.lib are libraries: they hold helpers, may not define terminate, exempt
// or warn, and are not policies. Any other package, in a file not named *_test.rego, must be
// a policy; so a misspelt set name (terminat) is a load error instead of a silently idle
// policy. Files named *_test.rego are skipped for evaluation and used by RunTests.
//
// These are load errors, with file:line: a package outside reaper., a set defined any other
// way than `contains` (terminate := "x", a boolean terminate, a function), a literal reason
// without text, and every error of a strict compile (unused variables, shadowing, ...). A
// reason without text that only evaluation can see fails that instance's evaluation.
//
// # Sandbox
//
// Policies see only their input: no network, clock, randomness or environment. The builtins
// that reach any of those (http.send, net.*, opa.runtime, time.now_ns, rand.*, uuid.rfc4122,
// the JWT and X.509 builtins that read the clock, JSON schema builtins that may fetch remote
// schemas, and every builtin OPA marks non-deterministic) are removed from the capabilities,
// so calling one is a load error naming the builtin and its file:line. The current time is
// input.now. print() goes to the logger at debug level.
//
// Builtin errors are strict: an error (to_number("x"), an impossible date) fails the
// evaluation of that instance instead of making an expression undefined, so it can never make
// `not exempt` true. A failed evaluation is reported in Decision.Err and never terminates.
//
// The input is type-checked against a JSON schema of the §5 document (input.schema.json), so
// input.instance.tag.owner is a load error. Nullable fields (expires_at, period_months,
// traffic) are typed by their non-null type: test them with is_null(), not == null.
//
// # Params
//
// Policy params reach policies as input.params. The policy set's params.json (bundled:
// policies/params.json) holds the defaults; Evaluate deep-merges the caller's params (the
// config's policies.params) over them with MergeParams.
//
// # Limits
//
// Evaluate, Explain and RunTests stop at the deadline of their ctx (OPA's cancellation, checked
// before every expression and inside looping builtins) and when the Go heap grows past the
// memory limit (Options.MemoryLimit, TestOptions.MemoryLimit; sampled every few milliseconds).
// A stopped evaluation returns no decisions and a *LimitError naming the policy that was
// running and the instance. One builtin call that allocates a huge value at once cannot be
// interrupted; that is left to the operating system.
//
// # Evaluation
//
// Evaluate runs one compiled query that collects every set of every policy, on
// runtime.GOMAXPROCS workers, with the input built directly as an OPA value. Two shortcuts
// keep the per-instance work small, neither visible in decisions (a test compares them with
// plain evaluation): rules that cannot depend on input.instance (thresholds parsed from
// params, the parsed now) are evaluated once per call and served from each instance's cache
// ("folding"; any print() in them is logged once, without an instance_id), and only the
// input.instance fields some policy refers to are built. Explain uses neither, so its trace
// shows every step.
//
// # Decision cache
//
// An Engine caches decisions across Evaluate calls (a daemon's cycles), keyed by instance ID
// and a hash of every field of the instance, for one generation (the policy digest and the
// merged params; other params flush it, a reload is a new Engine). The sandbox has no clock,
// so time reaches a policy only through input.now and input.instance.age_seconds; a static
// analysis of the compiled rules finds the sets that can read either (timed) and derives for
// each of their rules a guard: the body without the expressions that read time. When an
// instance's guards are all false its timed sets are empty at every time, and its decision is
// served without evaluation; otherwise only the sets with a holding guard are evaluated (with
// the time-free values of the last evaluation, such as parsed tags, remembered), and the other
// sets' reasons are added. The analysis fails closed: a `with`, an unknown builtin, a guard
// that does not compile or a parent package's rule that adds to a set and may read time turns
// the cache off for the set, and a reference it cannot pin makes a rule timed. Failed evaluations and reasons to terminate are never served from the cache, and
// an instance is analysed only the second time the same fields are seen, so a one-shot plan
// pays almost nothing. Tests compare cached and uncached decisions (TestDecisionCache*,
// FuzzDecisionCache).
package policy
