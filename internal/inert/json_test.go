package inert

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestJSONKeepsDataAndIsInert encodes hostile strings, writes them through JSON one byte at a time
// (splitting every rune), and checks the output decodes to the same data and holds no rune a
// terminal acts on.
func TestJSONKeepsDataAndIsInert(t *testing.T) {
	in := map[string]any{"name": "evil\x1b[2J\u202efdp\u009b\u200b\x7f\U000e0041ok", "n": 1, "list": []string{"\u2066x", "東京"}}
	raw, err := json.MarshalIndent(in, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := JSON(&b)
	for i := range raw {
		if _, err := w.Write(raw[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range b.String() {
		if r != '\n' && r != '\t' && unsafe(r) {
			t.Errorf("output holds %U raw: %q", r, b.String())
		}
	}
	var got, want any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b.String())
	}
	json.Unmarshal(raw, &want)
	gotJ, _ := json.Marshal(got)
	wantJ, _ := json.Marshal(want)
	if !bytes.Equal(gotJ, wantJ) {
		t.Errorf("data changed:\ngot  %s\nwant %s", gotJ, wantJ)
	}
}
