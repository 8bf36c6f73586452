package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

// TestPricingForms reads the pricing section in its new form, its old form (type -> price, kept
// working as overrides) and the defaults.
func TestPricingForms(t *testing.T) {
	def := Pricing{Currency: "USD", Bills: true, Refresh: Duration(24 * time.Hour), Overrides: map[string]Override{}}
	tests := []struct {
		name, yaml string
		want       Pricing
	}{
		{"absent", ``, def},
		{"empty old form", "pricing: {}\n", Pricing{Currency: "USD", Bills: true, Refresh: Duration(24 * time.Hour),
			Legacy: true, Overrides: map[string]Override{}}},
		{"old form", "pricing:\n  S9I: 250\n  M6C: 99.5\n", Pricing{Currency: "USD", Bills: true,
			Refresh: Duration(24 * time.Hour), Legacy: true,
			Overrides: map[string]Override{"S9I": {All: ptr(250.0)}, "M6C": {All: ptr(99.5)}}}},
		{"old form by zone", "pricing:\n  S9I: {SEL-A: 250}\n", Pricing{Currency: "USD", Bills: true,
			Refresh: Duration(24 * time.Hour), Legacy: true,
			Overrides: map[string]Override{"S9I": {Zones: map[string]float64{"SEL-A": 250}}}}},
		{"new form", `pricing:
  currency: EUR
  bills: false
  refresh: 6h
  overrides:
    S9I: 250
    M6C: {SEL-A: 99.5, FRA-B: 120}
`, Pricing{Currency: "EUR", Bills: false, Refresh: Duration(6 * time.Hour), Overrides: map[string]Override{
			"S9I": {All: ptr(250.0)}, "M6C": {Zones: map[string]float64{"SEL-A": 99.5, "FRA-B": 120}}}}},
		{"new form, defaults kept", "pricing:\n  bills: false\n", Pricing{Currency: "USD", Refresh: Duration(24 * time.Hour), Overrides: map[string]Override{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.yaml, nil, "")
			if diff := cmp.Diff(tt.want, got.Pricing); diff != "" {
				t.Errorf("pricing mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPricingMonthly(t *testing.T) {
	p := mustParse(t, "pricing:\n  overrides:\n    S9I: 250\n    M6C: {SEL-A: 99.5}\n", nil, "").Pricing
	tests := []struct {
		typ, zone string
		want      float64
		ok        bool
	}{
		{"S9I", "ANY", 250, true},
		{"M6C", "SEL-A", 99.5, true},
		{"M6C", "FRA-B", 0, false},
		{"L12G", "SEL-A", 0, false},
	}
	for _, tt := range tests {
		got, ok := p.Monthly(tt.typ, tt.zone)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Monthly(%q, %q) = %v, %v; want %v, %v", tt.typ, tt.zone, got, ok, tt.want, tt.ok)
		}
	}
	if diff := cmp.Diff(map[string]float64{"S9I": 250}, p.TypePrices()); diff != "" {
		t.Errorf("TypePrices (-want +got):\n%s", diff)
	}
}

// TestPricingErrorFixture asserts the exact messages for the new form.
func TestPricingErrorFixture(t *testing.T) {
	got := parseErr(t, string(readFixture(t, "errors/pricing.yaml")), nil, t.TempDir())
	want := []string{
		`pricing.bill: line 3: unknown key; did you mean "bills"?`,
		`pricing.overrides.S9I: line 6: must be a number, got "cheap"`,
		`pricing.overrides.M6C.FRA-B: line 10: must be a number, got a list`,
		`pricing.currency: must be three capital letters (an ISO 4217 code such as USD), got "usd"`,
		`pricing.refresh: must be > 0, got 0s`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
	// Validation runs on a decoded overrides map only; check its messages on their own.
	got = parseErr(t, strings.Join([]string{"pricing:", "  overrides:", "    M6C: {SEL-A: -5, \"\": 10}",
		"    L12G: 2000000000", "    S5: {}", ""}, "\n"), nil, t.TempDir())
	want = []string{
		`pricing.overrides.L12G: must be at most 1000000000, got 2e+09`,
		`pricing.overrides.M6C[""]: zone must not be empty`,
		`pricing.overrides.M6C.SEL-A: must be a finite number >= 0, got -5`,
		`pricing.overrides.S5: must name at least one zone, or be a price`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
}
