package reconcile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/zen"
)

var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// fakeAPI is a hand-written fake with function fields; unset fields serve from instances. A
// termination it accepts takes as the API documents (a POSTPAID instance goes to RECYCLE, a
// CREATE_FAILED one is deleted, a PREPAID one loses auto-renew) unless notTaken names the instance.
type fakeAPI struct {
	mu         sync.Mutex
	instances  []zen.Instance
	notTaken   map[string]bool
	list       func() ([]zen.Instance, error)
	describe   func(ids []string) ([]zen.Instance, error)
	terminate  func(id string) (string, error)
	terminated []string
	described  [][]string
}

func (f *fakeAPI) ListInstances(ctx context.Context, _ zen.Filter) ([]zen.Instance, error) {
	if f.list != nil {
		return f.list()
	}
	return slices.Clone(f.instances), nil
}

func (f *fakeAPI) DescribeInstances(ctx context.Context, ids []string) ([]zen.Instance, error) {
	f.mu.Lock()
	f.described = append(f.described, slices.Clone(ids))
	f.mu.Unlock()
	if f.describe != nil {
		return f.describe(ids)
	}
	var out []zen.Instance
	for _, in := range f.instances {
		if slices.Contains(ids, in.ID) {
			out = append(out, in)
		}
	}
	return out, nil
}

func (f *fakeAPI) TerminateInstance(ctx context.Context, id string) (string, error) {
	f.mu.Lock()
	f.terminated = append(f.terminated, id)
	f.mu.Unlock()
	reqID, err := "T-"+id, error(nil)
	if f.terminate != nil {
		reqID, err = f.terminate(id)
	}
	if err == nil {
		f.take(id)
	}
	return reqID, err
}

// take applies an accepted termination to the fake's instances.
func (f *fakeAPI) take(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.notTaken[id] {
		return
	}
	for i, in := range f.instances {
		if in.ID != id {
			continue
		}
		switch {
		case in.Status == zen.StatusCreateFailed:
			f.instances = slices.Delete(f.instances, i, i+1)
		case in.ChargeType == zen.ChargePrepaid:
			f.instances[i].AutoRenew = new(bool)
		default:
			f.instances[i].Status = zen.StatusRecycle
		}
		return
	}
}

func (f *fakeAPI) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.terminated)
}

// tagEvaluator terminates instances tagged doomed=yes and exempts those tagged keep=yes.
type tagEvaluator struct{ err error }

func (e tagEvaluator) Evaluate(ctx context.Context, now time.Time, params map[string]any, in []policy.Instance) ([]policy.Decision, error) {
	if e.err != nil {
		return nil, e.err
	}
	out := make([]policy.Decision, len(in))
	for i, x := range in {
		out[i].InstanceID = x.ID
		if tagValue(&x, "doomed") == "yes" {
			out[i].Terminate = []policy.Reason{{Policy: "reaper.test", Reason: "doomed"}}
		}
		if tagValue(&x, "keep") == "yes" {
			out[i].Exempt = []policy.Reason{{Policy: "reaper.keep", Reason: "keep"}}
		}
		if tagValue(&x, "broken") == "yes" {
			out[i].Err = errors.New("builtin error")
		}
	}
	return out, nil
}

// memStore is an in-memory Store; failOn makes the named method fail.
type memStore struct {
	mu       sync.Mutex
	marks    map[state.MarkKey]state.Mark
	refusals map[string]state.Refusal
	intents  []state.Intent
	// unconfirmed holds the backoff of accepted terminations that did not take.
	unconfirmed map[string]state.Unconfirmed
	runs        []state.Run
	failOn      string
	log         []string // method calls in order, for ordering assertions
}

func newMemStore() *memStore {
	return &memStore{marks: map[state.MarkKey]state.Mark{}, refusals: map[string]state.Refusal{}, unconfirmed: map[string]state.Unconfirmed{}}
}

func (s *memStore) fail(op string) error {
	s.log = append(s.log, op)
	if s.failOn == op {
		return fmt.Errorf("%s: disk full", op)
	}
	return nil
}

func (s *memStore) Marks() (map[state.MarkKey]state.Mark, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.marks), s.fail("Marks")
}

func (s *memStore) ReplaceMarks(m map[state.MarkKey]state.Mark) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("ReplaceMarks"); err != nil {
		return err
	}
	s.marks = maps.Clone(m)
	return nil
}

func (s *memStore) Refusals() (map[string]state.Refusal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.refusals), s.fail("Refusals")
}

func (s *memStore) PutRefusal(r state.Refusal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals[r.InstanceID] = r
	return s.fail("PutRefusal")
}

func (s *memStore) DeleteRefusal(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refusals, id)
	return s.fail("DeleteRefusal")
}

func (s *memStore) Unconfirmed() (map[string]state.Unconfirmed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.unconfirmed), s.fail("Unconfirmed")
}

func (s *memStore) PutUnconfirmed(u state.Unconfirmed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("PutUnconfirmed"); err != nil {
		return err
	}
	s.unconfirmed[u.InstanceID] = u
	return nil
}

func (s *memStore) DeleteUnconfirmed(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.unconfirmed, id)
	return s.fail("DeleteUnconfirmed")
}

func (s *memStore) PutIntent(in state.Intent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("PutIntent:" + in.InstanceID); err != nil {
		return err
	}
	s.intents = append(s.intents, in)
	return nil
}

func (s *memStore) CompleteIntent(runID, id string, o state.Outcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("CompleteIntent:" + id); err != nil {
		return err
	}
	for i := range s.intents {
		if s.intents[i].RunID == runID && s.intents[i].InstanceID == id {
			s.intents[i].Outcome = &o
			return nil
		}
	}
	return fmt.Errorf("no intent %s/%s", runID, id)
}

func (s *memStore) OpenIntents() ([]state.Intent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []state.Intent
	for _, in := range s.intents {
		if in.Outcome == nil {
			out = append(out, in)
		}
	}
	return out, s.fail("OpenIntents")
}

func (s *memStore) PutRun(r state.Run) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("PutRun"); err != nil {
		return 0, err
	}
	s.runs = append(s.runs, r)
	return uint64(len(s.runs)), nil
}

// LastRunTime is the latest time a run started or finished, as the state store keeps it.
func (s *memStore) LastRunTime() (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var last time.Time
	for _, r := range s.runs {
		for _, t := range []time.Time{r.StartedAt, r.FinishedAt} {
			if t.After(last) {
				last = t
			}
		}
	}
	return last, !last.IsZero(), s.fail("LastRunTime")
}

func (s *memStore) LastCompleteInventory() (int, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.runs) - 1; i >= 0; i-- {
		if s.runs[i].InventoryComplete {
			return s.runs[i].InventorySize, true, nil
		}
	}
	return 0, false, s.fail("LastCompleteInventory")
}

func (s *memStore) PruneTraffic(keep map[string]bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fail("PruneTraffic")
}

func (s *memStore) PruneIntents(before time.Time, keep int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return 0, s.fail("PruneIntents")
}

// harness wires a Reconciler over fakes with a settable clock.
type harness struct {
	api   *fakeAPI
	store *memStore
	now   time.Time
	rec   *Reconciler
	runs  int
}

func newHarness(t *testing.T, instances []zen.Instance, mutate func(*Settings)) *harness {
	t.Helper()
	h := &harness{api: &fakeAPI{instances: instances}, store: newMemStore(), now: t0}
	s := Settings{
		Mode: ModeEnforce, GracePeriod: 0, MaxTerminationsPerRun: 10, MaxTerminationsPercent: 100, MaxFleetDropPercent: 50,
		CommitmentRetryAfter: 168 * time.Hour, Protect: Protection{Tags: map[string]string{"reaper-protect": "true"}},
	}
	if mutate != nil {
		mutate(&s)
	}
	rec, err := New(Options{
		API: h.api, Evaluator: tagEvaluator{}, Store: h.store, Settings: s,
		Now: func() time.Time { return h.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.rec = rec
	return h
}

func (h *harness) cycle(t *testing.T, dryRun bool) *Result {
	t.Helper()
	h.runs++
	res, _ := h.rec.Run(context.Background(), Cycle{RunID: fmt.Sprintf("run-%d", h.runs), Command: "run", DryRun: dryRun})
	return res
}

func (r *Result) entry(t *testing.T, id string) Entry {
	t.Helper()
	for _, e := range r.Entries {
		if e.Instance.ID == id {
			return e
		}
	}
	t.Fatalf("no entry for %s", id)
	return Entry{}
}

func inst(id string, mods ...func(*zen.Instance)) zen.Instance {
	in := zen.Instance{ID: id, Name: "vm-" + id, Status: zen.StatusRunning, ChargeType: zen.ChargePostpaid,
		CreatedAt: t0.Add(-30 * 24 * time.Hour), TagList: zen.Tags{{Key: "doomed", Value: "yes"}}}
	for _, m := range mods {
		m(&in)
	}
	return in
}

func withStatus(s zen.Status) func(*zen.Instance) { return func(in *zen.Instance) { in.Status = s } }
func withTag(k, v string) func(*zen.Instance)     { return func(in *zen.Instance) { setTag(in, k, v) } }
func withCharge(c zen.ChargeType) func(*zen.Instance) {
	return func(in *zen.Instance) { in.ChargeType = c }
}

// setTag sets tag k to v on in as a map would: the first value of k changes, or the pair is added;
// the pairs end sorted by key, as an instance described by a map (zen.TagsFromMap).
func setTag(in *zen.Instance, k, v string) {
	m := in.TagList.First()
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	in.TagList = zen.TagsFromMap(m)
}

// deleteTag removes every pair of k from in.
func deleteTag(in *zen.Instance, k string) {
	in.TagList = slices.DeleteFunc(slices.Clone(in.TagList), func(t zen.Tag) bool { return t.Key == k })
}

func fleet(n int, mods ...func(*zen.Instance)) []zen.Instance {
	out := make([]zen.Instance, n)
	for i := range out {
		out[i] = inst(fmt.Sprintf("%03d", i), mods...)
	}
	return out
}

// tagValue is what input.instance.tags gives key for a document: the map's value when the
// document has the map, else the first value of key in the list, as the engine derives the map
// (a cycle's documents carry only the list, cycleInput); "" when absent.
func tagValue(in *policy.Instance, key string) string {
	if len(in.Tags) > 0 {
		return in.Tags[key]
	}
	for _, t := range in.TagList {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}
