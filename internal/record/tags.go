package record

import (
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// reportTags is the row's view of an instance's tags: the first value of each key, sorted,
// reaper's mark tags included (as reports have always shown them). One slice per row, no map.
func reportTags(list zen.Tags) report.Tags {
	if len(list) == 0 {
		return nil
	}
	out := make(report.Tags, len(list))
	for i, t := range list {
		out[i] = report.Tag{Key: t.Key, Value: t.Value}
	}
	return report.FirstTags(out)
}
