package metrics

import "testing"

func TestBuildInfo(t *testing.T) {
	m := New()
	b := BuildInfo{Version: "1.2.3", Commit: "abc123", GoVersion: "go1.26.0", OPAVersion: "1.4.0"}
	if err := m.SetBuildInfo(b); err != nil {
		t.Fatalf("SetBuildInfo: %v", err)
	}
	want := `reaper_build_info{commit="abc123",go_version="go1.26.0",opa_version="1.4.0",version="1.2.3"} 1`
	if body := scrape(t, m); !hasLine(body, want) {
		t.Fatalf("/metrics lacks %q:\n%s", want, body)
	}
	if err := m.SetBuildInfo(b); err == nil {
		t.Error("second SetBuildInfo: nil error, want one")
	}
}
