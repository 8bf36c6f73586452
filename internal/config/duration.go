package config

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written the Go way ("30s", "24h", "1h30m") or with the day and week
// units reaper adds ("7d", "2w", "1w2d", "1.5d"). A day is exactly 24h and a week 168h.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns the shortest Go form that parses back to d: "168h", "1h30m", "30s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// UnmarshalYAML parses a scalar with ParseDuration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("must be a duration such as 30s, 24h or 7d, got %s", describe(n))
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML encodes d as its String form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText encodes d as its String form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses text with ParseDuration, so a Duration can back a command-line flag.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration parses a duration like time.ParseDuration and also accepts the units d (24h) and
// w (168h), alone or mixed with the others ("1w2d12h").
func ParseDuration(s string) (time.Duration, error) {
	bad := func(why string) error { return fmt.Errorf("invalid duration %q: %s", s, why) }
	rest, neg := s, false
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		neg, rest = rest[0] == '-', rest[1:]
	}
	if rest == "0" {
		return 0, nil
	}
	if rest == "" {
		return 0, bad("empty")
	}
	var total time.Duration
	for rest != "" {
		num, unit, tail := splitTerm(rest)
		rest = tail
		if num == "" {
			return 0, bad("expected a number")
		}
		if unit == "" {
			return 0, bad("missing unit (use s, m, h, d or w, as in 30s, 24h, 7d)")
		}
		v, err := term(num, unit)
		if err != nil {
			return 0, bad(err.Error())
		}
		if v > math.MaxInt64-total {
			return 0, bad("out of range")
		}
		total += v
	}
	if neg {
		total = -total
	}
	return total, nil
}

// splitTerm splits "12.5h30m" into "12.5", "h" and "30m".
func splitTerm(s string) (num, unit, rest string) {
	i := 0
	for i < len(s) && (s[i] == '.' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	j := i
	for j < len(s) && s[j] != '.' && (s[j] < '0' || s[j] > '9') {
		j++
	}
	return s[:i], s[i:j], s[j:]
}

var errRange = errors.New("out of range")

// term returns the value of one number-and-unit term.
func term(num, unit string) (time.Duration, error) {
	var mult time.Duration
	switch unit {
	case "d":
		mult = 24
	case "w":
		mult = 7 * 24
	case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
		v, err := time.ParseDuration(num + unit)
		if err != nil {
			return 0, badNumber(num, err)
		}
		return v, nil
	default:
		return 0, fmt.Errorf("unknown unit %q (use ns, us, ms, s, m, h, d or w)", unit)
	}
	hours, err := time.ParseDuration(num + "h")
	if err != nil {
		return 0, badNumber(num, err)
	}
	if hours > math.MaxInt64/mult {
		return 0, errRange
	}
	return hours * mult, nil
}

// badNumber explains why time.ParseDuration refused a term: a well-formed number can only have
// overflowed.
func badNumber(num string, _ error) error {
	if strings.Count(num, ".") <= 1 && strings.Trim(num, ".") != "" {
		return errRange
	}
	return fmt.Errorf("bad number %q", num)
}
