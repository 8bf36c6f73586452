package zen

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRepeatedTagKeysKeepEveryPair is issue 11 item 3: with [reaper-protect:true,
// reaper-protect:false] the last value used to win, and the instance lost its protection.
func TestRepeatedTagKeysKeepEveryPair(t *testing.T) {
	tests := []struct {
		name      string
		tags      string
		wantList  Tags
		wantFirst map[string]string
	}{
		{"protect then unprotect", `[{"key":"reaper-protect","value":"true"},{"key":"reaper-protect","value":"false"}]`,
			Tags{{"reaper-protect", "true"}, {"reaper-protect", "false"}}, map[string]string{"reaper-protect": "true"}},
		{"unprotect then protect", `[{"key":"reaper-protect","value":"false"},{"key":"reaper-protect","value":"true"}]`,
			Tags{{"reaper-protect", "false"}, {"reaper-protect", "true"}}, map[string]string{"reaper-protect": "false"}},
		{"API order kept", `[{"key":"b","value":"1"},{"key":"a","value":"2"},{"key":"b","value":"3"}]`,
			Tags{{"b", "1"}, {"a", "2"}, {"b", "3"}}, map[string]string{"a": "2", "b": "1"}},
		{"empty key dropped, null value empty", `[{"key":"","value":"x"},null,{"key":"k","value":null}]`,
			Tags{{"k", ""}}, map[string]string{"k": ""}},
		{"keys differing in case are distinct pairs", `[{"key":"Reaper-Protect","value":"true"},{"key":"reaper-protect","value":"false"}]`,
			Tags{{"Reaper-Protect", "true"}, {"reaper-protect", "false"}}, map[string]string{"Reaper-Protect": "true", "reaper-protect": "false"}},
		{"none", `[]`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeOne(t, `{"instanceId":"1","tags":{"tags":`+tt.tags+`}}`)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantList, got.TagList); diff != "" {
				t.Errorf("TagList mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantFirst, got.TagList.First()); diff != "" {
				t.Errorf("TagList.First() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRepeatedTagKeys(t *testing.T) {
	tests := []struct {
		tags []Tag
		want []string
	}{
		{nil, nil},
		{[]Tag{{"a", "1"}, {"b", "2"}}, nil},
		{[]Tag{{"a", "1"}, {"b", "2"}, {"a", "3"}, {"b", "4"}, {"a", "5"}}, []string{"a", "b"}},
		{[]Tag{{"A", "1"}, {"a", "2"}}, nil},
		{[]Tag{{"a", "1"}, {"b", "2"}, {"b", "3"}, {"a", "4"}}, []string{"b", "a"}},
		{[]Tag{{"", "1"}, {"x", ""}, {"x", ""}}, []string{"x"}},
	}
	if n := testing.AllocsPerRun(100, func() { RepeatedTagKeys([]Tag{{"a", "1"}, {"b", "2"}, {"c", "3"}}) }); n != 0 {
		t.Errorf("RepeatedTagKeys allocates %v times for tags that do not repeat, want 0", n)
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, RepeatedTagKeys(tt.tags)); diff != "" {
			t.Errorf("RepeatedTagKeys(%v) mismatch (-want +got):\n%s", tt.tags, diff)
		}
	}
}

// FuzzTagDecode feeds arbitrary JSON to the tag decoder: it never panics, the list holds every
// pair with a non-empty key in order, First holds the first value of each key and nothing else,
// and Value agrees with First.
func FuzzTagDecode(f *testing.F) {
	for _, seed := range []string{
		`{"tags":[{"key":"reaper-protect","value":"true"},{"key":"reaper-protect","value":"false"}]}`,
		`{"tags":[{"key":"a","value":"1"},null,{"key":"","value":"x"},{"key":"a","value":null}]}`,
		`{"tags":null}`, `null`, `{}`, `{"tags":[{"key":"Reaper-Keep","value":" TRUE "}]}`,
		`{"tags":[{"key":"\u0000","value":"\u001b]0;x\u0007"}]}`, `{"tags":[1,2]}`, `[`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var w *wireTags
		if json.Unmarshal(data, &w) != nil {
			return
		}
		in := newInterner()
		list := tagsFromWire(w, in)
		// The interner shares lists: after another list, the same wire pairs give the same list,
		// and the other list keeps its own pairs.
		other := tagsFromWire(&wireTags{Tags: []wireTag{{Key: "a", Value: "1"}}}, in)
		if again := tagsFromWire(w, in); !cmp.Equal(list, again) || len(list) > 0 && &again[0] != &list[0] {
			t.Fatalf("decoded again: %v, want the shared %v", again, list)
		}
		if !cmp.Equal(other, Tags{{Key: "a", Value: "1"}}) {
			t.Fatalf("another list decoded as %v", other)
		}
		first := list.First()
		if (list == nil) != (first == nil) {
			t.Fatalf("list %v and map %v disagree about having tags", list, first)
		}
		var want Tags
		if w != nil {
			for _, t := range w.Tags {
				if t.Key != "" {
					want = append(want, Tag(t))
				}
			}
		}
		if diff := cmp.Diff(want, list); diff != "" {
			t.Fatalf("list mismatch (-want +got):\n%s", diff)
		}
		for k, v := range first {
			i := 0
			for i < len(list) && list[i].Key != k {
				i++
			}
			if i == len(list) || list[i].Value != v {
				t.Fatalf("map value %q=%q is not the first pair of its key in %v", k, v, list)
			}
		}
		for _, tag := range list {
			if _, ok := first[tag.Key]; !ok {
				t.Fatalf("key %q of the list is missing from the map", tag.Key)
			}
			if v, ok := list.Value(tag.Key); !ok || v != first[tag.Key] {
				t.Fatalf("Value(%q) = %q, %v; First has %q", tag.Key, v, ok, first[tag.Key])
			}
		}
	})
}

// TestTagsMethods pins what callers read from the one copy of an instance's tags: Value and
// First give the first value of a key (as input.instance.tags), keys compare exactly (case and
// spaces count), an empty value is a value, and mark tags are tags here (PolicyInput drops them).
func TestTagsMethods(t *testing.T) {
	tags := Tags{
		{"reaper-protect", "false"}, {"team", "ops"}, {"reaper-protect", "true"}, {"Reaper-Protect", "yes"},
		{"empty", ""}, {"reaper-terminate-after", "2026-01-01T00:00:00Z"}, {"team", ""}, {" team", "dev"},
	}
	values := []struct {
		key    string
		want   string
		wantOK bool
	}{
		{"reaper-protect", "false", true}, // repeated: the first wins
		{"Reaper-Protect", "yes", true},   // another key: case counts
		{"REAPER-PROTECT", "", false},
		{"team", "ops", true}, // a later empty value does not override
		{" team", "dev", true},
		{"team ", "", false},
		{"empty", "", true},                                      // an empty value is present
		{"reaper-terminate-after", "2026-01-01T00:00:00Z", true}, // mark tags are tags here
		{"", "", false},
		{"missing", "", false},
	}
	for _, tt := range values {
		t.Run("Value "+tt.key, func(t *testing.T) {
			got, ok := tags.Value(tt.key)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Value(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.wantOK)
			}
		})
	}
	wantFirst := map[string]string{"reaper-protect": "false", "team": "ops", "Reaper-Protect": "yes", "empty": "",
		"reaper-terminate-after": "2026-01-01T00:00:00Z", " team": "dev"}
	if diff := cmp.Diff(wantFirst, tags.First()); diff != "" {
		t.Errorf("First() mismatch (-want +got):\n%s", diff)
	}
	if got := Tags(nil).First(); got != nil {
		t.Errorf("Tags(nil).First() = %v, want nil", got)
	}
	if got, ok := Tags(nil).Value("team"); got != "" || ok {
		t.Errorf("Tags(nil).Value = %q, %v; want \"\", false", got, ok)
	}
}

func TestTagsFromMap(t *testing.T) {
	tests := []struct {
		name string
		m    map[string]string
		want Tags
	}{
		{"nil", nil, nil},
		{"empty", map[string]string{}, nil},
		{"sorted by key, bytes order", map[string]string{"b": "2", "a-b": "", "a": "1", "A": "x"},
			Tags{{"A", "x"}, {"a", "1"}, {"a-b", ""}, {"b", "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, TagsFromMap(tt.m)); diff != "" {
				t.Errorf("TagsFromMap mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
