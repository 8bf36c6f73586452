package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestProtectInstanceIDsAreDigits is issue 11 item 5: an instance ID that is not a string of
// digits (a YAML float or hex number, a typo) can never match, so it is refused, naming the key
// and the value.
func TestProtectInstanceIDsAreDigits(t *testing.T) {
	want := []string{
		`safety.protect.instance_ids[2]: must be an instance ID (digits only, as in "932237369560662463"), got "9.3223736956066e+17"; quote IDs in YAML so they stay exact`,
		`safety.protect.instance_ids[3]: must be an instance ID (digits only, as in "932237369560662463"), got "0x1F"; quote IDs in YAML so they stay exact`,
		`safety.protect.instance_ids[4]: must be an instance ID (digits only, as in "932237369560662463"), got " 932237369560662465"; quote IDs in YAML so they stay exact`,
		`safety.protect.instance_ids[5]: must be an instance ID (digits only, as in "932237369560662463"), got "i-932237369560662466"; quote IDs in YAML so they stay exact`,
		`safety.protect.instance_ids[6]: must be an instance ID (digits only, as in "932237369560662463"), got "1_000"; quote IDs in YAML so they stay exact`,
		`safety.protect.instance_ids[7]: must not be empty`,
	}
	got := parseErr(t, string(readFixture(t, "errors/protect.yaml")), nil, t.TempDir())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
}

// TestProtectTagsWarnWithoutTheDefault: dropping reaper-protect: "true" from safety.protect.tags
// silently unprotects every instance its owner tagged so; validate says so.
func TestProtectTagsWarnWithoutTheDefault(t *testing.T) {
	const warning = `safety.protect.tags: does not hold the default reaper-protect: "true", so instances tagged reaper-protect=true are not protected by it; add it back unless that is intended`
	tests := []struct {
		name, text string
		want       []string
	}{
		{"default", "", nil},
		{"kept beside others", `safety: { protect: { tags: { reaper-protect: "true", owner: sre } } }`, nil},
		{"kept, other spelling", `safety: { protect: { tags: { Reaper-Protect: "YES" } } }`, nil},
		{"kept as a YAML boolean", `safety: { protect: { tags: { reaper-protect: true } } }`, nil},
		{"replaced", `safety: { protect: { tags: { owner: sre } } }`, []string{warning}},
		{"cleared", `safety: { protect: { tags: {} } }`, []string{warning}},
		{"other value", `safety: { protect: { tags: { reaper-protect: "always" } } }`, []string{warning}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.text, nil, "")
			if diff := cmp.Diff(tt.want, c.Warnings); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
