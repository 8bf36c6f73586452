package zen_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

const (
	tagsKeyID  = "AKIDTAGS0001"
	tagsSecret = "TagsSecret123"
)

func tagsSim(t *testing.T, opts ...zen.Option) (*zensim.Server, *zen.Client) {
	t.Helper()
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	sim := zensim.New(zensim.Options{Now: func() time.Time { return t0 }, Keys: map[string]string{tagsKeyID: tagsSecret}})
	if err := sim.Load(zensim.Fleet{Instances: []zensim.SimInstance{
		{ID: "100", Name: "a", Status: zen.StatusRunning, ChargeType: zen.ChargePostpaid, CreatedAt: t0.Add(-time.Hour),
			Tags: map[string]string{"owner": "ci", "reaper-reason": "old"}},
		{ID: "200", Name: "b", Status: zen.StatusRunning, ChargeType: zen.ChargePostpaid, CreatedAt: t0.Add(-time.Hour), TagsLocked: true},
	}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := zen.New(append([]zen.Option{zen.WithEndpoint(srv.URL), zen.WithAccessKey(tagsKeyID, tagsSecret),
		zen.WithClock(func() time.Time { return t0 })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

// TestModifyResourceTags writes through the simulator's zrm service, signed (§1.5): the change
// is what the next DescribeInstances shows, and only the named keys change.
func TestModifyResourceTags(t *testing.T) {
	sim, c := tagsSim(t)
	ctx := context.Background()
	rid, err := c.ModifyResourceTags(ctx, "100", []zen.Tag{{Key: "reaper-terminate-after", Value: "2026-12-02T08:00:00Z"}}, []string{"reaper-reason"})
	if err != nil || rid == "" {
		t.Fatalf("ModifyResourceTags = %q, %v", rid, err)
	}
	calls := sim.Calls()
	if len(calls) != 1 || calls[0].Service != zensim.ServiceZRM || calls[0].Action != "ModifyResourceTags" || calls[0].HTTPStatus != 200 || calls[0].Auth != zensim.AuthHMAC {
		t.Fatalf("calls = %+v, want one signed zrm ModifyResourceTags answered 200", calls)
	}
	got, err := c.DescribeInstances(ctx, []string{"100"})
	if err != nil || len(got) != 1 {
		t.Fatalf("DescribeInstances = %v, %v", got, err)
	}
	want := map[string]string{"owner": "ci", "reaper-terminate-after": "2026-12-02T08:00:00Z"}
	if len(got[0].TagList) != len(want) {
		t.Errorf("tags = %v, want %v", got[0].TagList, want)
	}
	for k, v := range want {
		if g, _ := got[0].TagList.Value(k); g != v {
			t.Errorf("tag %s = %q, want %q (all: %v)", k, g, v, got[0].TagList)
		}
	}
}

// TestModifyResourceTagsErrors: the API's refusals are typed errors naming the instance; a bad
// request is refused before anything is sent.
func TestModifyResourceTagsErrors(t *testing.T) {
	sim, c := tagsSim(t)
	ctx := context.Background()
	set := []zen.Tag{{Key: "k", Value: "v"}}
	for _, tt := range []struct {
		id, code string
	}{{"999", "INVALID_RESOURCE_NOT_FOUND"}, {"200", "INVALID_RESOURCE_CAN_NOT_BOUND"}} {
		_, err := c.ModifyResourceTags(ctx, tt.id, set, nil)
		var ae *zen.APIError
		if !errors.As(err, &ae) || ae.Code != tt.code || !strings.Contains(err.Error(), tt.id) {
			t.Errorf("instance %s: err = %v, want an APIError %s naming it", tt.id, err, tt.code)
		}
	}
	sim.ResetCalls()
	long := strings.Repeat("x", zen.MaxTagSize+1)
	for name, tt := range map[string]struct {
		id      string
		replace []zen.Tag
		remove  []string
	}{
		"empty id":        {"", set, nil},
		"nothing":         {"100", nil, nil},
		"long key":        {"100", []zen.Tag{{Key: long, Value: "v"}}, nil},
		"long value":      {"100", []zen.Tag{{Key: "k", Value: long}}, nil},
		"empty value":     {"100", []zen.Tag{{Key: "k", Value: ""}}, nil},
		"key in both":     {"100", set, []string{"k"}},
		"key twice":       {"100", []zen.Tag{{Key: "k", Value: "1"}, {Key: "k", Value: "2"}}, nil},
		"empty removed":   {"100", nil, []string{""}},
		"too many to set": {"100", manyTags(zen.MaxTagsPerWrite + 1), nil},
	} {
		if _, err := c.ModifyResourceTags(ctx, tt.id, tt.replace, tt.remove); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := len(sim.Calls()); n != 0 {
		t.Errorf("%d calls reached the API for requests refused by the client", n)
	}
}

func manyTags(n int) []zen.Tag {
	out := make([]zen.Tag, n)
	for i := range out {
		out[i] = zen.Tag{Key: "k" + string(rune('a'+i)), Value: "v"}
	}
	return out
}
