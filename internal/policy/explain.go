package policy

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/topdown"
)

// Explain evaluates one instance as Evaluate does and writes the evaluation trace to w (OPA's
// pretty trace, with file:line of every step). The instance's own evaluation error is in
// Decision.Err, as with Evaluate; the error return is for ctx, params and w.
func (e *Engine) Explain(ctx context.Context, now time.Time, params map[string]any, in Instance, w io.Writer) (Decision, error) {
	set := e.set.Load()
	sh, err := newShared(now, set, params)
	if err != nil {
		return Decision{}, err
	}
	if err := ctx.Err(); err != nil {
		return Decision{}, fmt.Errorf("explain policies: %w", err)
	}
	cancel := topdown.NewCancel()
	stop := context.AfterFunc(ctx, cancel.Cancel)
	defer stop()
	wk, err := set.newWorker(ctx, e.logger, sh, cancel)
	if err != nil {
		return Decision{}, fmt.Errorf("explain policies: %w", err)
	}
	defer wk.close(ctx)
	tracer := topdown.NewBufferTracer()
	wk.tracer = tracer
	wk.fields = instanceFields // the whole document, for a complete trace
	d := wk.evaluate(ctx, &in)
	if err := ctx.Err(); err != nil {
		return Decision{}, fmt.Errorf("explain policies: %w", err)
	}
	fmt.Fprintf(w, "policies %s (digest %s)\n", strings.Join(set.packages, ", "), set.digest)
	topdown.PrettyTraceWithLocation(w, *tracer)
	if _, err := fmt.Fprintf(w, "decision for instance %s: %s\n", in.ID, summary(d)); err != nil {
		return d, fmt.Errorf("write trace: %w", err)
	}
	return d, nil
}

// summary is one line about a decision, for the end of a trace.
func summary(d Decision) string {
	switch {
	case d.Err != nil:
		return "error: " + d.Err.Error()
	case d.Candidate():
		return fmt.Sprintf("terminate (%d reasons, %d warnings)", len(d.Terminate), len(d.Warn))
	case len(d.Exempt) > 0:
		return fmt.Sprintf("exempt (%d exemptions over %d terminate reasons, %d warnings)", len(d.Exempt), len(d.Terminate), len(d.Warn))
	default:
		return fmt.Sprintf("keep (%d warnings)", len(d.Warn))
	}
}
