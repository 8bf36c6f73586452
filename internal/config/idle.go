package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultIdleBudget is idle.budget's default: five minutes of DescribeInstanceTraffic calls at
// zenlayer.requests_per_second (3000 calls at the default 10 per second).
const DefaultIdleBudget = 5 * time.Minute

// Idle is how much idle detection may spend per cycle. The idle policy's own params (min_age,
// window, max_p95_bps, refresh) stay in policies.params.idle: they reach the policies; this does
// not.
type Idle struct {
	// Budget bounds the DescribeInstanceTraffic calls of one cycle (plan, run --once and every
	// daemon cycle). Instances past it are pending in that cycle's report and never idle.
	Budget Budget `yaml:"budget"`
}

// Budget is idle.budget: a number of calls (3000), a duration of calls at
// zenlayer.requests_per_second (5m), or unlimited. Exactly one of its forms is set.
type Budget struct {
	// Calls is the budget as a number of calls; 0 when it is given otherwise.
	Calls int
	// Time is the budget as a duration at the configured rate; 0 when it is given otherwise.
	Time Duration
	// Unlimited means no budget: every instance due is fetched (the cycle's time still bounds it).
	Unlimited bool
}

const budgetUnlimited = "unlimited"

// budgetSyntax is what every idle.budget error says a budget may be.
const budgetSyntax = "a number of calls (3000), a duration of calls at zenlayer.requests_per_second (5m), or unlimited"

// UnmarshalYAML reads a budget from a scalar: an integer is calls, "unlimited" is no bound,
// anything else must be a duration.
func (b *Budget) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("must be %s, got %s", budgetSyntax, describe(n))
	}
	v := strings.TrimSpace(n.Value)
	switch {
	case n.ShortTag() == "!!int":
		calls, err := strconv.Atoi(v)
		if err != nil || calls < 1 {
			return fmt.Errorf("must be at least 1 call, a duration such as 5m, or unlimited, got %s", v)
		}
		*b = Budget{Calls: calls}
	case v == budgetUnlimited:
		*b = Budget{Unlimited: true}
	default:
		d, err := ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("must be %s, got %q", budgetSyntax, v)
		}
		*b = Budget{Time: Duration(d)}
	}
	return nil
}

// MarshalYAML writes the budget back in the form it was given.
func (b Budget) MarshalYAML() (any, error) {
	switch {
	case b.Unlimited:
		return budgetUnlimited, nil
	case b.Calls > 0:
		return b.Calls, nil
	}
	return b.Time.String(), nil
}

// String is the budget as the file writes it.
func (b Budget) String() string {
	v, _ := b.MarshalYAML()
	return fmt.Sprint(v)
}

// CallsAt returns the budget in calls at rps requests per second, or 0 for no bound. A time
// budget is rounded down (at least one call when it allows any; Validate refuses one that allows
// none).
func (b Budget) CallsAt(rps float64) int {
	switch {
	case b.Unlimited:
		return 0
	case b.Calls > 0:
		return b.Calls
	}
	c := time.Duration(b.Time).Seconds() * rps
	if math.IsInf(c, 0) || c >= math.MaxInt32 {
		return math.MaxInt32
	}
	return int(c)
}

// checkIdle checks that a time budget allows at least one call at the configured rate.
func (c *Config) checkIdle(v *checker) {
	b := c.Idle.Budget
	if b.Unlimited || b.Calls > 0 {
		return
	}
	if b.Time <= 0 {
		v.add(keyErr("idle.budget", "must be %s, got %s", budgetSyntax, b.Time))
		return
	}
	if rps := c.Zenlayer.RequestsPerSecond; rps > 0 && b.CallsAt(rps) < 1 {
		v.add(keyErr("idle.budget", "%s at zenlayer.requests_per_second %g allows no call; give at least %s, a number of calls, or unlimited",
			b.Time, rps, Duration(time.Duration(math.Ceil(float64(time.Second)/rps))).String()))
	}
}
