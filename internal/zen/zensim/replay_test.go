package zensim

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// oddFleet is a generated fleet with the values a real API may send and a replay must keep exactly:
// lowercase, empty and unknown statuses and charge types, repeated tag keys, unicode and
// control-character names.
func oddFleet(n int) Fleet {
	f := Generate(n, 11, t0)
	statuses := []zen.Status{"running", "", "weird", "Running", "RECYCLED", zen.StatusRunning, "stopped"}
	charges := []zen.ChargeType{"", "postpaid", "MONTHLY", zen.ChargePostpaid, zen.ChargePrepaid}
	names := []string{"ünïcødé-服务器-🚀", "", "tab\there", "\u202eevil", "a b  c"}
	for i := range f.Instances {
		in := &f.Instances[i]
		in.Status = statuses[i%len(statuses)]
		in.ChargeType = charges[i%len(charges)]
		in.Name = names[i%len(names)]
		in.RecycledAt = nil // only meaningful for RECYCLE, which the odd statuses replace
		if i%9 == 0 {
			in.CreatedAt = time.Time{} // the API sent no creation time
		}
		if i%7 == 3 {
			in.AutoRenewUnknown = true // the API sent autoRenew null
		}
		switch i % 4 {
		case 0:
			in.Tags, in.TagList = nil, []Tag{
				{"reaper-protect", "true"}, {"owner", "ci"}, {"reaper-protect", "false"}, {"owner", ""},
			}
		case 1:
			in.Tags, in.TagList = nil, []Tag{{"z", "1"}, {"a", "2"}, {"Ключ", "значение"}}
		case 2:
			in.Tags = nil
		}
	}
	return f
}

// listAll lists every instance of sim through reaper's client.
func listAll(t *testing.T, h *harness) []zen.Instance {
	t.Helper()
	c, err := zen.New(zen.WithEndpoint(h.srv.URL), zen.WithAccessKey(testKeyID, testSecret),
		zen.WithClock(h.clock.Now), zen.WithRequestsPerSecond(math.Inf(1)))
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.ListInstances(context.Background(), zen.Filter{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	return list
}

// TestFleetReplayIsExact: what reaper lists from an API, written as a fleet file (the writer of
// `reaper inventory --format fleet`) and served again by the simulator (`reaper sim --fleet`), is
// listed again exactly, instance by instance, odd values included.
func TestFleetReplayIsExact(t *testing.T) {
	odd := oddFleet(60)
	real := newHarness(t)
	if err := real.sim.Load(Fleet{Instances: odd.Instances, Verbatim: true}); err != nil {
		t.Fatal(err)
	}
	seen := listAll(t, real)

	var file bytes.Buffer
	if err := FleetFromInstances(seen).Write(&file); err != nil {
		t.Fatal(err)
	}
	f, err := DecodeFleet(&file)
	if err != nil {
		t.Fatalf("the fleet file written from a listing does not load: %v", err)
	}
	replay := newHarness(t)
	if err := replay.sim.Load(f); err != nil {
		t.Fatal(err)
	}
	replayed := listAll(t, replay)

	if len(replayed) != len(seen) {
		t.Fatalf("replay lists %d instances, the original %d", len(replayed), len(seen))
	}
	for i := range seen {
		if diff := cmp.Diff(seen[i], replayed[i]); diff != "" {
			t.Errorf("instance %s differs after replay (-original +replay):\n%s", seen[i].ID, diff)
		}
	}
	// The listing really carried the odd values (the comparison above is not vacuous).
	byID := map[string]zen.Instance{}
	for _, in := range seen {
		byID[in.ID] = in
	}
	for _, want := range odd.Instances {
		got := byID[want.ID]
		if !got.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("instance %s listed as created %v, want %v", want.ID, got.CreatedAt, want.CreatedAt)
		}
		if got.Status != want.Status || got.ChargeType != want.ChargeType || got.Name != want.Name {
			t.Errorf("instance %s listed as status %q charge %q name %q, want %q %q %q", want.ID,
				got.Status, got.ChargeType, got.Name, want.Status, want.ChargeType, want.Name)
		}
		if want.AutoRenewUnknown != (got.AutoRenew == nil) {
			t.Errorf("instance %s listed with autoRenew %v, want unknown=%v", want.ID, got.AutoRenew, want.AutoRenewUnknown)
		}
		if want.TagList != nil && !cmp.Equal(tagPairs(got.TagList), want.TagList) {
			t.Errorf("instance %s listed with tags %v, want %v in API order", want.ID, got.TagList, want.TagList)
		}
	}
}

func tagPairs(list []zen.Tag) []Tag {
	out := make([]Tag, len(list))
	for i, t := range list {
		out[i] = Tag{t.Key, t.Value}
	}
	return out
}

// TestTagListFilters: with a tag list, tagKeys and tags filters match any of the pairs, a repeated
// key included, and the list is served in its order.
func TestTagListFilters(t *testing.T) {
	h := newHarness(t)
	h.load(inst("1", func(s *SimInstance) {
		s.TagList = []Tag{{"p", "true"}, {"o", "ci"}, {"p", "false"}}
	}), inst("2", func(s *SimInstance) { s.Tags = map[string]string{"p": "no"} }))
	tests := []struct {
		name string
		body map[string]any
		want []string
	}{
		{"first value", map[string]any{"tags": []Tag{{"p", "true"}}}, []string{"1"}},
		{"repeated value", map[string]any{"tags": []Tag{{"p", "false"}}}, []string{"1"}},
		{"both values", map[string]any{"tags": []Tag{{"p", "false"}, {"p", "true"}}}, []string{"1"}},
		{"key", map[string]any{"tagKeys": []string{"p"}}, []string{"1", "2"}},
		{"map value", map[string]any{"tags": []Tag{{"p", "no"}}}, []string{"2"}},
		{"no match", map[string]any{"tags": []Tag{{"o", "true"}}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.describe(tt.body).ids(); !cmp.Equal(got, tt.want) {
				t.Errorf("ids %v, want %v", got, tt.want)
			}
		})
	}
	got := h.describe(map[string]any{"instanceIds": []string{"1"}}).DataSet[0].Tags.Tags
	if want := []wireTag{{"p", "true"}, {"o", "ci"}, {"p", "false"}}; !cmp.Equal(got, want) {
		t.Errorf("served tags %v, want %v", got, want)
	}
}
