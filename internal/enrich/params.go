package enrich

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"
)

// The idle params' defaults, used when params lack them; they match the bundled policies'
// params.json.
const (
	// DefaultMinAge is idle.min_age's default: instances younger than a week are not fetched.
	DefaultMinAge = 7 * 24 * time.Hour
	// DefaultWindow is idle.window's default: traffic is judged over three days.
	DefaultWindow = 72 * time.Hour
	// DefaultRefresh is idle.refresh's default: fetched traffic is reused for six hours.
	DefaultRefresh = 6 * time.Hour
	// DefaultMaxP95 is idle.max_p95_bps's default, the idle threshold; the Enricher reads it
	// only to order its fetches.
	DefaultMaxP95 = 100000
)

// The bounds of the traffic window.
const (
	// MinWindow is the shortest window fetched; a shorter idle.window is raised to it.
	MinWindow = 24 * time.Hour
	// MaxWindow is the longest window fetched, the API's 30 days of history; a longer
	// idle.window is cut to it (and the idle policy, asking for more, then never fires).
	MaxWindow = 30 * 24 * time.Hour
)

// Params are the idle.* params the Enricher obeys (input.params.idle).
type Params struct {
	// MinAge is idle.min_age: younger instances are not fetched.
	MinAge time.Duration
	// Window is idle.window, rounded up to whole 5 minutes and clamped to MinWindow..MaxWindow.
	Window time.Duration
	// RequestedWindow is idle.window as written, before rounding and clamping.
	RequestedWindow time.Duration
	// Refresh is idle.refresh: how long fetched traffic is reused without a call.
	Refresh time.Duration
	// MaxP95 is idle.max_p95_bps, used only to order fetches (instances that look idle first);
	// a value that is not a non-negative number leaves the default (the policy judges it).
	MaxP95 int64
}

// ParamError is a malformed idle param. It names the key ("idle.window") and shows the value.
type ParamError struct {
	Key   string
	Value any
}

// Error implements error.
func (e *ParamError) Error() string {
	return fmt.Sprintf("param %s is %s, not a duration like 72h, 7d or 2w, or a positive number of seconds",
		e.Key, show(e.Value))
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil || len(b) > 64 {
		return fmt.Sprintf("a %T", v)
	}
	return string(b)
}

// ParseParams reads idle.min_age, idle.window and idle.refresh from policy params. Each is a
// duration string of a positive integer and one unit, h, d or w ("72h", "7d", "2w"; the syntax
// the bundled policies read), or a positive number of seconds. A missing key takes its default;
// a malformed one, or an "idle" that is not an object, is a *ParamError.
func ParseParams(params map[string]any) (Params, error) {
	p := Params{MinAge: DefaultMinAge, Window: DefaultWindow, Refresh: DefaultRefresh, MaxP95: DefaultMaxP95}
	raw, ok := params["idle"]
	if !ok || raw == nil {
		p.RequestedWindow = p.Window
		return p, nil
	}
	idle, ok := raw.(map[string]any)
	if !ok {
		return Params{}, &ParamError{Key: "idle", Value: raw}
	}
	for _, f := range []struct {
		key string
		dst *time.Duration
	}{{"min_age", &p.MinAge}, {"window", &p.Window}, {"refresh", &p.Refresh}} {
		v, ok := idle[f.key]
		if !ok || v == nil {
			continue
		}
		d, ok := duration(v)
		if !ok {
			return Params{}, &ParamError{Key: "idle." + f.key, Value: v}
		}
		*f.dst = d
	}
	p.RequestedWindow = p.Window
	p.Window = clampWindow(p.Window)
	if v, ok := number(idle["max_p95_bps"]); ok && v >= 0 && v < math.MaxInt64 {
		p.MaxP95 = int64(v)
	}
	return p, nil
}

// number reads a JSON or YAML number.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// clampWindow rounds w up to whole samples and keeps it within MinWindow..MaxWindow.
func clampWindow(w time.Duration) time.Duration {
	if r := w % Step; r != 0 {
		w += Step - r
	}
	return min(max(w, MinWindow), MaxWindow)
}

var durationSyntax = regexp.MustCompile(`^([0-9]{1,9})([hdw])$`)

var unitLength = map[string]time.Duration{"h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}

// maxSeconds keeps a number of seconds inside time.Duration.
const maxSeconds = float64(math.MaxInt64 / int64(time.Second))

// duration reads a duration string or a number of seconds; it must be positive.
func duration(v any) (time.Duration, bool) {
	var secs float64
	switch x := v.(type) {
	case string:
		m := durationSyntax.FindStringSubmatch(x)
		if m == nil {
			return 0, false
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		d := time.Duration(n) * unitLength[m[2]]
		return d, d > 0
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, false
		}
		secs = f
	case float64:
		secs = x
	case float32:
		secs = float64(x)
	case int:
		secs = float64(x)
	case int64:
		secs = float64(x)
	case int32:
		secs = float64(x)
	case uint64:
		secs = float64(x)
	default:
		return 0, false
	}
	if !(secs > 0) || secs > maxSeconds {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}
