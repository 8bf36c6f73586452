package zen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// describeFleet serves DescribeInstances by instanceIds from known. When strict404 is set, a
// batch holding any unknown ID is refused as a whole with 404 INVALID_INSTANCE_NOT_FOUND;
// otherwise unknown IDs are left out (totalCount counts what is returned).
func describeFleet(t *testing.T, known map[string]map[string]any, strict404 bool) func(http.ResponseWriter, *http.Request, apiRequest) {
	return func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		if intParam(req, "pageSize") < len(req.Params["instanceIds"].([]any)) {
			t.Errorf("pageSize %d is smaller than the batch", intParam(req, "pageSize"))
		}
		data := []map[string]any{}
		for _, id := range req.Params["instanceIds"].([]any) {
			inst, ok := known[id.(string)]
			if !ok && strict404 {
				apiErr(t, w, http.StatusNotFound, CodeInstanceNotFound, "T-404")
				return
			}
			if ok {
				data = append(data, inst)
			}
		}
		ok(t, w, fmt.Sprintf("T-%d", req.N), map[string]any{"totalCount": len(data), "dataSet": data})
	}
}

func knownFleet(ids ...string) map[string]map[string]any {
	m := make(map[string]map[string]any, len(ids))
	for _, id := range ids {
		m[id] = testInstance(id, "HKG-A", "rg-1")
	}
	return m
}

func TestDescribeInstancesBatching(t *testing.T) {
	var all []string
	for i := range 250 {
		all = append(all, fmt.Sprintf("i-%03d", i))
	}
	f := newFakeAPI(t, describeFleet(t, knownFleet(all...), false))
	c := newTestClient(t, f)
	asked := append(slices.Clone(all), all[3], all[200]) // repeats are dropped
	got, err := c.DescribeInstances(context.Background(), asked)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), all) {
		t.Errorf("described %d instances, want all 250 in request order", len(got))
	}
	var sizes []int
	for _, r := range f.requests() {
		sizes = append(sizes, len(r.Params["instanceIds"].([]any)))
		if r.Action != "DescribeInstances" || intParam(r, "pageSize") != 100 || intParam(r, "pageNum") != 1 {
			t.Errorf("request %s %v, want DescribeInstances pageNum 1 pageSize 100", r.Action, r.Params)
		}
	}
	if want := []int{100, 100, 50}; !slices.Equal(sizes, want) {
		t.Errorf("batch sizes %v, want %v", sizes, want)
	}
}

func TestDescribeInstancesAbsent(t *testing.T) {
	var asked []string
	for i := range 100 {
		asked = append(asked, fmt.Sprintf("i-%03d", i))
	}
	existing := []string{"i-007", "i-042", "i-099"}
	tests := []struct {
		name      string
		strict404 bool
		maxCalls  int
	}{
		{"totalCount 0 for unknown IDs", false, 1},
		{"404 for a batch with unknown IDs", true, 2*100 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, describeFleet(t, knownFleet(existing...), tt.strict404))
			c := newTestClient(t, f)
			got, err := c.DescribeInstances(context.Background(), asked)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), existing) {
				t.Errorf("described %v, want exactly the existing %v", ids(got), existing)
			}
			if n := f.count(); n > tt.maxCalls {
				t.Errorf("server saw %d requests, want at most %d", n, tt.maxCalls)
			}
		})
	}
	t.Run("all unknown", func(t *testing.T) {
		f := newFakeAPI(t, describeFleet(t, knownFleet(), true))
		c := newTestClient(t, f)
		got, err := c.DescribeInstances(context.Background(), []string{"gone"})
		if err != nil || len(got) != 0 {
			t.Errorf("DescribeInstances = %v, %v; want nothing and no error", got, err)
		}
	})
}

func TestDescribeInstancesContradictions(t *testing.T) {
	tests := []struct {
		name     string
		resp     map[string]any
		wantKind IntegrityKind
	}{
		{"unexpected ID", map[string]any{"totalCount": 1, "dataSet": []any{testInstance("other", "", "")}}, IntegrityUnexpectedID},
		{"duplicate", map[string]any{"totalCount": 2, "dataSet": []any{testInstance("a", "", ""), testInstance("a", "", "")}}, IntegrityDuplicateID},
		{"empty ID", map[string]any{"totalCount": 1, "dataSet": []any{map[string]any{"instanceId": nil}}}, IntegrityEmptyID},
		{"totalCount above data", map[string]any{"totalCount": 2, "dataSet": []any{testInstance("a", "", "")}}, IntegrityCountMismatch},
		{"totalCount missing", map[string]any{"dataSet": []any{testInstance("a", "", "")}}, IntegrityCountMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) { ok(t, w, "T-c", tt.resp) })
			c := newTestClient(t, f)
			got, err := c.DescribeInstances(context.Background(), []string{"a", "b"})
			ie, ok := errors.AsType[*IntegrityError](err)
			if got != nil || !ok || ie.Kind != tt.wantKind {
				t.Errorf("DescribeInstances = %v, %v; want nil and a %s IntegrityError", got, err, tt.wantKind)
			}
		})
	}
}

func TestDescribeInstancesInputErrors(t *testing.T) {
	f := newFakeAPI(t, describeFleet(t, knownFleet(), false))
	c := newTestClient(t, f)
	if _, err := c.DescribeInstances(context.Background(), []string{"a", ""}); err == nil {
		t.Error("DescribeInstances with an empty ID succeeded, want an error")
	}
	got, err := c.DescribeInstances(context.Background(), nil)
	if err != nil || len(got) != 0 {
		t.Errorf("DescribeInstances(nil) = %v, %v; want nothing", got, err)
	}
	if n := f.count(); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestDescribeInstancesPropagatesOtherErrors(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		apiErr(t, w, http.StatusForbidden, CodeSignatureFailure, "T-auth")
	})
	c := newTestClient(t, f)
	got, err := c.DescribeInstances(context.Background(), []string{"a", "b"})
	if got != nil || !IsAuth(err) {
		t.Errorf("DescribeInstances = %v, %v; want an auth error", got, err)
	}
	if n := f.count(); n != 1 {
		t.Errorf("server saw %d requests, want 1 (no bisecting on other errors)", n)
	}
}
