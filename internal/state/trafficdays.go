package state

import "time"

// TrafficDay is what reaper keeps of one UTC day of an instance's traffic: enough to compute the
// idle figures of any window made of whole day records without asking for the day again. It
// covers the points at times in (From, Through], both inside (Day, Day+24h]; points after
// Through are asked for later and merged in. A point the API did not send is not counted at all
// (it is absent, never 0 bps); a point sent without a figure is counted in Missing.
type TrafficDay struct {
	// Day is the UTC midnight the day starts at.
	Day time.Time `json:"day"`
	// From and Through bound the times asked for: (From, Through].
	From    time.Time `json:"from"`
	Through time.Time `json:"through"`
	// Samples counts the points with both figures; Missing the points sent without one.
	Samples int `json:"samples"`
	Missing int `json:"missing"`
	// InSum and OutSum add up the figures of the samples, in bits per second, for the means.
	InSum  int64 `json:"in_sum"`
	OutSum int64 `json:"out_sum"`
	// InTop and OutTop hold the largest figures of each direction, largest first: all of them
	// when there are at most Keep samples, else the Keep largest. They give the 95th percentile of
	// a window of these days exactly while the window's samples need no more than Keep of them.
	InTop  Figures `json:"in_top,omitempty"`
	OutTop Figures `json:"out_top,omitempty"`
	Keep   int     `json:"keep"`
}
