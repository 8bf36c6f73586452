package state_test

import (
	"path/filepath"
	"testing"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/state/statetest"
)

// TestConformance runs the suite every state backend passes against the bbolt store.
func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) func(statetest.Options) (state.Backend, error) {
		dir := filepath.Join(t.TempDir(), "state")
		return func(o statetest.Options) (state.Backend, error) {
			opts := []state.Option{state.WithNode(o.Node)}
			if o.Now != nil {
				opts = append(opts, state.WithNow(o.Now))
			}
			return state.Open(dir, opts...)
		}
	})
}
