package zensim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func tagsOf(t *testing.T, h *harness, id string) []wireTag {
	t.Helper()
	d := h.describe(map[string]any{"instanceIds": []string{id}})
	if len(d.DataSet) != 1 {
		t.Fatalf("describe %s: %d instances", id, len(d.DataSet))
	}
	return d.DataSet[0].Tags.Tags
}

// TestModifyResourceTagsShowsInDescribeInstances: a write is visible to the next
// DescribeInstances at once (§10.4, inferred): a changed key keeps its place, a new key is
// appended, a deleted key is dropped, other keys stay; the tag filters see the change.
func TestModifyResourceTagsShowsInDescribeInstances(t *testing.T) {
	h := newHarness(t)
	h.load(inst("100", func(s *SimInstance) {
		s.TagList = []Tag{{"owner", "ci"}, {"env", "dev"}, {"reaper-reason", "idle"}}
	}), inst("200"))
	h.okAt(zrmEndpoint, "ModifyResourceTags", map[string]any{
		"resourceUuid":  "100",
		"replaceTags":   []map[string]string{{"key": "reaper-terminate-after", "value": "2026-12-10T08:00:00Z"}, {"key": "env", "value": "prod"}},
		"deleteTagKeys": []string{"reaper-reason"},
	})
	want := []wireTag{{"owner", "ci"}, {"env", "prod"}, {"reaper-terminate-after", "2026-12-10T08:00:00Z"}}
	if diff := cmp.Diff(want, tagsOf(t, h, "100")); diff != "" {
		t.Fatalf("tags after the write (-want +got):\n%s", diff)
	}
	if got := h.describe(map[string]any{"tagKeys": []string{"reaper-terminate-after"}}).ids(); !slices.Equal(got, []string{"100"}) {
		t.Errorf("tagKeys filter: %v", got)
	}
	if got := h.describe(map[string]any{"tags": []map[string]string{{"key": "env", "value": "dev"}}}).ids(); len(got) != 0 {
		t.Errorf("the old value still matches: %v", got)
	}
	if diff := cmp.Diff([]wireTag{}, tagsOf(t, h, "200")); diff != "" {
		t.Errorf("another instance changed:\n%s", diff)
	}

	// Both lists empty, and a delete of a key the instance lacks: accepted, nothing changes.
	h.okAt(zrmEndpoint, "ModifyResourceTags", map[string]any{"resourceUuid": "100"})
	h.okAt(zrmEndpoint, "ModifyResourceTags", map[string]any{"resourceUuid": "100", "deleteTagKeys": []string{"never-there"}})
	if diff := cmp.Diff(want, tagsOf(t, h, "100")); diff != "" {
		t.Fatalf("a no-op write changed the tags (-want +got):\n%s", diff)
	}
	// Deleting every tag leaves an empty list, served as {"tags":[]}.
	h.okAt(zrmEndpoint, "ModifyResourceTags", map[string]any{"resourceUuid": "100", "deleteTagKeys": []string{"owner", "env", "reaper-terminate-after"}})
	if diff := cmp.Diff([]wireTag{}, tagsOf(t, h, "100")); diff != "" {
		t.Fatalf("tags after deleting all:\n%s", diff)
	}
}

// TestModifyResourceTagsOnATagsMap: an instance given as a tags map stays one: served sorted by
// key before and after the write, and a test can still change in.Tags through Mutate afterwards.
func TestModifyResourceTagsOnATagsMap(t *testing.T) {
	h := newHarness(t)
	h.load(inst("100", func(s *SimInstance) { s.Tags = map[string]string{"owner": "ci", "b": "1"} }), inst("200"))
	h.okAt(zrmEndpoint, "ModifyResourceTags", map[string]any{
		"resourceUuid": "100", "replaceTags": []map[string]string{{"key": "a", "value": "x"}}, "deleteTagKeys": []string{"b"},
	})
	h.okAt(zrmEndpoint, "ModifyResourceTags", map[string]any{"resourceUuid": "200", "replaceTags": []map[string]string{{"key": "k", "value": "v"}}})
	if diff := cmp.Diff([]wireTag{{"a", "x"}, {"owner", "ci"}}, tagsOf(t, h, "100")); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	h.sim.Mutate("100", func(s *SimInstance) { s.Tags["reaper-keep"] = "true" })
	h.sim.Mutate("200", func(s *SimInstance) { s.Tags["reaper-keep"] = "true" })
	if diff := cmp.Diff([]wireTag{{"a", "x"}, {"owner", "ci"}, {"reaper-keep", "true"}}, tagsOf(t, h, "100")); diff != "" {
		t.Fatalf("after Mutate (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]wireTag{{"k", "v"}, {"reaper-keep", "true"}}, tagsOf(t, h, "200")); diff != "" {
		t.Fatalf("an untagged instance after a write and Mutate (-want +got):\n%s", diff)
	}
}

// TestModifyResourceTagsCollapsesRepeatedKey: a resource holds a key once (§7), so writing a key
// a replayed fleet lists twice leaves one, in the first one's place; deleting drops every copy.
func TestModifyResourceTagsCollapsesRepeatedKey(t *testing.T) {
	h := newHarness(t)
	h.load(inst("100", func(s *SimInstance) {
		s.TagList = []Tag{{"owner", "a"}, {"x", "1"}, {"owner", "b"}, {"y", "2"}, {"y", "3"}}
	}))
	h.okAt(zrmEndpoint, "ModifyResourceTags", map[string]any{
		"resourceUuid": "100", "replaceTags": []map[string]string{{"key": "owner", "value": "c"}}, "deleteTagKeys": []string{"y"},
	})
	if diff := cmp.Diff([]wireTag{{"owner", "c"}, {"x", "1"}}, tagsOf(t, h, "100")); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// TestModifyResourceTagsErrors: the documented errors and limits, and the simulator's choices
// where the reference is silent; a refused write changes nothing.
func TestModifyResourceTagsErrors(t *testing.T) {
	long := strings.Repeat("k", 65)
	tags := func(n int) []map[string]string {
		out := make([]map[string]string, n)
		for i := range out {
			out[i] = map[string]string{"key": "k" + string(rune('a'+i)), "value": "v"}
		}
		return out
	}
	keys := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "k" + string(rune('a'+i))
		}
		return out
	}
	tests := []struct {
		name       string
		body       map[string]any
		wantStatus int
		wantCode   string
	}{
		{"missing resourceUuid", map[string]any{"replaceTags": tags(1)}, 400, "MISSING_PARAMETER"},
		{"unknown resource", map[string]any{"resourceUuid": "999", "replaceTags": tags(1)}, 404, "INVALID_RESOURCE_NOT_FOUND"},
		{"resource that cannot carry tags", map[string]any{"resourceUuid": "300", "replaceTags": tags(1)}, 404, "INVALID_RESOURCE_CAN_NOT_BOUND"},
		{"key of 65 characters", map[string]any{"resourceUuid": "100", "replaceTags": []map[string]string{{"key": long, "value": "v"}}}, 400, "INVALID_PARAMETER"},
		{"value of 65 characters", map[string]any{"resourceUuid": "100", "replaceTags": []map[string]string{{"key": "k", "value": long}}}, 400, "INVALID_PARAMETER"},
		{"empty key", map[string]any{"resourceUuid": "100", "replaceTags": []map[string]string{{"key": "", "value": "v"}}}, 400, "INVALID_PARAMETER"},
		{"empty value", map[string]any{"resourceUuid": "100", "replaceTags": []map[string]string{{"key": "k", "value": ""}}}, 400, "INVALID_PARAMETER"},
		{"delete key of 65 characters", map[string]any{"resourceUuid": "100", "deleteTagKeys": []string{long}}, 400, "INVALID_PARAMETER"},
		{"21 replaceTags", map[string]any{"resourceUuid": "100", "replaceTags": tags(21)}, 400, "INVALID_PARAMETER"},
		{"21 deleteTagKeys", map[string]any{"resourceUuid": "100", "deleteTagKeys": keys(21)}, 400, "INVALID_PARAMETER"},
		{"key twice in replaceTags", map[string]any{"resourceUuid": "100", "replaceTags": []map[string]string{{"key": "k", "value": "1"}, {"key": "k", "value": "2"}}}, 400, "INVALID_PARAMETER"},
		{"key twice in deleteTagKeys", map[string]any{"resourceUuid": "100", "deleteTagKeys": []string{"owner", "owner"}}, 400, "INVALID_PARAMETER"},
		{"key in both lists", map[string]any{"resourceUuid": "100", "replaceTags": []map[string]string{{"key": "owner", "value": "x"}}, "deleteTagKeys": []string{"owner"}}, 400, "INVALID_PARAMETER"},
		{"mis-cased member", map[string]any{"resourceUuid": "100", "ReplaceTags": tags(1)}, 400, "INVALID_PARAMETER"},
		{"mis-cased tag member", map[string]any{"resourceUuid": "100", "replaceTags": []map[string]string{{"Key": "k", "value": "v"}}}, 400, "INVALID_PARAMETER"},
		{"resourceUuid as an array", map[string]any{"resourceUuid": []string{"100"}}, 400, "INVALID_PARAMETER"},
	}
	h := newHarness(t)
	h.load(inst("100", func(s *SimInstance) { s.Tags = map[string]string{"owner": "ci"} }),
		inst("300", func(s *SimInstance) { s.TagsLocked = true }))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.failAt(zrmEndpoint, "ModifyResourceTags", tt.body, tt.wantStatus, tt.wantCode)
			if diff := cmp.Diff([]wireTag{{"owner", "ci"}}, tagsOf(t, h, "100")); diff != "" {
				t.Fatalf("a refused write changed the tags:\n%s", diff)
			}
		})
	}
	// The limits are inclusive and count characters, not bytes: 20 tags, 64 runes of 3 bytes.
	wide := strings.Repeat("é", 64)
	h.okAt(zrmEndpoint, "ModifyResourceTags", map[string]any{"resourceUuid": "100", "replaceTags": append(tags(19), map[string]string{"key": wide, "value": wide})})
	if got := tagsOf(t, h, "100"); len(got) != 21 || got[20] != (wireTag{wide, wide}) {
		t.Fatalf("after 20 tags at the limits: %v", got)
	}
}

// TestDescribeResourceTags: the wire shape of §10.3, createdDate as "2006-01-02 15:04:05" UTC:
// a fleet tag dates from the first instance carrying it, a new one from its first write.
func TestDescribeResourceTags(t *testing.T) {
	h := newHarness(t)
	h.load(inst("100", func(s *SimInstance) {
		s.Tags = map[string]string{"owner": "ci"}
		s.CreatedAt = t0.Add(-48 * time.Hour)
	}), inst("200", func(s *SimInstance) {
		s.Tags = map[string]string{"owner": "ci"}
		s.CreatedAt = t0.Add(-72 * time.Hour)
	}))
	h.clock.Advance(90 * time.Second)
	h.okAt(zrmEndpoint, "ModifyResourceTags", map[string]any{"resourceUuid": "100", "replaceTags": []map[string]string{{"key": "reaper-reason", "value": "idle"}}})
	raw := h.okAt(zrmEndpoint, "DescribeResourceTags", map[string]any{"resourceUuid": "100"})
	requestID := generic(t, raw).(map[string]any)["requestId"]
	want := map[string]any{
		"requestId":  requestID,
		"totalCount": jsonNumber(2),
		"dataSet": []any{
			map[string]any{"key": "owner", "value": "ci", "createdDate": "2026-11-23 08:00:00"},
			map[string]any{"key": "reaper-reason", "value": "idle", "createdDate": "2026-11-26 08:01:30"},
		},
	}
	if diff := cmp.Diff(want, generic(t, raw)); diff != "" {
		t.Fatalf("DescribeResourceTags (-want +got):\n%s", diff)
	}
	if !regexp.MustCompile(`"createdDate":"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"`).Match(raw) {
		t.Errorf("createdDate not in the documented layout: %s", raw)
	}
	// An unknown resource has no tags (inferred: 200 with an empty list, §10.3).
	raw = h.okAt(zrmEndpoint, "DescribeResourceTags", map[string]any{"resourceUuid": "999"})
	got := generic(t, raw).(map[string]any)
	if got["totalCount"] != jsonNumber(0) || len(got["dataSet"].([]any)) != 0 {
		t.Errorf("unknown resource: %s", raw)
	}
	h.failAt(zrmEndpoint, "DescribeResourceTags", map[string]any{}, 400, "MISSING_PARAMETER")
	h.failAt(zrmEndpoint, "DescribeResourceTags", map[string]any{"resourceUuids": []string{"100"}}, 400, "INVALID_PARAMETER")
}

func jsonNumber(n int) any { return json.Number(strconv.Itoa(n)) }

// TestServiceRouting: each service answers only its own actions, versions and service name,
// and every call is recorded with its service and the instance it names.
func TestServiceRouting(t *testing.T) {
	h := newHarness(t)
	h.load(inst("100"))
	body := map[string]any{"resourceUuid": "100"}
	tests := []struct {
		name       string
		ep         endpoint
		action     string
		wantStatus int
		wantCode   string
	}{
		{"zrm action on the bmc path", bmcEndpoint, "DescribeResourceTags", 400, "INVALID_ACTION"},
		{"bmc action on the zrm path", zrmEndpoint, "DescribeInstances", 400, "INVALID_ACTION"},
		{"zbc action on the zrm path", zrmEndpoint, "DescribeBillDetail", 400, "INVALID_ACTION"},
		{"bmc version on zrm", endpoint{PathZRM, "zrm", "2026-02-01"}, "DescribeResourceTags", 400, "INVALID_VERSION"},
		{"zrm version on bmc", endpoint{Path, "bmc", "2025-10-14"}, "DescribeInstances", 400, "INVALID_VERSION"},
		{"zbc package date", endpoint{PathZBC, "zbc", "2024-08-09"}, "DescribeBillDetail", 400, "INVALID_VERSION"},
		{"bmc service header on zrm", endpoint{PathZRM, "bmc", "2025-10-14"}, "DescribeResourceTags", 400, "INVALID_SERVICE"},
		{"zrm service header on zbc", endpoint{PathZBC, "zrm", "2024-08-08"}, "DescribeBillDetail", 400, "INVALID_SERVICE"},
		{"unknown path", endpoint{"/api/v2/zec", "zec", "2025-10-14"}, "DescribeResourceTags", 404, "INVALID_PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.failAt(tt.ep, tt.action, body, tt.wantStatus, tt.wantCode)
		})
	}
	// Without X-ZC-Service (the doc example leaves it out) the path decides.
	h.ResetCallsAndOK(t, endpoint{PathZRM, "", VersionZRM}, "DescribeResourceTags", body)
	calls := h.sim.Calls()
	if len(calls) != 1 || calls[0].Service != ServiceZRM || calls[0].Action != "DescribeResourceTags" ||
		!slices.Equal(calls[0].InstanceIDs, []string{"100"}) || calls[0].HTTPStatus != http.StatusOK {
		t.Fatalf("call log: %+v", calls)
	}
}

// ResetCallsAndOK forgets the recorded calls, then makes one call that must succeed.
func (h *harness) ResetCallsAndOK(t *testing.T, ep endpoint, action string, body any) {
	t.Helper()
	h.sim.ResetCalls()
	h.okAt(ep, action, body)
}

// TestZRMFaultsAndPermission: faults apply to the ZRM actions as to the others; a credential
// without tagging permission is refused 403 on zrm only; a bearer token works on zrm.
func TestZRMFaultsAndPermission(t *testing.T) {
	write := map[string]any{"resourceUuid": "100", "replaceTags": []map[string]string{{"key": "k", "value": "v"}}}
	tests := []struct {
		name       string
		fault      Fault
		wantStatus int
		wantCode   string
		wantTagged bool
	}{
		{"503 replaces the write", Fault{HTTPStatus: 503, Count: 1}, 503, "SERVICE_TEMPORARY_UNAVAILABLE", false},
		{"429 storm", Fault{HTTPStatus: 429}, 429, "REQUEST_LIMIT_EXCEEDED", false},
		{"executed then 500: the write happened", Fault{Count: 1, Executed: true}, 500, "INTERNAL_SERVER_ERROR", true},
		{"not taken: 200 and nothing changes", Fault{Kind: FaultNotTaken, Count: 1}, 200, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.load(inst("100"))
			h.sim.SetFault("ModifyResourceTags", tt.fault)
			status, raw := h.callAt(zrmEndpoint, "ModifyResourceTags", write)
			if tt.wantStatus == 200 {
				if status != 200 {
					t.Fatalf("status %d: %s", status, raw)
				}
			} else {
				checkError(t, status, raw, tt.wantStatus, tt.wantCode)
			}
			if got := len(tagsOf(t, h, "100")) == 1; got != tt.wantTagged {
				t.Errorf("tagged = %v, want %v", got, tt.wantTagged)
			}
			calls := h.sim.Calls()
			if c := calls[0]; c.Action != "ModifyResourceTags" || c.Service != ServiceZRM || c.Fault != tt.fault.Kind.String() {
				t.Errorf("recorded %+v", c)
			}
		})
	}

	h := newHarness(t, func(o *Options) { o.NoPermission = map[string][]string{testKeyID: {ServiceZRM, ServiceZBC}} })
	h.load(inst("100"))
	h.failAt(zrmEndpoint, "ModifyResourceTags", write, 403, CodeNoPermission)
	h.failAt(zrmEndpoint, "DescribeResourceTags", map[string]any{"resourceUuid": "100"}, 403, CodeNoPermission)
	if got := tagsOf(t, h, "100"); len(got) != 0 { // bmc still answers this key
		t.Fatalf("a refused write tagged: %v", got)
	}
	req := h.newAPIRequest("ModifyResourceTags", mustJSON(t, write))
	req.URL.Path = PathZRM
	req.Header.Set("X-ZC-Version", VersionZRM)
	req.Header.Set("X-ZC-Service", ServiceZRM)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if status, raw := h.do(req); status != 200 {
		t.Fatalf("bearer token on zrm: %d %s", status, raw)
	}
	if got := tagsOf(t, h, "100"); len(got) != 1 {
		t.Fatalf("bearer write not applied: %v", got)
	}
}
