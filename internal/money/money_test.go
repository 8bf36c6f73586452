package money

import (
	"encoding/json"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Micros
		wantErr bool
	}{
		{"83.260000", 83_260_000, false},
		{"12", 12_000_000, false},
		{"-1.5", -1_500_000, false},
		{"0.0000005", 1, false},
		{"0.0000004", 0, false},
		{".5", 500_000, false},
		{"1e3", 1_000_000_000, false},
		{"", 0, true},
		{"abc", 0, true},
		{"1.2.3", 0, true},
		{"999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Parse(%q) = %d, %v; want %d, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestSumHasNoDrift adds 0.1 ten thousand times: a float64 sum drifts, Micros does not.
func TestSumHasNoDrift(t *testing.T) {
	tenth, err := FromFloat(0.1)
	if err != nil {
		t.Fatal(err)
	}
	var m Micros
	for range 10_000 {
		m += tenth
	}
	if m != 1000*Unit || m.String() != "1000.000000" {
		t.Errorf("sum = %s, want 1000.000000", m)
	}
}

func TestMulDivAndText(t *testing.T) {
	hourly := Micros(1_320_000) // 1.32 per hour
	got, err := hourly.MulDiv(730, 1)
	if err != nil || got != 963_600_000 {
		t.Errorf("1.32 × 730 = %s, %v; want 963.600000", got, err)
	}
	daily, _ := Parse("10")
	got, _ = daily.MulDiv(3042, 100)
	if got.String() != "304.200000" {
		t.Errorf("10 × 30.42 = %s, want 304.200000", got)
	}
	third, _ := Micros(100*Unit).MulDiv(1, 3)
	if third.String() != "33.333333" || third.Decimal() != "33.33" {
		t.Errorf("100/3 = %s (%s)", third, third.Decimal())
	}
	if _, err := Micros(1<<62).MulDiv(730, 1); err == nil {
		t.Error("overflow not reported")
	}
	if s := Micros(-1_005_000).Decimal(); s != "-1.01" {
		t.Errorf("Decimal(-1.005) = %s, want -1.01", s)
	}
	b, _ := json.Marshal(struct{ A Micros }{83_260_000})
	if string(b) != `{"A":83.260000}` {
		t.Errorf("json = %s", b)
	}
	var back struct{ A Micros }
	if err := json.Unmarshal([]byte(`{"A":"83.26"}`), &back); err != nil || back.A != 83_260_000 {
		t.Errorf("unmarshal = %d, %v", back.A, err)
	}
}
