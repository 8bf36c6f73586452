package zen

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestTerminateInstance(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		ok(t, w, "TC1748D3E-452D-4F74-8485-7AA73718E453", nil)
	})
	c := newTestClient(t, f)
	id, err := c.TerminateInstance(context.Background(), "932237369560662463")
	if err != nil {
		t.Fatal(err)
	}
	if id != "TC1748D3E-452D-4F74-8485-7AA73718E453" {
		t.Errorf("request ID = %q, want the response's", id)
	}
	r := f.requests()[0]
	if r.Action != "TerminateInstance" || string(r.Body) != `{"instanceId":"932237369560662463"}` {
		t.Errorf("request %s %s, want TerminateInstance {\"instanceId\":\"932237369560662463\"}", r.Action, r.Body)
	}
	if _, err := c.TerminateInstance(context.Background(), ""); err == nil {
		t.Error("TerminateInstance(\"\") succeeded, want an error")
	}
	if n := f.count(); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestReleaseInstances(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) { ok(t, w, "T-rel", nil) })
	c := newTestClient(t, f)
	id, err := c.ReleaseInstances(context.Background(), []string{"1", "2"})
	if err != nil || id != "T-rel" {
		t.Fatalf("ReleaseInstances = %q, %v; want T-rel", id, err)
	}
	r := f.requests()[0]
	if r.Action != "ReleaseInstances" || string(r.Body) != `{"instanceIds":["1","2"]}` {
		t.Errorf("request %s %s, want ReleaseInstances {\"instanceIds\":[\"1\",\"2\"]}", r.Action, r.Body)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = strings.Repeat("9", i+1)
	}
	bad := map[string][]string{"none": nil, "101": many, "empty ID": {"1", ""}, "repeat": {"1", "1"}}
	for name, ids := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := c.ReleaseInstances(context.Background(), ids); err == nil {
				t.Errorf("ReleaseInstances(%s) succeeded, want an error", name)
			}
		})
	}
	if n := f.count(); n != 1 {
		t.Errorf("server saw %d requests, want 1 (invalid input never reaches it)", n)
	}
}
