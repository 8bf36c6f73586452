package zen

import (
	"context"
	"net/http"
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
