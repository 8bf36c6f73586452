package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestExplain(t *testing.T) {
	e := loadBundled(t)
	in := instance("7", 10*24*time.Hour, map[string]string{"reaper-ttl": "7d"})
	var out strings.Builder
	d, err := e.Explain(context.Background(), testNow, nil, in, &out)
	if err != nil {
		t.Fatalf("Explain: %v", err)
	}
	if diff := cmp.Diff(evaluateOne(t, e, nil, in), d, cmp.Comparer(errorsEqual)); diff != "" {
		t.Errorf("Explain decision differs from Evaluate (-evaluate +explain):\n%s", diff)
	}
	trace := out.String()
	for _, want := range []string{
		"Enter data.reaper.expiry.terminate",
		"expiry.rego:",
		"data.reaper.keep.exempt",
		"decision for instance 7: terminate (1 reasons, 0 warnings)",
	} {
		if !strings.Contains(trace, want) {
			t.Errorf("trace lacks %q:\n%s", want, trace)
		}
	}
}

func TestExplainReportsInstanceErrorsInTheDecision(t *testing.T) {
	e := loadPolicies(t, strictPolicy)
	var out strings.Builder
	d, err := e.Explain(context.Background(), testNow, nil, instance("1", time.Hour, map[string]string{"limit": "x"}), &out)
	if err != nil {
		t.Fatalf("Explain: %v", err)
	}
	if d.Err == nil || d.Candidate() {
		t.Errorf("decision = %+v, want an error and no candidate", d)
	}
	if !strings.Contains(out.String(), "decision for instance 1: error:") {
		t.Errorf("trace does not end with the error:\n%s", out.String())
	}
}

func TestExplainCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := loadBundled(t).Explain(ctx, testNow, nil, instance("1", 0, nil), &strings.Builder{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Explain(cancelled) error = %v, want context.Canceled", err)
	}
}
