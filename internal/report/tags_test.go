package report

import (
	"bytes"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tagsOf is m as a report row holds it: its pairs sorted by key, as reading a report gives them.
func tagsOf(m map[string]string) Tags {
	var pairs Tags
	for _, k := range slices.Sorted(maps.Keys(m)) {
		pairs = append(pairs, Tag{Key: k, Value: m[k]})
	}
	return pairs
}

// TestTagsFirst: reports show the first value of each key, keys sorted in byte order, and never
// reorder the row's list, which is the instance's own.
func TestTagsFirst(t *testing.T) {
	tests := []struct {
		name  string
		pairs Tags
		want  Tags
	}{
		{"none", nil, nil},
		{"empty", Tags{}, nil},
		{"repeated key: the first value wins", Tags{{"reaper-protect", "true"}, {"owner", "a"}, {"reaper-protect", "false"}},
			Tags{{"owner", "a"}, {"reaper-protect", "true"}}},
		{"repeated key, first value empty", Tags{{"team", ""}, {"team", "ops"}}, Tags{{"team", ""}}},
		{"keys differing in case stay apart, byte order", Tags{{"reaper-keep", "1"}, {"Reaper-Keep", "2"}, {"REAPER-KEEP", "3"}},
			Tags{{"REAPER-KEEP", "3"}, {"Reaper-Keep", "2"}, {"reaper-keep", "1"}}},
		{"keys differing in spaces stay apart", Tags{{" owner", "a"}, {"owner", "b"}, {"owner ", "c"}},
			Tags{{" owner", "a"}, {"owner", "b"}, {"owner ", "c"}}},
		{"mark tags are shown", Tags{{"reaper-terminate-after", "2026-01-01T00:00:00Z"}, {"reaper-reason", "expiry"}},
			Tags{{"reaper-reason", "expiry"}, {"reaper-terminate-after", "2026-01-01T00:00:00Z"}}},
		{"byte order", Tags{{"a=", "1"}, {"a", "2"}, {"a-b", "3"}}, Tags{{"a", "2"}, {"a-b", "3"}, {"a=", "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := slices.Clone(tt.pairs)
			got := tt.pairs.First(nil)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("First mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(orig, tt.pairs); diff != "" {
				t.Errorf("First changed the row's list (-was +now):\n%s", diff)
			}
			if reused := tt.pairs.First(make(Tags, 1, 8)); !cmp.Equal(reused, got) {
				t.Errorf("First into a reused buffer = %v, want %v", reused, got)
			}
		})
	}
}

// TestRepeatedTagsInEveryFormat: a row whose instance repeats a key shows the first value, in
// report.json (its row writer and Instance.MarshalJSON) and in the HTML row; the case variant
// of a key is another key.
func TestRepeatedTagsInEveryFormat(t *testing.T) {
	in := Instance{ID: "i", Action: ActionProtected, Tags: Tags{{"reaper-protect", "false"}, {"owner", "<a&b>"},
		{"reaper-protect", "true"}, {"Reaper-Protect", "yes"}, {"empty", ""}, {"empty", "x"}}}
	want := map[string]string{"reaper-protect": "false", "owner": "<a&b>", "Reaper-Protect": "yes", "empty": ""}
	got, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tags map[string]string `json:"tags"`
	}
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, doc.Tags); diff != "" {
		t.Errorf("Instance.MarshalJSON tags (-want +got):\n%s", diff)
	}
	wantObj, _ := json.MarshalIndent(want, "", "  ")
	rw := rowWriter{}
	rw.tags(in.Tags, 0)
	if string(rw.buf) != string(wantObj) {
		t.Errorf("row writer tags = %s, want %s", rw.buf, wantObj)
	}
	row := newHTMLRow(printableInstance(in), time.Time{})
	if diff := cmp.Diff([]string{"Reaper-Protect=yes", "empty=", "owner=<a&b>", "reaper-protect=false"}, row.Tags); diff != "" {
		t.Errorf("HTML row tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Tags{{"reaper-protect", "false"}, {"owner", "<a&b>"}, {"reaper-protect", "true"}, {"Reaper-Protect", "yes"},
		{"empty", ""}, {"empty", "x"}}, in.Tags); diff != "" {
		t.Errorf("writing changed the row's list (-want +got):\n%s", diff)
	}
}

// TestPrintableTagsKeepOneValuePerKey: keys that differ only in what the HTML cannot show become
// one key there, with one value, whichever map order the row had.
func TestPrintableTagsKeepOneValuePerKey(t *testing.T) {
	in := Instance{Tags: Tags{{"k\x01", "second"}, {"k\x02", "third"}, {"k\t", "tab"}}}
	got := printableInstance(in).Tags
	if diff := cmp.Diff(Tags{{"k ", "tab"}, {"k\ufffd", "second"}}, got); diff != "" {
		t.Errorf("printable tags (-want +got):\n%s", diff)
	}
}

// TestTagsJSONIsTheMapsJSON: a row's tags are written and read back exactly as the
// map[string]string reports held before (issue 14): the first value of each key, keys sorted,
// with every escape encoding/json makes, through json.Marshal (HTML-safe), an encoder without
// HTML escaping, MarshalIndent, and report.json's own row writer; and an older report's object
// (a key given twice keeps its last value, as a map did) reads back to the same map.
func TestTagsJSONIsTheMapsJSON(t *testing.T) {
	alphabet := []string{"a", "B", "<", ">", "&", "\"", "\\", "\u2028", "\u2029", "\x00", "\x1f", "\x7f", "é", "\xff", " ", "=", "-", "", "reaper-"}
	rng := rand.New(rand.NewPCG(14, 14))
	str := func() string {
		var b strings.Builder
		for range rng.IntN(4) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	cases := []Tags{nil, {}, {{"", ""}}, {{"owner", "ci"}, {"env", "prod"}}, {{"b", "1"}, {"a", "2"}, {"b", "3"}}}
	for range 500 {
		var pairs Tags
		for range rng.IntN(6) {
			pairs = append(pairs, Tag{Key: str(), Value: str()}) // short strings: keys repeat
		}
		cases = append(cases, pairs)
	}
	type mapRow struct {
		Tags map[string]string `json:"tags"`
	}
	type tagsRow struct {
		Tags Tags `json:"tags"`
	}
	encode := func(v any, html bool) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for i, tags := range cases {
		want := map[string]string{} // reports wrote {} for none
		for _, p := range tags {
			if _, seen := want[p.Key]; !seen {
				want[p.Key] = p.Value
			}
		}
		for _, html := range []bool{true, false} {
			if got, w := encode(tagsRow{tags}, html), encode(mapRow{want}, html); got != w {
				t.Fatalf("case %d, escape HTML %v: got %q, want %q", i, html, got, w)
			}
		}
		got, err := json.MarshalIndent(tagsRow{tags}, "    ", "  ")
		if err != nil {
			t.Fatal(err)
		}
		w, _ := json.MarshalIndent(mapRow{want}, "    ", "  ")
		if string(got) != string(w) {
			t.Fatalf("case %d, indented: got %s, want %s", i, got, w)
		}
		rw := rowWriter{prefix: "    "}
		rw.tags(tags, 0)
		wantRow, _ := json.MarshalIndent(want, "    ", "  ")
		if string(rw.buf) != string(wantRow) {
			t.Fatalf("case %d, row writer: got %s, want %s", i, rw.buf, wantRow)
		}
		var back tagsRow
		if err := json.Unmarshal(w, &back); err != nil {
			t.Fatal(err)
		}
		var backMap mapRow
		_ = json.Unmarshal(w, &backMap)
		if diff := cmp.Diff(tagsOf(backMap.Tags).First(nil), back.Tags); diff != "" {
			t.Fatalf("case %d, read back (-map +tags):\n%s", i, diff)
		}
		again, _ := json.MarshalIndent(back, "    ", "  ")
		if wantAgain, _ := json.MarshalIndent(backMap, "    ", "  "); string(again) != string(wantAgain) {
			t.Fatalf("case %d, written again: got %s, want %s", i, again, wantAgain)
		}
	}
	var old tagsRow
	if err := json.Unmarshal([]byte(`{"tags":{"b":"1","a":"2","b":"3"}}`), &old); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Tags{{"a", "2"}, {"b", "3"}}, old.Tags); diff != "" {
		t.Errorf("older object with a repeated key (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`{"tags":{"a":1}}`, `{"tags":["a"]}`, `{"tags":"a"}`} {
		var r tagsRow
		var m mapRow
		if errT, errM := json.Unmarshal([]byte(bad), &r), json.Unmarshal([]byte(bad), &m); (errT == nil) != (errM == nil) {
			t.Errorf("%s: tags error %v, map error %v", bad, errT, errM)
		}
	}
}
