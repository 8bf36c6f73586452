package zen

import (
	"context"
	"errors"
	"fmt"
	"time"
)

const (
	actionDescribeInstanceTraffic = "DescribeInstanceTraffic"

	// maxTrafficWindow is the longest range DescribeInstanceTraffic accepts (§6).
	maxTrafficWindow = 24 * time.Hour
	// wireTimeFormat is the API's UTC time format.
	wireTimeFormat = "2006-01-02T15:04:05Z"
)

// DescribeInstanceTraffic returns the 5-minute bandwidth samples and summary of one instance
// between start and end (UTC, whole seconds). It refuses, without calling the API, a window that
// is empty, reversed or longer than 24 hours. Numbers may arrive as JSON numbers or strings.
func (c *Client) DescribeInstanceTraffic(ctx context.Context, id string, start, end time.Time) (Traffic, error) {
	if id == "" {
		return Traffic{}, errors.New("describe instance traffic: empty instance ID")
	}
	start, end = start.UTC().Truncate(time.Second), end.UTC().Truncate(time.Second)
	if !end.After(start) {
		return Traffic{}, fmt.Errorf("describe instance traffic %s: end %s is not after start %s",
			id, end.Format(wireTimeFormat), start.Format(wireTimeFormat))
	}
	if end.Sub(start) > maxTrafficWindow {
		return Traffic{}, fmt.Errorf("describe instance traffic %s: window %s is longer than %s",
			id, end.Sub(start), maxTrafficWindow)
	}
	req := wireTrafficRequest{InstanceID: id, StartTime: start.Format(wireTimeFormat), EndTime: end.Format(wireTimeFormat)}
	resp, reqID, err := call[wireTrafficResponse](ctx, c, actionDescribeInstanceTraffic, req)
	if err != nil {
		return Traffic{}, fmt.Errorf("describe instance traffic %s: %w", id, err)
	}
	resp.scrub(c.redact)
	t, err := trafficFromWire(actionDescribeInstanceTraffic, id, resp, reqID)
	if err != nil {
		return Traffic{}, fmt.Errorf("describe instance traffic %s: %w", id, redactDecode(err, c.redact))
	}
	return t, nil
}
