package policy

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/reaper-bmc/reaper/policies"
)

func TestZZQuick(t *testing.T) {
	e, err := Load(context.Background(), Options{Dir: os.Getenv("PD"), FS: policies.FS})
	if err != nil {
		t.Fatal(err)
	}
	fleet := syntheticFleet(40)
	var buf bytes.Buffer
	e.Explain(context.Background(), benchNow, nil, fleet[0], &buf)
	os.WriteFile("/tmp/trace0.txt", buf.Bytes(), 0o644)
	buf.Reset()
	e.Explain(context.Background(), benchNow, nil, fleet[6], &buf)
	os.WriteFile("/tmp/trace6.txt", buf.Bytes(), 0o644)
}
