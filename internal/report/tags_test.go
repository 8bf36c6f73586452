package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tagsOf is m as a report row holds it.
func tagsOf(m map[string]string) Tags {
	var pairs Tags
	for k, v := range m {
		pairs = append(pairs, Tag{Key: k, Value: v})
	}
	return FirstTags(pairs)
}

func TestFirstTags(t *testing.T) {
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
		{"mark tags are tags", Tags{{"reaper-terminate-after", "2026-01-01T00:00:00Z"}, {"reaper-reason", "expiry"}},
			Tags{{"reaper-reason", "expiry"}, {"reaper-terminate-after", "2026-01-01T00:00:00Z"}}},
		{"byte order, not map-unfriendly order", Tags{{"a=", "1"}, {"a", "2"}, {"a-b", "3"}}, Tags{{"a", "2"}, {"a-b", "3"}, {"a=", "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FirstTags(tt.pairs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FirstTags mismatch (-want +got):\n%s", diff)
			}
			for _, p := range got {
				if v, ok := got.Value(p.Key); !ok || v != p.Value {
					t.Errorf("Value(%q) = %q, %v; want %q, true", p.Key, v, ok, p.Value)
				}
			}
			if v, ok := got.Value("missing"); ok || v != "" {
				t.Errorf("Value(missing) = %q, %v", v, ok)
			}
		})
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
	cases := []map[string]string{nil, {}, {"": ""}, {"owner": "ci", "env": "prod"}}
	for range 500 {
		m := map[string]string{}
		for range rng.IntN(6) {
			m[str()] = str()
		}
		cases = append(cases, m)
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
	for i, m := range cases {
		want := m
		if want == nil {
			want = map[string]string{} // reports wrote {} for none
		}
		tags := tagsOf(m)
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
		if diff := cmp.Diff(tagsOf(backMap.Tags), back.Tags); diff != "" {
			t.Fatalf("case %d, read back (-map +tags):\n%s", i, diff)
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
