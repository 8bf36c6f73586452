// Package policyref holds a plain-Go reference implementation of the bundled policies
// (policies/*.rego: expiry, failed, idle, keep, snooze, tags) and the benchmark that sets the
// policy engine beside it (issue 14: "the policy figure next to the plain-Go figure for the same
// decisions"). It has test files only, so nothing can import it: the reference is a yardstick,
// never on a decision path. TestReferenceMatchesEngine holds it to the engine's decisions.
package policyref

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
)

// The policy packages, as Reason.Policy names them.
const (
	pExpiry = "reaper.expiry"
	pFailed = "reaper.failed"
	pIdle   = "reaper.idle"
	pKeep   = "reaper.keep"
	pSnooze = "reaper.snooze"
	pTags   = "reaper.tags"
)

// referencePackages is every policy the reference implements, sorted: the test fails when the
// bundled set has another.
var referencePackages = []string{pExpiry, pFailed, pIdle, pKeep, pSnooze, pTags}

// The formats lib.rego accepts for a timestamp and a date (the patterns are the format's
// specification, so they are written out once more here rather than re-derived).
var (
	dateRE     = `(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)`
	timeRE     = `T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])`
	rfc3339RE  = regexp.MustCompile("^" + dateRE + timeRE + "$")
	dateOnlyRE = regexp.MustCompile("^" + dateRE + "$")
)

// instant is a point in time as lib.rego compares them: nanoseconds since the epoch (class 0),
// or below (-1) or above (+1) every such number (years before 1678 or after 2261). Class +2 is
// a limit beyond int64 (now + a very long snooze.max), at or above every instant.
type instant struct {
	class int8
	ns    int64
}

func (a instant) compare(b instant) int {
	if a.class != b.class {
		return cmp.Compare(a.class, b.class)
	}
	if a.class != 0 {
		return 0
	}
	return cmp.Compare(a.ns, b.ns)
}

// outOfRange places a well-formed value whose year the time functions cannot represent.
func outOfRange(s string) (instant, bool) {
	switch year := s[:4]; {
	case year < "1678":
		return instant{class: -1}, true
	case year > "2261":
		return instant{class: 1}, true
	}
	return instant{}, false
}

// timestampNs is lib.timestamp_ns.
func timestampNs(s string) (instant, bool) {
	if !rfc3339RE.MatchString(s) {
		return instant{}, false
	}
	if at, ok := outOfRange(s); ok {
		return at, true
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return instant{}, false
	}
	return instant{ns: t.UnixNano()}, true
}

// dateEndNs is lib.date_end_ns: the end of the UTC day s names.
func dateEndNs(s string) (instant, bool) {
	if !dateOnlyRE.MatchString(s) {
		return instant{}, false
	}
	if at, ok := outOfRange(s); ok {
		return at, true
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return instant{}, false
	}
	return instant{ns: t.UnixNano() + 86400*1e9}, true
}

// when is a timestamp or, failing that, a date's end (expiry's _expires_ns, snooze's _until_ns).
func when(s string) (instant, bool) {
	if at, ok := timestampNs(s); ok {
		return at, true
	}
	return dateEndNs(s)
}

// durationSeconds is lib.duration_seconds: 1 to 9 digits and one of h, d, w; positive.
func durationSeconds(v any) (int64, bool) {
	s, ok := v.(string)
	if !ok || len(s) < 2 || len(s) > 10 {
		return 0, false
	}
	var unit int64
	switch s[len(s)-1] {
	case 'h':
		unit = 3600
	case 'd':
		unit = 86400
	case 'w':
		unit = 604800
	default:
		return 0, false
	}
	var n int64
	for _, c := range []byte(s[:len(s)-1]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if n == 0 {
		return 0, false
	}
	return n * unit, true
}

// formatSeconds is lib.format_seconds for s >= 0.
func formatSeconds(s int64) string {
	h := strconv.FormatInt(s/3600, 10)
	switch {
	case s%3600 == 0:
		return h + "h"
	case s%60 == 0:
		return h + "h" + strconv.FormatInt(s%3600/60, 10) + "m"
	}
	return h + "h" + strconv.FormatInt(s%3600/60, 10) + "m" + strconv.FormatInt(s%60, 10) + "s"
}

// numberText is the text of a number in a params document once it is a policy value: a float64
// in its shortest 'g' form (100000, 1e+06, 0.5), an integer in decimal.
func numberText(v any) (string, bool) {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case json.Number:
		return string(x), true
	}
	return "", false
}

// jsonValue is v as the policies' json.marshal writes it: numbers by their text.
func jsonValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	}
	if s, ok := numberText(v); ok {
		return json.Number(s)
	}
	return v
}

// show is lib.show (json.marshal).
func show(v any) string {
	b, err := json.Marshal(jsonValue(v))
	if err != nil {
		panic(fmt.Sprintf("reference: marshal %#v: %v", v, err))
	}
	return string(b)
}

// sprintfNumber formats a number with %v as the policies' sprintf does: by its text, a float
// when it has a fraction or exponent.
func sprintfNumber(text string) string {
	if strings.ContainsAny(text, ".eE") {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return text
		}
		return fmt.Sprint(f)
	}
	return text
}

// param is lib.param: params[policy][name], or nil (null).
func param(params map[string]any, policyName, name string) any {
	if p, ok := params[policyName].(map[string]any); ok {
		return p[name]
	}
	return nil
}

// truthy and falsy are lib.truthy and lib.falsy.
func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "1":
		return true
	}
	return false
}

func falsy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "false", "no", "0":
		return true
	}
	return false
}

// reference decides for every instance at one evaluation time under one set of merged params,
// as the bundled policies do. What depends on neither the instance nor anything but params and
// now is worked out once, in newReference.
type reference struct {
	now instant

	failedAfter    int64
	failedAfterOK  bool
	failedAfterRaw any

	idleMinAge, idleWindow int64
	idleOn                 bool  // min_age, window and max_p95_bps all valid
	idleBelow              int64 // a p95 is low when it is below this (max_p95_bps rounded up)
	idleBelowAll           bool  // max_p95_bps is above every int64
	idleMaxText            string
	idleWarns              []string

	snoozeMax    any
	snoozeMaxStr string
	snoozeOK     bool
	snoozeLimit  instant

	tagsKeys   []string // the valid required keys, in order, without repeats
	tagsOn     bool     // required is a list and grace is valid
	tagsGrace  int64
	tagsGraceS string
	tagsWarns  []string
	tagsArray  bool
}

// newReference prepares the reference for now and merged params (the defaults with the
// configured params over them, as the engine merges them).
func newReference(now time.Time, params map[string]any) (*reference, error) {
	r := &reference{now: instant{ns: now.UnixNano()}}
	if y := now.UTC().Year(); y < 1678 || y > 2261 {
		return nil, fmt.Errorf("reference: now %v is outside the years the reference handles", now)
	}

	r.failedAfterRaw = param(params, "failed", "after")
	r.failedAfter, r.failedAfterOK = durationSeconds(r.failedAfterRaw)

	minAge := param(params, "idle", "min_age")
	window := param(params, "idle", "window")
	maxBps := param(params, "idle", "max_p95_bps")
	var minOK, winOK, maxOK bool
	r.idleMinAge, minOK = durationSeconds(minAge)
	r.idleWindow, winOK = durationSeconds(window)
	if text, ok := numberText(maxBps); ok {
		var rat big.Rat
		if _, ok := rat.SetString(text); !ok {
			return nil, fmt.Errorf("reference: number %q", text)
		}
		if rat.Sign() > 0 {
			maxOK = true
			r.idleMaxText = sprintfNumber(text)
			// in < max for an integer in is in < ceil(max).
			ceil := new(big.Int).Quo(rat.Num(), rat.Denom())
			if !rat.IsInt() {
				ceil.Add(ceil, big.NewInt(1))
			}
			if ceil.IsInt64() {
				r.idleBelow = ceil.Int64()
			} else {
				r.idleBelowAll = true
			}
		}
	}
	r.idleOn = minOK && winOK && maxOK
	if !minOK {
		r.idleWarns = append(r.idleWarns, "param idle.min_age is "+show(minAge)+", not a duration like 7d; the idle policy is off")
	}
	if !winOK {
		r.idleWarns = append(r.idleWarns, "param idle.window is "+show(window)+", not a duration like 72h; the idle policy is off")
	}
	if !maxOK {
		r.idleWarns = append(r.idleWarns, "param idle.max_p95_bps is "+show(maxBps)+", not a positive number; the idle policy is off")
	}

	r.snoozeMax = param(params, "snooze", "max")
	var maxSeconds int64
	maxSeconds, r.snoozeOK = durationSeconds(r.snoozeMax)
	if r.snoozeOK {
		r.snoozeMaxStr = r.snoozeMax.(string)
		limit := new(big.Int).Mul(big.NewInt(maxSeconds), big.NewInt(1e9))
		limit.Add(limit, big.NewInt(r.now.ns))
		if limit.IsInt64() {
			r.snoozeLimit = instant{ns: limit.Int64()}
		} else {
			r.snoozeLimit = instant{class: 2}
		}
	}

	required := param(params, "tags", "required")
	grace := param(params, "tags", "grace")
	list, isList := required.([]any)
	if ss, ok := required.([]string); ok {
		isList = true
		for _, s := range ss {
			list = append(list, s)
		}
	}
	r.tagsArray = isList
	r.tagsGrace, r.tagsOn = durationSeconds(grace)
	r.tagsOn = r.tagsOn && isList
	if r.tagsOn {
		r.tagsGraceS = grace.(string)
	}
	switch {
	case required != nil && !isList:
		r.tagsWarns = append(r.tagsWarns, "param tags.required is "+show(required)+", not a list of tag names; the tags policy is off")
	case isList:
		for _, k := range list {
			s, ok := k.(string)
			if !ok || strings.TrimSpace(s) == "" {
				r.tagsWarns = append(r.tagsWarns, "param tags.required lists "+show(k)+", which is not a tag name; ignored")
				continue
			}
			if !slices.Contains(r.tagsKeys, s) {
				r.tagsKeys = append(r.tagsKeys, s)
			}
		}
		if len(list) > 0 {
			if _, ok := durationSeconds(grace); !ok {
				r.tagsWarns = append(r.tagsWarns, "param tags.grace is "+show(grace)+", not a duration like 72h; the tags policy is off")
			}
		}
	}
	return r, nil
}

// reaperTags holds the values of the reaper-owned tags the policies read (input.instance.
// reaper_tags): each key trimmed and in lower case, each value trimmed, repeats dropped.
type reaperTags struct {
	expiresAt, ttl, keep, snoozeUntil []string
}

func (t *reaperTags) add(key, value string) {
	key = strings.TrimSpace(key)
	if len(key) < len("reaper-") || !strings.EqualFold(key[:len("reaper-")], "reaper-") {
		return
	}
	var dst *[]string
	switch strings.ToLower(key) {
	case "reaper-expires-at":
		dst = &t.expiresAt
	case "reaper-ttl":
		dst = &t.ttl
	case "reaper-keep":
		dst = &t.keep
	case "reaper-snooze-until":
		dst = &t.snoozeUntil
	default:
		return
	}
	value = strings.TrimSpace(value)
	if !slices.Contains(*dst, value) {
		*dst = append(*dst, value)
	}
}

// decide is what the bundled policies decide about in.
func (r *reference) decide(in *policy.Instance) policy.Decision {
	d := policy.Decision{InstanceID: in.ID}
	var tags reaperTags
	if len(in.TagList) > 0 {
		for _, t := range in.TagList {
			tags.add(t.Key, t.Value)
		}
	} else {
		for k, v := range in.Tags {
			tags.add(k, v)
		}
	}
	age, hasAge := policy.AgeSeconds(time.Unix(0, r.now.ns), in.CreatedAt)

	// reaper.expiry
	if len(tags.expiresAt) == 1 {
		v := tags.expiresAt[0]
		if at, ok := when(v); !ok {
			d.Warn = append(d.Warn, reason(pExpiry, "tag reaper-expires-at has a malformed value "+show(v)+" (want RFC 3339 or YYYY-MM-DD); ignored"))
		} else if at.compare(r.now) <= 0 {
			d.Terminate = append(d.Terminate, reason(pExpiry, "tag reaper-expires-at="+v+" has passed"))
		}
	}
	if len(tags.ttl) == 1 {
		v := tags.ttl[0]
		if ttl, ok := durationSeconds(v); !ok {
			d.Warn = append(d.Warn, reason(pExpiry, "tag reaper-ttl has a malformed value "+show(v)+" (want a positive number and h, d or w, as in 72h, 7d, 2w); ignored"))
		} else if hasAge && age >= ttl {
			d.Terminate = append(d.Terminate, reason(pExpiry, "age "+formatSeconds(age)+" reached tag reaper-ttl="+v))
		}
	}
	for _, k := range []struct {
		key    string
		values []string
	}{{"reaper-expires-at", tags.expiresAt}, {"reaper-ttl", tags.ttl}} {
		if len(k.values) > 1 {
			d.Warn = append(d.Warn, reason(pExpiry, "tag "+k.key+" repeats with different values "+show(slices.Sorted(slices.Values(k.values)))+"; it does not terminate until they agree"))
		}
	}

	// reaper.failed
	if in.Status == "CREATE_FAILED" || in.Status == "INSTALL_FAILED" {
		switch {
		case !r.failedAfterOK:
			d.Warn = append(d.Warn, reason(pFailed, "param failed.after is "+show(r.failedAfterRaw)+", not a duration like 6h; the failed policy is off"))
		case hasAge && age >= r.failedAfter:
			d.Terminate = append(d.Terminate, reason(pFailed, "status "+in.Status+", created "+formatSeconds(age)+" ago (threshold "+r.failedAfterRaw.(string)+")"))
		}
	}

	// reaper.idle
	for _, w := range r.idleWarns {
		d.Warn = append(d.Warn, reason(pIdle, w))
	}
	if t := in.Traffic; r.idleOn && t != nil && t.Complete && hasAge && age >= r.idleMinAge &&
		t.WindowSeconds >= r.idleWindow && r.low(t.InP95Bps) && r.low(t.OutP95Bps) {
		d.Terminate = append(d.Terminate, reason(pIdle, "p95 in "+strconv.FormatInt(t.InP95Bps, 10)+" bps, out "+
			strconv.FormatInt(t.OutP95Bps, 10)+" bps over "+formatSeconds(t.WindowSeconds)+" (threshold "+r.idleMaxText+" bps)"))
	}

	// reaper.keep
	if len(tags.keep) > 0 {
		if slices.ContainsFunc(tags.keep, truthy) {
			d.Exempt = append(d.Exempt, reason(pKeep, "tag reaper-keep=true"))
		} else {
			for _, v := range tags.keep {
				if !falsy(v) {
					d.Warn = append(d.Warn, reason(pKeep, "tag reaper-keep="+show(v)+" does not keep this instance; only true, yes or 1 (any case) does"))
				}
			}
		}
	}

	// reaper.snooze
	for _, v := range tags.snoozeUntil {
		until, ok := when(v)
		switch {
		case !ok:
			d.Warn = append(d.Warn, reason(pSnooze, "tag reaper-snooze-until has a malformed value "+show(v)+" (want RFC 3339 or YYYY-MM-DD); ignored"))
		case !r.snoozeOK:
		case until.compare(r.snoozeLimit) > 0:
			d.Warn = append(d.Warn, reason(pSnooze, "tag reaper-snooze-until="+v+" is more than snooze.max="+r.snoozeMaxStr+
				" ahead; it does not exempt this instance (snooze at most "+r.snoozeMaxStr+" ahead, or use reaper-keep)"))
		case r.now.compare(until) < 0:
			d.Exempt = append(d.Exempt, reason(pSnooze, "tag reaper-snooze-until="+v+" (snoozed; at most snooze.max="+r.snoozeMaxStr+" ahead)"))
		}
	}
	if len(tags.snoozeUntil) > 0 && !r.snoozeOK {
		d.Warn = append(d.Warn, reason(pSnooze, "param snooze.max is "+show(r.snoozeMax)+", not a duration like 30d; the snooze policy is off"))
	}

	// reaper.tags
	for _, w := range r.tagsWarns {
		d.Warn = append(d.Warn, reason(pTags, w))
	}
	if r.tagsArray && len(r.tagsKeys) > 0 {
		pairs := tagPairs(in)
		for _, key := range r.tagsKeys {
			if present(pairs, key) {
				continue
			}
			near := nearKeys(pairs, key)
			for _, n := range near {
				d.Warn = append(d.Warn, reason(pTags, "required tag "+show(key)+" is written "+show(n)+"; tag keys are case-sensitive, so rename it (not terminated for it)"))
			}
			if len(near) == 0 && r.tagsOn && hasAge && age >= r.tagsGrace {
				d.Terminate = append(d.Terminate, reason(pTags, "required tag "+show(key)+" is missing or empty after the "+r.tagsGraceS+" grace period"))
			}
		}
	}

	d.Terminate, d.Exempt, d.Warn = sortedSet(d.Terminate), sortedSet(d.Exempt), sortedSet(d.Warn)
	return d
}

// low reports whether a p95 figure is below idle.max_p95_bps.
func (r *reference) low(bps int64) bool { return r.idleBelowAll || bps < r.idleBelow }

func reason(policyName, text string) policy.Reason {
	return policy.Reason{Policy: policyName, Reason: text}
}

// sortedSet orders reasons by policy and text and drops repeats: each policy's sets are sets.
func sortedSet(rs []policy.Reason) []policy.Reason {
	if len(rs) < 2 {
		return rs
	}
	slices.SortFunc(rs, func(a, b policy.Reason) int {
		return cmp.Or(strings.Compare(a.Policy, b.Policy), strings.Compare(a.Reason, b.Reason))
	})
	return slices.CompactFunc(rs, func(a, b policy.Reason) bool { return a.Policy == b.Policy && a.Reason == b.Reason })
}

// tagPairs is input.instance.tag_list: TagList, or Tags sorted by key when there is no list.
func tagPairs(in *policy.Instance) []policy.Tag {
	if len(in.TagList) > 0 || len(in.Tags) == 0 {
		return in.TagList
	}
	pairs := make([]policy.Tag, 0, len(in.Tags))
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range in.Tags {
			if !yield(k) {
				return
			}
		}
	}) {
		pairs = append(pairs, policy.Tag{Key: k, Value: in.Tags[k]})
	}
	return pairs
}

// present is the tags policy's _present: the key itself, with a value that is not blank.
func present(pairs []policy.Tag, key string) bool {
	for _, p := range pairs {
		if p.Key == key && strings.TrimSpace(p.Value) != "" {
			return true
		}
	}
	return false
}

// nearKeys is the tags policy's _near: other keys equal to key once both are trimmed and in
// lower case, with a value that is not blank; sorted, without repeats.
func nearKeys(pairs []policy.Tag, key string) []string {
	var near []string
	want := strings.ToLower(strings.TrimSpace(key))
	for _, p := range pairs {
		if p.Key != key && strings.ToLower(strings.TrimSpace(p.Key)) == want && strings.TrimSpace(p.Value) != "" &&
			!slices.Contains(near, p.Key) {
			near = append(near, p.Key)
		}
	}
	return near
}
