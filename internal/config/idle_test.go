package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestIdleBudgetForms reads idle.budget in each form and turns it into calls at the rate.
func TestIdleBudgetForms(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       Budget
		calls      int
	}{
		{"default: five minutes at 10 rps", ``, Budget{Time: Duration(5 * time.Minute)}, 3000},
		{"calls", "idle: {budget: 250}\n", Budget{Calls: 250}, 250},
		{"a duration at the configured rate", "zenlayer: {requests_per_second: 2.5}\nidle: {budget: 2m}\n", Budget{Time: Duration(2 * time.Minute)}, 300},
		{"days work as everywhere", "idle: {budget: 1d}\n", Budget{Time: Duration(24 * time.Hour)}, 864000},
		{"unlimited", "idle: {budget: unlimited}\n", Budget{Unlimited: true}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.yaml, nil, "")
			if diff := cmp.Diff(tt.want, c.Idle.Budget); diff != "" {
				t.Errorf("budget (-want +got):\n%s", diff)
			}
			if got := c.Idle.Budget.CallsAt(c.Zenlayer.RequestsPerSecond); got != tt.calls {
				t.Errorf("CallsAt(%g) = %d, want %d", c.Zenlayer.RequestsPerSecond, got, tt.calls)
			}
			again := mustParse(t, "idle: {budget: "+c.Idle.Budget.String()+"}\n", nil, "")
			if again.Idle.Budget != c.Idle.Budget {
				t.Errorf("String %q reads back as %+v, want %+v", c.Idle.Budget.String(), again.Idle.Budget, c.Idle.Budget)
			}
		})
	}
}

// TestIdleBudgetErrors asserts the exact messages, each naming the key and the forms accepted.
func TestIdleBudgetErrors(t *testing.T) {
	tests := []struct {
		yaml string
		want []string
	}{
		{"idle: {budget: 0}\n", []string{`idle.budget: line 1: must be at least 1 call, a duration such as 5m, or unlimited, got 0`}},
		{"idle: {budget: -3}\n", []string{`idle.budget: line 1: must be at least 1 call, a duration such as 5m, or unlimited, got -3`}},
		{"idle: {budget: lots}\n", []string{`idle.budget: line 1: must be a number of calls (3000), a duration of calls at zenlayer.requests_per_second (5m), or unlimited, got "lots"`}},
		{"idle: {budget: 0s}\n", []string{`idle.budget: line 1: must be a number of calls (3000), a duration of calls at zenlayer.requests_per_second (5m), or unlimited, got "0s"`}},
		{"idle: {budget: [5m]}\n", []string{`idle.budget: line 1: must be a number of calls (3000), a duration of calls at zenlayer.requests_per_second (5m), or unlimited, got a list`}},
		{"idle: {budgte: 5m}\n", []string{`idle.budgte: line 1: unknown key; did you mean "budget"?`}},
		{"zenlayer: {requests_per_second: 0.5}\nidle: {budget: 1s}\n",
			[]string{`idle.budget: 1s at zenlayer.requests_per_second 0.5 allows no call; give at least 2s, a number of calls, or unlimited`}},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			got := parseErr(t, tt.yaml, nil, t.TempDir())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
