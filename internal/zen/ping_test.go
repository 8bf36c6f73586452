package zen_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

func TestPing(t *testing.T) {
	sim := zensim.New(zensim.Options{Keys: map[string]string{"AKID": "secret"}, Seed: 1})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	for _, tt := range []struct {
		name   string
		secret string
		ok     bool
	}{{"good key", "secret", true}, {"wrong key", "wrong", false}} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := zen.New(zen.WithEndpoint(srv.URL), zen.WithAccessKey("AKID", tt.secret))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Ping(t.Context()); (err == nil) != tt.ok {
				t.Fatalf("Ping: %v, want ok=%v", err, tt.ok)
			}
		})
	}
	for _, c := range sim.Calls() {
		if c.Action != "DescribeInstances" || !strings.Contains(string(c.Body), `"pageSize":1}`) {
			t.Errorf("call %s %s, want DescribeInstances with pageSize 1", c.Action, c.Body)
		}
	}
}
