package enrich

import (
	"context"
	"fmt"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// MaxCallWindow is the longest range one DescribeInstanceTraffic call may ask for.
const MaxCallWindow = 24 * time.Hour

// retentionMargin keeps the oldest request a minute inside the API's 30-day history, so that a
// server clock slightly ahead of ours does not refuse it. At most one point is lost to it.
const retentionMargin = time.Minute

// chunks splits w into requests of at most MaxCallWindow, newest first. It leaves out requests
// that end before createdAt (no point can exist there) and starts none earlier than the API's
// history allows at now.
func chunks(w window, createdAt, now time.Time) []window {
	oldest := now.UTC().Add(-MaxWindow + retentionMargin).Truncate(time.Second).Add(time.Second)
	var out []window
	for end := w.end; end.After(w.start); end = end.Add(-MaxCallWindow) {
		if !end.After(createdAt) {
			break
		}
		start := latest(w.start, end.Add(-MaxCallWindow), oldest)
		if !end.After(start) {
			break
		}
		out = append(out, window{start: start, end: end})
	}
	return out
}

// fetch asks for every chunk of w, one call after the other, and merges the points. The first
// failure ends it: an instance gets the whole window or nothing. count is called before each
// call.
func fetch(ctx context.Context, api TrafficAPI, id string, w window, parts []window, count func()) ([]zen.TrafficPoint, error) {
	seen := make(map[int64]bool, w.expected())
	points := make([]zen.TrafficPoint, 0, w.expected())
	for _, c := range parts {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("fetch traffic %s: %w", id, context.Cause(ctx))
		}
		count()
		t, err := api.DescribeInstanceTraffic(ctx, id, c.start, c.end)
		if err != nil {
			return nil, fmt.Errorf("fetch traffic %s %s..%s: %w", id,
				c.start.Format(time.RFC3339), c.end.Format(time.RFC3339), err)
		}
		for _, p := range t.Points {
			// Chunks share their boundaries; an API that includes both ends would repeat a point.
			k := p.Time.Unix()
			if !w.contains(p.Time) || seen[k] {
				continue
			}
			seen[k] = true
			points = append(points, p)
		}
	}
	return points, nil
}

// latest returns the latest of the times.
func latest(first time.Time, rest ...time.Time) time.Time {
	for _, t := range rest {
		if t.After(first) {
			first = t
		}
	}
	return first
}
