package state

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestFiguresRoundTrip: any list of figures comes back exactly, and a quiet machine's largest
// figures take far less room than a JSON array.
func TestFiguresRoundTrip(t *testing.T) {
	for _, f := range []Figures{nil, {0}, {5, 5, 4, 0}, {1 << 62, 7, -1}, {math.MinInt64, math.MaxInt64, 0, math.MinInt64}, {1, 2, 3}} {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		var got Figures
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		if !slices.Equal(got, f) {
			t.Errorf("%v came back as %v (via %s)", f, got, b)
		}
	}
	quiet := make(Figures, 58)
	for i := range quiet {
		quiet[i] = int64(2_000_000 - i*1_000)
	}
	b, _ := json.Marshal(quiet)
	plain, _ := json.Marshal([]int64(quiet))
	if len(b)*2 > len(plain) {
		t.Errorf("encoded %d bytes, a JSON array %d: want at most half", len(b), len(plain))
	}
	var bad Figures
	for _, in := range []string{`"!!"`, `"gA"`, `[1,2]`} {
		if err := json.Unmarshal([]byte(in), &bad); err == nil || !strings.HasPrefix(err.Error(), "figures: ") {
			t.Errorf("decoding %s: error %v, want a figures error", in, err)
		}
	}
}
