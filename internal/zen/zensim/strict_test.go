package zensim

import (
	"net/http"
	"strings"
	"testing"
)

// TestRequestKeysMatchExactly: a body member whose name is not exactly a documented parameter
// (mis-cased, misspelt, unknown, inside a tag too) is refused with 400 INVALID_PARAMETER naming
// it, and the request changes nothing. encoding/json alone would match "InstanceIds" to
// instanceIds and filter, hiding a client bug that the real API would answer with every instance.
func TestRequestKeysMatchExactly(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"), inst("2"))
	tests := []struct {
		action, body, name string
	}{
		{"DescribeInstances", `{"InstanceIds":["1"]}`, "InstanceIds"},
		{"DescribeInstances", `{"instanceids":["1"]}`, "instanceids"},
		{"DescribeInstances", `{"pageNum":1,"PageSize":10}`, "PageSize"},
		{"DescribeInstances", `{"instanceId":"1"}`, "instanceId"},
		{"DescribeInstances", `{"tags":[{"Key":"a","value":"b"}]}`, "tags[0].Key"},
		{"DescribeInstances", `{"instanceIds":["1"],"InstanceIds":["2"]}`, "InstanceIds"},
		{"TerminateInstance", `{"InstanceId":"1"}`, "InstanceId"},
		{"TerminateInstance", `{"instanceId":"1","force":true}`, "force"},
		{"DescribeInstanceTraffic", `{"instanceId":"1","StartTime":"2026-11-26T07:00:00Z","endTime":"2026-11-26T08:00:00Z"}`, "StartTime"},
	}
	for _, tt := range tests {
		t.Run(tt.action+" "+tt.name, func(t *testing.T) {
			status, raw := h.call(tt.action, []byte(tt.body))
			checkError(t, status, raw, http.StatusBadRequest, "INVALID_PARAMETER")
			if !strings.Contains(string(raw), "`"+tt.name+"`") {
				t.Errorf("error %s does not name the parameter `%s`", raw, tt.name)
			}
		})
	}
	for _, id := range []string{"1", "2"} {
		if in, ok := h.sim.Instance(id); !ok || in.Status != "RUNNING" {
			t.Errorf("instance %s changed by a refused call: %+v, %v", id, in.Status, ok)
		}
	}
	// Exact names still work, null included.
	if got := h.describe([]byte(`{"instanceIds":["1"],"zoneId":null,"tags":null}`)).ids(); len(got) != 1 || got[0] != "1" {
		t.Errorf("exact keys: ids %v, want [1]", got)
	}
}
