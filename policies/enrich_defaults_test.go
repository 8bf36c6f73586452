package policies

import (
	"testing"

	"github.com/reaper-bmc/reaper/internal/enrich"
)

// TestEnricherDefaultsAreTheBundledParams: the enricher's fallbacks for idle.min_age,
// idle.window and idle.refresh (used only when the params a cycle runs with lack them, as with
// a policy directory without params.json) are the bundled defaults, so that the traffic fetched
// and the window the idle policy reads agree whichever side supplies the value.
func TestEnricherDefaultsAreTheBundledParams(t *testing.T) {
	bundled, err := enrich.ParseParams(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	fallback, err := enrich.ParseParams(nil)
	if err != nil {
		t.Fatal(err)
	}
	if bundled != fallback {
		t.Errorf("enrich fallbacks %+v, bundled params.json %+v", fallback, bundled)
	}
}
