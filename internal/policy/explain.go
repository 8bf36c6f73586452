package policy

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/reaper-bmc/reaper/internal/safego"
)

// Explain evaluates one instance as Evaluate does and writes the evaluation trace to w (OPA's
// pretty trace, with file:line of every step). The instance's own evaluation error is in
// Decision.Err, as with Evaluate; the error return is for params, w and a stopped evaluation
// (a *LimitError, as with Evaluate).
func (e *Engine) Explain(ctx context.Context, now time.Time, params map[string]any, in Instance, w io.Writer) (Decision, error) {
	set := e.set
	sh, err := newShared(now, set, params)
	if err != nil {
		return Decision{}, err
	}
	if err := ctx.Err(); err != nil {
		return Decision{}, &LimitError{Cause: context.Cause(ctx)}
	}
	ctx, unwatch := watchMemory(ctx, e.memoryLimit())
	defer unwatch()
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
	var d Decision
	if err := safego.Call("policy evaluation of instance "+in.ID, func() { d = wk.evaluate(ctx, &in) }); err != nil {
		return Decision{}, fmt.Errorf("explain policies: %w", err)
	}
	if cause := stopCause(ctx); cause != nil {
		return Decision{}, &LimitError{Policy: tracedPolicy(*tracer, set.packages), InstanceID: in.ID, Cause: cause}
	}
	fmt.Fprintf(w, "policies %s (digest %s)\n", strings.Join(set.packages, ", "), set.digest)
	topdown.PrettyTraceWithLocation(w, *tracer)
	if _, err := fmt.Fprintf(w, "decision for instance %s: %s\n", in.ID, summary(d)); err != nil {
		return d, fmt.Errorf("write trace: %w", err)
	}
	return d, nil
}

// tracedPolicy returns the policy of the last rule a trace entered that belongs to a policy
// (not a helper package), or "".
func tracedPolicy(events []*topdown.Event, policies []string) string {
	for i := len(events) - 1; i >= 0; i-- {
		r, ok := events[i].Node.(*ast.Rule)
		if !ok || events[i].Op != topdown.EnterOp || r.Module == nil {
			continue
		}
		if p := packageName(r.Module.Package.Path); slices.Contains(policies, p) {
			return p
		}
	}
	return ""
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
