package policy

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/policies"
)

var ttlSyntax = regexp.MustCompile(`^([0-9]{1,9})([hdw])$`)

// goExpiry is the instant a reaper-expires-at value names, by Go's own parsers (surrounding
// spaces ignored, as for every reaper tag).
func goExpiry(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.AddDate(0, 0, 1), true
	}
	return time.Time{}, false
}

// goTTL is the ttl a reaper-ttl value names, by the documented syntax.
func goTTL(v string) (int64, bool) {
	m := ttlSyntax.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return 0, false
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	unit := map[string]int64{"h": 3600, "d": 86400, "w": 604800}[m[2]]
	return n * unit, n > 0
}

func hasReason(rs []Reason, policy, text string) bool {
	for _, r := range rs {
		if r.Policy == policy && strings.Contains(r.Reason, text) {
			return true
		}
	}
	return false
}

// FuzzEvaluateTags evaluates the bundled policies with fuzzed reaper-expires-at and reaper-ttl
// values. A value Go cannot read never terminates and always warns; a value the policy
// accepts is one Go reads as the same instant or duration; nothing ever fails to evaluate.
func FuzzEvaluateTags(f *testing.F) {
	for _, seed := range [][2]string{
		{"2026-11-01T00:00:00Z", "7d"}, {"2026-11-26", "72h"}, {"2026-11-26T16:00:00+08:00", "2w"},
		{"2026-02-30", "0h"}, {"2026-11-01t00:00:00z", "1.5d"}, {"9999-12-31T23:59:59Z", "999999999w"},
		{"0000-01-01", "1000000000h"}, {"2026-11-26T08:00:00,5Z", "7D"}, {"", ""}, {"\xff\xfe", "٣d"},
		{"2024-02-29T23:59:59.999999999999-23:59", " 1h"}, {"1677-09-21T00:12:44Z", "-1d"},
	} {
		f.Add(seed[0], seed[1], int64(3600))
	}
	e, err := Load(context.Background(), Options{FS: policies.FS})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expires, ttl string, age int64) {
		if age < 0 {
			age = -age
		}
		age %= 1 << 40
		nows := []time.Time{testNow}
		instant, goOK := goExpiry(expires)
		if goOK && instant.Year() >= 1700 && instant.Year() <= 2200 {
			nows = append(nows, instant, instant.Add(-time.Nanosecond))
		}
		for _, now := range nows {
			created := time.Unix(now.Unix()-age, int64(now.Nanosecond()))
			fleet := []Instance{
				{ID: "expires", Status: "RUNNING", CreatedAt: created, Tags: map[string]string{"reaper-expires-at": expires}},
				{ID: "ttl", Status: "RUNNING", CreatedAt: created, Tags: map[string]string{"reaper-ttl": ttl}},
			}
			ds, err := e.Evaluate(context.Background(), now, nil, fleet)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			for _, d := range ds {
				if d.Err != nil {
					t.Fatalf("instance %s: evaluation error %v", d.InstanceID, d.Err)
				}
			}
			exp, ttlD := ds[0], ds[1]
			terminated := hasReason(exp.Terminate, "reaper.expiry", "reaper-expires-at")
			warned := hasReason(exp.Warn, "reaper.expiry", "reaper-expires-at")
			switch {
			case !goOK && (terminated || !warned):
				t.Fatalf("expires %q (not a timestamp for Go) at %v: terminate %v, warn %v; want no terminate and a warn", expires, now, exp.Terminate, exp.Warn)
			case warned && terminated:
				t.Fatalf("expires %q: both a warn and a terminate", expires)
			case !warned && terminated != !instant.After(now):
				t.Fatalf("expires %q (Go: %v) at now %v: terminate = %v, want %v", expires, instant, now, terminated, !instant.After(now))
			}

			want, ttlOK := goTTL(ttl)
			terminated = hasReason(ttlD.Terminate, "reaper.expiry", "reaper-ttl")
			warned = hasReason(ttlD.Warn, "reaper.expiry", "reaper-ttl")
			if warned == ttlOK || terminated != (ttlOK && age >= want) {
				t.Fatalf("ttl %q (valid %v, %ds) at age %d: terminate %v, warn %v", ttl, ttlOK, want, age, ttlD.Terminate, ttlD.Warn)
			}
		}
	})
}
