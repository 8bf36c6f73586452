package policy

import (
	"context"
	"os"
	"testing"

	"github.com/reaper-bmc/reaper/policies"
)

func TestZZRT(t *testing.T) {
	s, err := RunTests(context.Background(), nil, policies.FS, TestOptions{Verbose: os.Getenv("V") != ""}, os.Stdout)
	t.Logf("%+v %v", s, err)
}
