package policy

import (
	"log/slog"
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/reaper-bmc/reaper/policies"
)

func benchOne(b *testing.B, set *policySet, in *Instance) {
	sh, _ := newShared(benchNow, set, nil)
	w, _ := set.newWorker(context.Background(), slog.New(slog.DiscardHandler), sh, topdown.NewCancel())
	w.folded = set.fold(context.Background(), slog.New(slog.DiscardHandler), sh, topdown.NewCancel())
	for _, f := range set.folds {
		v, u, ok := w.folded.get(f.ref)
		_, _, _ = v, u, ok
	}
	b.ReportAllocs()
	for b.Loop() {
		d := w.evaluate(context.Background(), in)
		if d.Err != nil {
			b.Fatal(d.Err)
		}
	}
}

func BenchmarkZZOne(b *testing.B) {
	fleet := syntheticFleet(40)
	e, err := Load(context.Background(), Options{FS: policies.FS})
	if err != nil {
		b.Fatal(err)
	}
	set := e.set.Load()
	b.Run("full-plain", func(b *testing.B) { benchOne(b, set, &fleet[6]) })
	b.Run("full-expires", func(b *testing.B) { benchOne(b, set, &fleet[0]) })
	e2, err := Load(context.Background(), Options{Dir: "/tmp/folded"})
	if err != nil {
		b.Fatal(err)
	}
	folded := e2.set.Load()
	b.Run("folded-plain", func(b *testing.B) { benchOne(b, folded, &fleet[6]) })
	b.Run("folded-expires", func(b *testing.B) { benchOne(b, folded, &fleet[0]) })
}
