package reconcile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/reaper-bmc/reaper/internal/zen"
)

// withTagList gives an instance exactly these pairs, in this order, as the API lists them.
func withTagList(pairs ...string) func(*zen.Instance) {
	return func(in *zen.Instance) {
		in.TagList = nil
		for i := 0; i+1 < len(pairs); i += 2 {
			in.TagList = append(in.TagList, zen.Tag{Key: pairs[i], Value: pairs[i+1]})
		}
	}
}

// TestProtectTagsMatchEveryPairLoosely covers issue 11 items 3 and 5: any value of a repeated
// key protects, and keys and values match trimmed and case-insensitively (booleans as true,
// yes or 1).
func TestProtectTagsMatchEveryPairLoosely(t *testing.T) {
	p := Protection{Tags: map[string]string{"reaper-protect": "true", "tier": "Prod DB"}}
	tests := []struct {
		name string
		in   zen.Instance
		want string // "" when not protected
	}{
		{"repeated key, protecting value first", inst("a", withTagList("reaper-protect", "true", "reaper-protect", "false")), "protect.tags: reaper-protect=true"},
		{"repeated key, protecting value last", inst("a", withTagList("reaper-protect", "false", "reaper-protect", "true")), "protect.tags: reaper-protect=true"},
		{"key case", inst("a", withTagList("Reaper-Protect", "true")), "protect.tags: reaper-protect=true"},
		{"value case", inst("a", withTagList("reaper-protect", "True")), "protect.tags: reaper-protect=True"},
		{"value spaces", inst("a", withTagList("reaper-protect", " true")), `protect.tags: reaper-protect=" true"`},
		{"key spaces", inst("a", withTagList(" reaper-protect ", "TRUE")), "protect.tags: reaper-protect=TRUE"},
		{"yes", inst("a", withTagList("reaper-protect", "yes")), "protect.tags: reaper-protect=yes"},
		{"one", inst("a", withTagList("reaper-protect", "1")), "protect.tags: reaper-protect=1"},
		{"false", inst("a", withTagList("reaper-protect", "false")), ""},
		{"no", inst("a", withTagList("reaper-protect", "no")), ""},
		{"other key", inst("a", withTagList("reaper-protected", "true")), ""},
		{"non-boolean value, case and spaces", inst("a", withTagList("TIER", " prod db ")), `protect.tags: tier=" prod db "`},
		{"non-boolean value differs", inst("a", withTagList("tier", "prod")), ""},
		{"map only (no list)", inst("a", withTag("Reaper-Protect", "YES")), "protect.tags: reaper-protect=YES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := p.match(tt.in)
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("match = (%q, %v), want %q", got, ok, tt.want)
			}
		})
	}
}

func TestTagWarnings(t *testing.T) {
	p := Protection{Tags: map[string]string{"reaper-protect": "true"}}
	tests := []struct {
		name string
		in   zen.Instance
		want []string
	}{
		{"plain", inst("a", withTagList("owner", "ci")), nil},
		{"repeated key", inst("a", withTagList("reaper-protect", "true", "owner", "ci", "reaper-protect", "false")), []string{
			`tag key "reaper-protect" repeats (values "true", "false"): input.instance.tags holds the first; protection and exemptions consider every value`,
		}},
		{"near miss", inst("a", withTagList("Reaper-Protect", "ture")), []string{
			`tag Reaper-Protect="ture" does not match safety.protect.tags reaper-protect="true" (booleans: true, yes or 1); the instance is not protected by it`,
		}},
		{"deliberate false is quiet", inst("a", withTagList("reaper-protect", "false")), nil},
		{"protected, so no near miss", inst("a", withTagList("reaper-protect", "maybe", "reaper-protect", "yes")), []string{
			`tag key "reaper-protect" repeats (values "maybe", "yes"): input.instance.tags holds the first; protection and exemptions consider every value`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, p.tagWarnings(tt.in)); diff != "" {
				t.Errorf("warnings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
