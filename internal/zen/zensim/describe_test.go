package zensim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reaper-bmc/reaper/internal/zen"
)

func filterFleet() []SimInstance {
	return []SimInstance{
		inst("100000000000000003", func(s *SimInstance) {
			s.Name, s.Hostname, s.Zone, s.Type = "web-1", "web-1.example", "HKG-A", "S9I"
			s.Tags = map[string]string{"owner": "web", "env": "prod"}
			s.PublicIPs, s.PrivateIPs = []string{"198.18.0.3"}, []string{"10.0.0.3"}
		}),
		inst("100000000000000001", func(s *SimInstance) {
			s.Name, s.Hostname, s.Zone, s.Type = "web-2", "web-2.example", "SIN-A", "M6C"
			s.Tags = map[string]string{"owner": "web", "env": "staging"}
			s.ResourceGroupID = "rg-2"
			s.PublicIPs, s.PrivateIPs = []string{"198.18.0.1", "198.18.1.1"}, []string{"10.0.0.1"}
		}),
		inst("100000000000000002", func(s *SimInstance) {
			s.Name, s.Hostname, s.Zone = "db-1", "db-1.example", "HKG-A"
			s.Status = zen.StatusStopped
			s.InternetChargeType = "ByTrafficPackage"
			s.Tags = map[string]string{"owner": "data"}
			s.PublicIPs, s.PrivateIPs = []string{"198.18.0.2"}, []string{"10.0.0.2"}
		}),
		inst("100000000000000004", func(s *SimInstance) {
			s.Name, s.Hostname, s.Zone = "web", "web", "FRA-A"
		}),
	}
}

func TestDescribeInstancesFilters(t *testing.T) {
	h := newHarness(t)
	h.load(filterFleet()...)
	all := []string{"100000000000000001", "100000000000000002", "100000000000000003", "100000000000000004"}
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"no filter, sorted by id", `{}`, all},
		{"instanceIds", `{"instanceIds":["100000000000000003","100000000000000001","100000000000000003"]}`, []string{"100000000000000001", "100000000000000003"}},
		{"instanceIds unknown", `{"instanceIds":["999"]}`, []string{}},
		{"zoneId", `{"zoneId":"HKG-A"}`, []string{"100000000000000002", "100000000000000003"}},
		{"resourceGroupId", `{"resourceGroupId":"rg-2"}`, []string{"100000000000000001"}},
		{"instanceTypeId", `{"instanceTypeId":"M6C"}`, []string{"100000000000000001"}},
		{"internetChargeType", `{"internetChargeType":"ByTrafficPackage"}`, []string{"100000000000000002"}},
		{"instanceStatus", `{"instanceStatus":"STOPPED"}`, []string{"100000000000000002"}},
		{"instanceName exact", `{"instanceName":"web"}`, []string{"100000000000000004"}},
		{"instanceName prefix", `{"instanceName":"web-*"}`, []string{"100000000000000001", "100000000000000003"}},
		{"instanceName star alone", `{"instanceName":"*"}`, all},
		{"hostname exact", `{"hostname":"db-1.example"}`, []string{"100000000000000002"}},
		{"hostname prefix", `{"hostname":"web-2*"}`, []string{"100000000000000001"}},
		{"hostname no match", `{"hostname":"web-2"}`, []string{}},
		{"publicIpAddresses", `{"publicIpAddresses":["198.18.1.1","198.18.0.2"]}`, []string{"100000000000000001", "100000000000000002"}},
		{"privateIpAddresses", `{"privateIpAddresses":["10.0.0.3"]}`, []string{"100000000000000003"}},
		{"tagKeys all required", `{"tagKeys":["owner","env"]}`, []string{"100000000000000001", "100000000000000003"}},
		{"tagKeys one", `{"tagKeys":["owner"]}`, []string{"100000000000000001", "100000000000000002", "100000000000000003"}},
		{"tags and", `{"tags":[{"key":"owner","value":"web"},{"key":"env","value":"prod"}]}`, []string{"100000000000000003"}},
		{"tags value", `{"tags":[{"key":"owner","value":"web"}]}`, []string{"100000000000000001", "100000000000000003"}},
		{"filters combine", `{"zoneId":"HKG-A","tagKeys":["env"]}`, []string{"100000000000000003"}},
		{"imageId matches nothing", `{"imageId":"img-1"}`, []string{}},
		{"subnetId matches nothing", `{"subnetId":"sub-1"}`, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.describe([]byte(tt.body))
			if diff := cmp.Diff(tt.want, got.ids()); diff != "" {
				t.Fatalf("ids (-want +got):\n%s", diff)
			}
			if got.TotalCount != len(tt.want) {
				t.Fatalf("totalCount %d, want %d", got.TotalCount, len(tt.want))
			}
		})
	}
}

func TestDescribeInstancesLimits(t *testing.T) {
	h := newHarness(t)
	h.load(filterFleet()...)
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("1%017d", i)
		}
		return out
	}
	keys := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("k%d", i)
		}
		return out
	}
	tagList := func(n int) []wireTag {
		out := make([]wireTag, n)
		for i := range out {
			out[i] = wireTag{Key: fmt.Sprintf("k%d", i), Value: "v"}
		}
		return out
	}
	good := []struct {
		name string
		body any
	}{
		{"pageSize 1000", map[string]any{"pageSize": 1000}},
		{"pageSize 1", map[string]any{"pageSize": 1}},
		{"100 ids", map[string]any{"instanceIds": ids(100)}},
		{"20 tagKeys", map[string]any{"tagKeys": keys(20)}},
		{"20 tags", map[string]any{"tags": tagList(20)}},
		{"128-char tag", map[string]any{"tags": []wireTag{{Key: strings.Repeat("k", 128), Value: strings.Repeat("v", 128)}}}},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) { h.describe(tt.body) })
	}
	bad := []struct {
		name string
		body any
	}{
		{"pageSize 1001", map[string]any{"pageSize": 1001}},
		{"pageSize 0", map[string]any{"pageSize": 0}},
		{"pageSize negative", map[string]any{"pageSize": -5}},
		{"pageNum 0", map[string]any{"pageNum": 0}},
		{"101 ids", map[string]any{"instanceIds": ids(101)}},
		{"21 tagKeys", map[string]any{"tagKeys": keys(21)}},
		{"21 tags", map[string]any{"tags": tagList(21)}},
		{"empty tag key", map[string]any{"tagKeys": []string{""}}},
		{"129-char tag value", map[string]any{"tags": []wireTag{{Key: "k", Value: strings.Repeat("v", 129)}}}},
		{"empty tag value", map[string]any{"tags": []wireTag{{Key: "k", Value: ""}}}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			h.fail("DescribeInstances", tt.body, http.StatusBadRequest, "INVALID_PARAMETER")
		})
	}
}

func TestDescribeInstancesPagination(t *testing.T) {
	h := newHarness(t)
	var fleet []SimInstance
	for i := range 45 {
		fleet = append(fleet, inst(fmt.Sprintf("2%017d", 44-i)))
	}
	h.load(fleet...)
	tests := []struct {
		name      string
		body      string
		wantFirst string
		wantLen   int
	}{
		{"defaults: page 1 of 20", `{}`, "200000000000000000", 20},
		{"page 2", `{"pageNum":2}`, "200000000000000020", 20},
		{"last short page", `{"pageNum":3}`, "200000000000000040", 5},
		{"past the end", `{"pageNum":4}`, "", 0},
		{"page size 7 page 3", `{"pageNum":3,"pageSize":7}`, "200000000000000014", 7},
		{"one big page", `{"pageSize":1000}`, "200000000000000000", 45},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.describe([]byte(tt.body))
			if got.TotalCount != 45 || len(got.DataSet) != tt.wantLen {
				t.Fatalf("totalCount %d, len %d; want 45, %d", got.TotalCount, len(got.DataSet), tt.wantLen)
			}
			if tt.wantLen > 0 && got.DataSet[0].InstanceID != tt.wantFirst {
				t.Fatalf("first %s, want %s", got.DataSet[0].InstanceID, tt.wantFirst)
			}
		})
	}
}

func TestDescribeInstancesWireFormat(t *testing.T) {
	h := newHarness(t)
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 8*3600))
	expires := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	h.load(
		inst("932237369560662463", func(s *SimInstance) {
			s.Name, s.Hostname = "ci-runner-1", "ci-runner-1"
			s.CreatedAt = created
			s.Tags = map[string]string{"owner": "ci", "env": "dev"}
			s.PublicIPs = []string{"203.0.113.10"}
		}),
		inst("932237369560662464", func(s *SimInstance) {
			s.ChargeType, s.PeriodMonths, s.ExpiresAt, s.AutoRenew = zen.ChargePrepaid, ptr(12), &expires, true
		}),
	)
	status, raw := h.call("DescribeInstances", map[string]any{"pageSize": 10})
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	var env struct {
		Response struct {
			DataSet []map[string]json.RawMessage `json:"dataSet"`
		} `json:"response"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	if len(env.Response.DataSet) != 2 {
		t.Fatalf("dataSet has %d entries, want 2", len(env.Response.DataSet))
	}
	first, second := env.Response.DataSet[0], env.Response.DataSet[1]
	wantFirst := map[string]string{
		"instanceId":             `"932237369560662463"`,
		"zoneId":                 `"HKG-A"`,
		"instanceName":           `"ci-runner-1"`,
		"instanceTypeId":         `"S9I"`,
		"instanceChargeType":     `"POSTPAID"`,
		"internetChargeType":     `"ByBandwidth"`,
		"period":                 `null`,
		"primaryPublicIpAddress": `"203.0.113.10"`,
		"publicIpAddresses":      `["203.0.113.10"]`,
		"privateIpAddresses":     `[]`,
		"createTime":             `"2026-01-01T19:04:05Z"`,
		"expiredTime":            `null`,
		"resourceGroupId":        `"rg-1"`,
		"resourceGroupName":      `"Default Resource Group"`,
		"instanceStatus":         `"RUNNING"`,
		"autoRenew":              `false`,
		"tags":                   `{"tags":[{"key":"env","value":"dev"},{"key":"owner","value":"ci"}]}`,
	}
	for k, want := range wantFirst {
		if got := string(first[k]); got != want {
			t.Errorf("%s: got %s, want %s", k, got, want)
		}
	}
	wantSecond := map[string]string{
		"instanceChargeType": `"PREPAID"`, "period": `12`, "expiredTime": `"2027-01-02T03:04:05Z"`,
		"autoRenew": `true`, "tags": `{"tags":[]}`, "primaryPublicIpAddress": `null`,
	}
	for k, want := range wantSecond {
		if got := string(second[k]); got != want {
			t.Errorf("prepaid %s: got %s, want %s", k, got, want)
		}
	}
	if !strings.Contains(string(raw), `"dataSet":[`) {
		t.Errorf("dataSet is not an array: %s", raw)
	}
}

func TestDescribeUnknownIDsGivesEmptyArray(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1"))
	status, raw := h.call("DescribeInstances", map[string]any{"instanceIds": []string{"2"}})
	if status != http.StatusOK || !strings.Contains(string(raw), `"totalCount":0,"dataSet":[]`) {
		t.Fatalf("got %d %s, want totalCount 0 and an empty dataSet", status, raw)
	}
}
