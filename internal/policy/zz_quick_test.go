package policy

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/reaper-bmc/reaper/policies"
)

func TestZZQuick(t *testing.T) {
	e, _ := Load(context.Background(), Options{FS: policies.FS})
	set := e.set.Load()
	sh, _ := newShared(benchNow, set, nil)
	fleet := syntheticFleet(40)
	w, _ := set.newWorker(context.Background(), slog.New(slog.DiscardHandler), sh, topdown.NewCancel())
	w.folded = set.fold(context.Background(), slog.New(slog.DiscardHandler), sh, topdown.NewCancel())
	t.Log(len(set.fields), set.fields[0].name)
	for _, i := range []int{6, 7, 0} {
		buf := topdown.NewBufferTracer()
		w.tracer = buf
		w.evaluate(context.Background(), &fleet[i])
		var out bytes.Buffer
		topdown.PrettyTraceWithLocation(&out, *buf)
		os.WriteFile("/tmp/trace"+string(rune('0'+i))+".txt", out.Bytes(), 0o644)
	}
}
