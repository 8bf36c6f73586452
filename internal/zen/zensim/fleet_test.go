package zensim

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reaper-bmc/reaper/internal/zen"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fleet.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFleetFile(t *testing.T) {
	p := writeFile(t, `{"instances":[
  {"id":"932237369560662463","name":"ci-runner-1","zone":"HKG-A","status":"RUNNING","charge_type":"POSTPAID",
   "created_at":"2026-01-02T03:04:05Z","tags":{"owner":"ci"},"public_ips":["203.0.113.10"],
   "commitment":true,"traffic":{"in_bps":1000,"out_bps":2000,"jitter":0.1,"gaps_from":"2026-11-01T00:00:00Z"}},
  {"id":"932237369560662464","status":"RECYCLE","recycled_at":"2026-11-26T00:00:00Z","charge_type":"PREPAID",
   "expires_at":"2027-01-01T00:00:00Z","period_months":12,"auto_renew":true,"subscription_cancelled":true}
]}`)
	f, err := LoadFleetFile(p)
	if err != nil {
		t.Fatal(err)
	}
	gaps := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	recycled := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	expires := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	want := Fleet{Verbatim: true, Instances: []FleetInstance{
		{
			ID: "932237369560662463", Name: "ci-runner-1", Zone: "HKG-A", Status: zen.StatusRunning, ChargeType: zen.ChargePostpaid,
			CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Tags: map[string]string{"owner": "ci"},
			PublicIPs: []string{"203.0.113.10"}, Commitment: true,
			Traffic: TrafficProfile{InBps: 1000, OutBps: 2000, Jitter: 0.1, GapsFrom: &gaps},
		},
		{
			ID: "932237369560662464", Status: zen.StatusRecycle, RecycledAt: &recycled, ChargeType: zen.ChargePrepaid,
			ExpiresAt: &expires, PeriodMonths: ptr(12), AutoRenew: true, SubscriptionCancelled: true,
		},
	}}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Fatalf("fleet (-want +got):\n%s", diff)
	}
}

func TestLoadFleetFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string
	}{
		{"duplicate id", `{"instances":[{"id":"11"},{"id":"12"},{"id":"11"}]}`, []string{"instance 2", `duplicate id "11"`, "instance 0"}},
		{"unknown instance field", `{"instances":[{"id":"1","colour":"red"}]}`, []string{"instance 0", `unknown field "colour"`}},
		{"unknown top-level field", `{"instances":[],"version":2}`, []string{`unknown field "version"`}},
		{"unknown traffic field", `{"instances":[{"id":"1","traffic":{"in_kbps":1}}]}`, []string{"instance 0", `unknown field "in_kbps"`}},
		{"missing id", `{"instances":[{"id":"1"},{"name":"x"}]}`, []string{"instance 1", "missing id"}},
		{"tags and tag list", `{"instances":[{"id":"1","tags":{"a":"b"},"tag_list":[{"key":"a","value":"b"}]}]}`, []string{"instance 0", "tag_list"}},
		{"unknown tag field", `{"instances":[{"id":"1","tag_list":[{"Key":"a","value":"b"}]}]}`, []string{"instance 0", `unknown field "tag_list[0].Key"`}},
		{"bad jitter", `{"instances":[{"id":"1","traffic":{"jitter":2}}]}`, []string{"instance 0", "jitter"}},
		{"negative traffic", `{"instances":[{"id":"1","traffic":{"in_bps":-1}}]}`, []string{"instance 0", "negative"}},
		{"gap reversed", `{"instances":[{"id":"1","traffic":{"gaps_from":"2026-02-01T00:00:00Z","gaps_to":"2026-01-01T00:00:00Z"}}]}`, []string{"instance 0", "gaps_to"}},
		{"bad period", `{"instances":[{"id":"1","period_months":0}]}`, []string{"instance 0", "period_months"}},
		{"wrong type", `{"instances":[{"id":1}]}`, []string{"instance 0"}},
		{"bad time", `{"instances":[{"id":"1","created_at":"yesterday"}]}`, []string{"instance 0"}},
		{"missing instances", `{}`, []string{`missing "instances"`}},
		{"trailing data", `{"instances":[]} {}`, []string{"after the JSON value"}},
		{"not json", `instances: []`, []string{"invalid character"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.content)
			_, err := LoadFleetFile(p)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tt.want, p) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := LoadFleetFile(filepath.Join(t.TempDir(), "nope.json"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err %v, want a not-exist error", err)
		}
	})
}

// TestLoadFleetFileKeepsValuesVerbatim: statuses and charge types are served as the file gives
// them, empty and unknown ones included; only an absent key takes the default.
func TestLoadFleetFileKeepsValuesVerbatim(t *testing.T) {
	p := writeFile(t, `{"instances":[
  {"id":"1","status":"running","charge_type":"postpaid"},
  {"id":"2","status":"","charge_type":""},
  {"id":"3","status":"weird","charge_type":"MONTHLY"},
  {"id":"4"},
  {"id":"5","tag_list":[{"key":"reaper-protect","value":"true"},{"key":"reaper-protect","value":"false"}]}
]}`)
	f, err := LoadFleetFile(p)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	if err := h.sim.Load(f); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{"1": {"running", "postpaid"}, "2": {"", ""}, "3": {"weird", "MONTHLY"}, "4": {"RUNNING", "POSTPAID"}}
	for _, w := range h.describe(map[string]any{}).DataSet {
		if exp, ok := want[w.InstanceID]; ok && (w.InstanceStatus != exp[0] || w.InstanceChargeType != exp[1]) {
			t.Errorf("instance %s served as %q/%q, want %q/%q", w.InstanceID, w.InstanceStatus, w.InstanceChargeType, exp[0], exp[1])
		}
		if w.InstanceID == "4" && w.CreateTime != nil {
			t.Errorf("instance 4 without created_at served createTime %q, want null", *w.CreateTime)
		}
		if w.InstanceID == "5" {
			if got := fmt.Sprint(w.Tags.Tags); got != "[{reaper-protect true} {reaper-protect false}]" {
				t.Errorf("instance 5 served with tags %s, want both reaper-protect values in order", got)
			}
		}
	}
}

func TestFleetWriteRoundTrip(t *testing.T) {
	for name, f := range map[string]Fleet{
		"demo":      DemoFleet(t0),
		"generated": Generate(300, 5, t0),
		"empty":     {},
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := f.Write(&buf); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(buf.String(), "{\n  \"instances\": [") {
				t.Fatalf("not indented JSON: %.40q", buf.String())
			}
			got, err := DecodeFleet(&buf)
			if err != nil {
				t.Fatal(err)
			}
			want := f
			want.Verbatim = true
			if want.Instances == nil {
				want.Instances = []FleetInstance{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFleetFromInstancesRoundTrip(t *testing.T) {
	exp := t0.Add(30 * 24 * time.Hour)
	in := []zen.Instance{
		{
			ID: "100000000000000001", Name: "a", Hostname: "a.h", Zone: "HKG-A", Type: "S9I", Status: zen.StatusRunning,
			ChargeType: zen.ChargePostpaid, InternetChargeType: "ByBandwidth", CreatedAt: t0.Add(-time.Hour),
			ResourceGroupID: "rg-1", ResourceGroupName: "Default", AutoRenew: ptr(false),
			PublicIPs: []string{"198.18.0.1"}, PrivateIPs: []string{"10.0.0.1"}, TagList: zen.Tags{{Key: "owner", Value: "ci"}},
		},
		{
			ID: "100000000000000002", Name: "b", Zone: "SIN-A", Status: zen.StatusStopped, ChargeType: zen.ChargePrepaid,
			CreatedAt: t0.Add(-40 * 24 * time.Hour), ExpiresAt: &exp, AutoRenew: ptr(true), PeriodMonths: ptr(1),
		},
	}
	var buf bytes.Buffer
	if err := FleetFromInstances(in).Write(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := DecodeFleet(&buf)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	h.load(f.Instances...)
	var got []zen.Instance
	for _, s := range h.sim.Instances() {
		got = append(got, s.Domain())
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	// Nothing is known about a replayed instance's traffic: it must never look idle.
	if tr := h.traffic("100000000000000001", t0.Add(-time.Hour), t0); len(tr.DataList) != 0 {
		t.Fatalf("replayed instance has %d traffic samples, want none", len(tr.DataList))
	}
	// The fleet owns its memory.
	f2 := FleetFromInstances(in)
	in[0].TagList[0].Value = "changed"
	if f2.Instances[0].TagList[0].Value != "ci" {
		t.Fatal("FleetFromInstances shares memory with its input")
	}
}
