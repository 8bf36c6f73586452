package record

import "testing"

// TestApplyCommand: the command the reports print is runnable as printed: paths that a POSIX shell
// would split or expand are quoted.
func TestApplyCommand(t *testing.T) {
	for _, c := range []struct{ plan, config, want string }{
		{"/r/1/plan.json", "/etc/reaper/config.yaml", "reaper apply /r/1/plan.json --config /etc/reaper/config.yaml"},
		{"/r/my plans/plan.json", "", "reaper apply '/r/my plans/plan.json'"},
		{"/r/it's/plan.json", "/c $HOME.yaml", `reaper apply '/r/it'\''s/plan.json' --config '/c $HOME.yaml'`},
	} {
		if got := ApplyCommand(c.plan, c.config); got != c.want {
			t.Errorf("ApplyCommand(%q, %q) = %s, want %s", c.plan, c.config, got, c.want)
		}
	}
}
