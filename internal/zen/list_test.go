package zen

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func ids(list []Instance) []string {
	out := make([]string, len(list))
	for i, inst := range list {
		out[i] = inst.ID
	}
	return out
}

func wireIDs(list []map[string]any) []string {
	out := make([]string, len(list))
	for i, m := range list {
		out[i] = m["instanceId"].(string)
	}
	return out
}

func TestListInstancesPagination(t *testing.T) {
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprintf("concurrency %d", conc), func(t *testing.T) {
			all := fleet(2500, "HKG-A", "")
			f := newFakeAPI(t, pagedFleet(t, map[string][]map[string]any{"HKG-A/": all}, nil))
			c := newTestClient(t, f, WithPageConcurrency(conc))
			got, err := c.ListInstances(context.Background(), Filter{Zones: []string{"HKG-A"}})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), wireIDs(all)) {
				t.Errorf("listed %d instances, want the fleet's 2500 in page order", len(got))
			}
			var pages []int
			for _, r := range f.requests() {
				if intParam(r, "pageSize") != 1000 || strParam(r, "zoneId") != "HKG-A" {
					t.Errorf("request params %v, want pageSize 1000 and zoneId HKG-A", r.Params)
				}
				pages = append(pages, intParam(r, "pageNum"))
			}
			slices.Sort(pages)
			if want := []int{1, 2, 3}; !slices.Equal(pages, want) {
				t.Errorf("pages requested %v, want %v", pages, want)
			}
		})
	}
}

func TestListInstancesEmpty(t *testing.T) {
	f := newFakeAPI(t, pagedFleet(t, map[string][]map[string]any{}, nil))
	c := newTestClient(t, f)
	got, err := c.ListInstances(context.Background(), Filter{})
	if err != nil || len(got) != 0 {
		t.Fatalf("ListInstances = %d instances, %v; want 0, nil", len(got), err)
	}
	if n := f.count(); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

// TestListInstancesConcurrentPages proves that pages after the first are in flight together, and
// never more of them than the configured concurrency: the first round of pages (2-4) is held until
// all three have arrived, which cannot happen unless they are fetched concurrently.
func TestListInstancesConcurrentPages(t *testing.T) {
	const conc = 3
	all := make([]map[string]any, 9500) // 10 pages: 1 alone, then 9 by 3 workers; minimal instances
	for i := range all {
		all[i] = map[string]any{"instanceId": fmt.Sprintf("i-%05d", i)}
	}
	serve := pagedFleet(t, map[string][]map[string]any{"/": all}, nil)
	var (
		mu       sync.Mutex
		inFlight int
		arrived  int
		maxSeen  int
		cond     = sync.NewCond(&mu)
	)
	// Wake waiters regularly so that a missing peer ends in a test failure, not a hang.
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				cond.Broadcast()
			}
		}
	}()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		if num := intParam(req, "pageNum"); num > 1 {
			mu.Lock()
			inFlight++
			maxSeen = max(maxSeen, inFlight)
			if num <= 1+conc {
				arrived++ // pages 2-4: the first round, which must be in flight together
			}
			cond.Broadcast()
			deadline := time.Now().Add(30 * time.Second)
			for num <= 1+conc && arrived < conc && time.Now().Before(deadline) {
				cond.Wait()
			}
			if num <= 1+conc && arrived < conc {
				t.Errorf("page %d: only %d first-round pages arrived, want %d", num, arrived, conc)
			}
			mu.Unlock()
			defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		}
		serve(w, r, req)
	})
	c := newTestClient(t, f, WithPageConcurrency(conc))
	got, err := c.ListInstances(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), wireIDs(all)) {
		t.Errorf("listed %d instances, want the fleet's %d in page order", len(got), len(all))
	}
	if maxSeen != conc {
		t.Errorf("at most %d pages were in flight, want exactly %d", maxSeen, conc)
	}
}

func TestListInstancesCombinations(t *testing.T) {
	fleets := map[string][]map[string]any{
		"HKG-A/rg-1": fleet(1200, "HKG-A", "rg-1"),
		"HKG-A/rg-2": fleet(3, "HKG-A", "rg-2"),
		"SEL-A/rg-1": fleet(0, "SEL-A", "rg-1"),
		"SEL-A/rg-2": fleet(1001, "SEL-A", "rg-2"),
	}
	f := newFakeAPI(t, pagedFleet(t, fleets, nil))
	c := newTestClient(t, f)
	filter := Filter{Zones: []string{"HKG-A", "SEL-A", "HKG-A"}, ResourceGroups: []string{"rg-1", "rg-2"},
		Status: StatusRunning, TagKeys: []string{"owner"}, Tags: map[string]string{"team": "ci", "env": "dev"}}
	got, err := c.ListInstances(context.Background(), filter)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, k := range []string{"HKG-A/rg-1", "HKG-A/rg-2", "SEL-A/rg-1", "SEL-A/rg-2"} {
		want = append(want, wireIDs(fleets[k])...)
	}
	if !slices.Equal(ids(got), want) {
		t.Errorf("listed %d instances, want %d in zone, group, page order", len(got), len(want))
	}
	// 2 + 1 + 1 + 2 pages; the repeated zone is listed once.
	if n := f.count(); n != 6 {
		t.Errorf("server saw %d requests, want 6", n)
	}
	r := f.requests()[0]
	if got := fmt.Sprintf("%v %v %v", r.Params["instanceStatus"], r.Params["tagKeys"], r.Params["tags"]); got != "RUNNING [owner] [map[key:env value:dev] map[key:team value:ci]]" {
		t.Errorf("filter params = %s", got)
	}
}

// TestListInstancesIntegrity: every way an inventory can be wrong fails the whole listing.
func TestListInstancesIntegrity(t *testing.T) {
	type mutation func(req apiRequest, resp map[string]any)
	page := func(req apiRequest) int { return intParam(req, "pageNum") }
	dataSet := func(resp map[string]any) []map[string]any { return resp["dataSet"].([]map[string]any) }
	// withData replaces the page's instances (on a copy, so the fleet is unchanged).
	withData := func(resp map[string]any, edit func([]map[string]any) []map[string]any) {
		data := slices.Clone(dataSet(resp))
		resp["dataSet"] = edit(data)
	}
	cloned := func(m map[string]any, k string, v any) map[string]any {
		c := make(map[string]any, len(m))
		for key, val := range m {
			c[key] = val
		}
		c[k] = v
		return c
	}
	tests := []struct {
		name     string
		filter   Filter
		mutate   mutation
		handle   func(t *testing.T, w http.ResponseWriter, req apiRequest) bool // true: answered
		wantKind IntegrityKind
		wantPage int
		check    func(t *testing.T, err error, f *fakeAPI)
	}{
		{
			name: "page fails after retries",
			handle: func(t *testing.T, w http.ResponseWriter, req apiRequest) bool {
				if page(req) == 2 {
					apiErr(t, w, http.StatusInternalServerError, CodeInternalServerError, "T-500")
					return true
				}
				return false
			},
			wantKind: IntegrityPageFailed, wantPage: 2,
			check: func(t *testing.T, err error, f *fakeAPI) {
				n := 0
				for _, r := range f.requests() {
					if page(r) == 2 {
						n++
					}
				}
				if n != 4 {
					t.Errorf("page 2 was tried %d times, want 4", n)
				}
				if RequestID(err) != "T-500" {
					t.Errorf("RequestID = %q, want T-500 through the IntegrityError", RequestID(err))
				}
			},
		},
		{
			name: "page refused",
			handle: func(t *testing.T, w http.ResponseWriter, req apiRequest) bool {
				if page(req) == 3 {
					apiErr(t, w, http.StatusForbidden, CodeSignatureFailure, "T-403")
					return true
				}
				return false
			},
			wantKind: IntegrityPageFailed, wantPage: 3,
			check: func(t *testing.T, err error, f *fakeAPI) {
				if !IsAuth(err) {
					t.Errorf("IsAuth(%v) = false, want true through the IntegrityError", err)
				}
			},
		},
		{
			name: "totalCount drift",
			mutate: func(req apiRequest, resp map[string]any) {
				if page(req) == 2 {
					resp["totalCount"] = 2501
				}
			},
			wantKind: IntegrityTotalChanged, wantPage: 2,
		},
		{
			name: "duplicate within a listing",
			mutate: func(req apiRequest, resp map[string]any) {
				if page(req) == 3 {
					withData(resp, func(d []map[string]any) []map[string]any {
						d[10] = testInstance("HKG-A--00001", "HKG-A", "")
						return d
					})
				}
			},
			wantKind: IntegrityDuplicateID, wantPage: 3,
		},
		{
			name:   "duplicate across combinations",
			filter: Filter{Zones: []string{"HKG-A", "SEL-A"}},
			mutate: func(req apiRequest, resp map[string]any) {
				if strParam(req, "zoneId") == "SEL-A" {
					// The repeated instance reports no zone, so only the ID check can catch it.
					resp["totalCount"] = 1
					resp["dataSet"] = []map[string]any{cloned(testInstance("HKG-A--02500", "", ""), "zoneId", nil)}
				}
			},
			wantKind: IntegrityDuplicateID, wantPage: 1,
		},
		{
			name: "empty ID",
			mutate: func(req apiRequest, resp map[string]any) {
				if page(req) == 1 {
					withData(resp, func(d []map[string]any) []map[string]any {
						d[5] = cloned(d[5], "instanceId", nil)
						return d
					})
				}
			},
			wantKind: IntegrityEmptyID, wantPage: 1,
		},
		{
			name: "ID holds a credential",
			mutate: func(req apiRequest, resp map[string]any) {
				if page(req) == 2 {
					withData(resp, func(d []map[string]any) []map[string]any {
						d[3] = cloned(d[3], "instanceId", "i-"+testSecret)
						return d
					})
				}
			},
			wantKind: IntegritySecretInID, wantPage: 2,
			check: func(t *testing.T, err error, f *fakeAPI) {
				if strings.Contains(err.Error(), testSecret) {
					t.Errorf("err %q holds the secret", err)
				}
			},
		},
		{
			name: "last page short of totalCount",
			mutate: func(req apiRequest, resp map[string]any) {
				if page(req) == 3 {
					withData(resp, func(d []map[string]any) []map[string]any { return d[:len(d)-1] })
				}
			},
			wantKind: IntegrityCountMismatch, wantPage: 3,
		},
		{
			name: "last page beyond totalCount",
			mutate: func(req apiRequest, resp map[string]any) {
				if page(req) == 3 {
					withData(resp, func(d []map[string]any) []map[string]any {
						return append(d, testInstance("extra", "HKG-A", ""))
					})
				}
			},
			wantKind: IntegrityCountMismatch, wantPage: 3,
		},
		{
			name: "middle page short",
			mutate: func(req apiRequest, resp map[string]any) {
				if page(req) == 2 {
					withData(resp, func(d []map[string]any) []map[string]any { return d[:999] })
				}
			},
			wantKind: IntegrityShortPage, wantPage: 2,
		},
		{
			name: "empty page before the end",
			mutate: func(req apiRequest, resp map[string]any) {
				if page(req) == 2 {
					resp["dataSet"] = []map[string]any{}
				}
			},
			wantKind: IntegrityShortPage, wantPage: 2,
		},
		{
			name: "totalCount zero with data",
			mutate: func(req apiRequest, resp map[string]any) {
				resp["totalCount"] = 0
			},
			wantKind: IntegrityCountMismatch, wantPage: 1,
		},
		{
			name: "server ignores the zone filter",
			mutate: func(req apiRequest, resp map[string]any) {
				if page(req) == 2 {
					withData(resp, func(d []map[string]any) []map[string]any {
						d[0] = cloned(d[0], "zoneId", "SEL-A")
						return d
					})
				}
			},
			wantKind: IntegrityOutOfScope, wantPage: 2,
		},
		{
			name:     "server ignores the status filter",
			filter:   Filter{Zones: []string{"HKG-A"}, Status: StatusStopped},
			wantKind: IntegrityOutOfScope, wantPage: 1,
		},
		{
			name:     "negative totalCount",
			mutate:   func(req apiRequest, resp map[string]any) { resp["totalCount"] = -1 },
			wantKind: IntegrityImplausibleTotal, wantPage: 1,
		},
		{
			name:     "missing totalCount",
			mutate:   func(req apiRequest, resp map[string]any) { delete(resp, "totalCount") },
			wantKind: IntegrityPageFailed, wantPage: 1,
		},
		{
			name:     "null totalCount",
			mutate:   func(req apiRequest, resp map[string]any) { resp["totalCount"] = nil },
			wantKind: IntegrityPageFailed, wantPage: 1,
		},
		{
			name:     "empty totalCount",
			mutate:   func(req apiRequest, resp map[string]any) { resp["totalCount"] = "" },
			wantKind: IntegrityPageFailed, wantPage: 1,
		},
		{
			name: "totalCount absent on a later page",
			mutate: func(req apiRequest, resp map[string]any) {
				if page(req) == 2 {
					delete(resp, "totalCount")
				}
			},
			wantKind: IntegrityPageFailed, wantPage: 2,
		},
		{
			name: "unparseable createTime",
			mutate: func(req apiRequest, resp map[string]any) {
				if page(req) == 2 {
					withData(resp, func(d []map[string]any) []map[string]any {
						d[7] = cloned(d[7], "createTime", "yesterday")
						return d
					})
				}
			},
			wantKind: IntegrityPageFailed, wantPage: 2,
			check: func(t *testing.T, err error, f *fakeAPI) {
				de, ok := errors.AsType[*DecodeError](err)
				if !ok || de.Field != "createTime" || de.InstanceID != "HKG-A--01008" {
					t.Errorf("err = %v, want a DecodeError naming createTime and HKG-A--01008", err)
				}
			},
		},
	}
	for _, tt := range tests {
		// Each listing fails as ListInstances does, and hands over no page with an empty ID or
		// one that holds a credential.
		for _, each := range []bool{false, true} {
			name := tt.name
			if each {
				name += "/each"
			}
			t.Run(name, func(t *testing.T) {
				fleets := map[string][]map[string]any{"HKG-A/": fleet(2500, "HKG-A", ""), "SEL-A/": nil}
				serve := pagedFleet(t, fleets, tt.mutate)
				f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
					if tt.handle != nil && tt.handle(t, w, req) {
						return
					}
					serve(w, r, req)
				})
				c := newTestClient(t, f)
				filter := tt.filter
				if filter.Zones == nil {
					filter.Zones = []string{"HKG-A"}
				}
				var got []Instance
				var err error
				if each {
					var mu sync.Mutex
					got, err = c.ListInstancesEach(context.Background(), filter, func(off int, page []Instance) {
						mu.Lock()
						defer mu.Unlock()
						for _, in := range page {
							if in.ID == "" || strings.Contains(in.ID, testSecret) {
								t.Errorf("page at %d handed over with instance ID %q", off, in.ID)
							}
						}
					})
				} else {
					got, err = c.ListInstances(context.Background(), filter)
				}
				if got != nil {
					t.Errorf("listing returned %d instances with the error, want nil", len(got))
				}
				ie, ok := errors.AsType[*IntegrityError](err)
				if !ok {
					t.Fatalf("err = %v, want an IntegrityError", err)
				}
				if ie.Kind != tt.wantKind || ie.Page != tt.wantPage {
					t.Errorf("IntegrityError kind %s page %d, want %s page %d (%v)", ie.Kind, ie.Page, tt.wantKind, tt.wantPage, err)
				}
				if ie.Reason == "" {
					t.Errorf("IntegrityError has no reason")
				}
				if tt.check != nil {
					tt.check(t, err, f)
				}
			})
		}
	}
}

// TestListInstancesEachPages: ListInstancesEach hands over every page once, at its offset in the
// merged result (filter order, then page order), and returns what ListInstances returns.
func TestListInstancesEachPages(t *testing.T) {
	fleets := map[string][]map[string]any{
		"HKG-A/rg-1": fleet(4200, "HKG-A", "rg-1"),
		"HKG-A/rg-2": fleet(3, "HKG-A", "rg-2"),
		"SEL-A/rg-1": fleet(0, "SEL-A", "rg-1"),
		"SEL-A/rg-2": fleet(2001, "SEL-A", "rg-2"),
	}
	f := newFakeAPI(t, pagedFleet(t, fleets, nil))
	c := newTestClient(t, f, WithPageConcurrency(2))
	filter := Filter{Zones: []string{"HKG-A", "SEL-A"}, ResourceGroups: []string{"rg-1", "rg-2"}}
	var mu sync.Mutex
	handed := map[int][]string{}
	got, err := c.ListInstancesEach(context.Background(), filter, func(off int, page []Instance) {
		mu.Lock()
		defer mu.Unlock()
		if _, again := handed[off]; again {
			t.Errorf("page at %d handed over twice", off)
		}
		handed[off] = ids(page)
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := c.ListInstances(context.Background(), filter)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), ids(want)) {
		t.Fatalf("ListInstancesEach listed %d instances, ListInstances %d, or in another order", len(got), len(want))
	}
	n := 0
	for off, page := range handed {
		if off+len(page) > len(got) || !slices.Equal(page, ids(got[off:off+len(page)])) {
			t.Errorf("page at %d (%d instances) is not the result's instances at %d", off, len(page), off)
		}
		n += len(page)
	}
	// 5 + 1 + 3 pages; the empty combination has no instance to hand over.
	if n != len(got) || len(handed) != 9 {
		t.Errorf("%d pages with %d instances handed over, want 9 with %d", len(handed), n, len(got))
	}
}

func TestListInstancesBadFilter(t *testing.T) {
	f := newFakeAPI(t, pagedFleet(t, nil, nil))
	c := newTestClient(t, f)
	if _, err := c.ListInstances(context.Background(), Filter{Zones: []string{"HKG-A", ""}}); err == nil {
		t.Error("ListInstances with an empty zone succeeded, want an error")
	}
	if n := f.count(); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestListInstancesCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve := pagedFleet(t, map[string][]map[string]any{"/": fleet(5000, "", "")}, nil)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		if intParam(req, "pageNum") == 1 {
			cancel()
		}
		serve(w, r, req)
	})
	c := newTestClient(t, f)
	got, err := c.ListInstances(ctx, Filter{})
	if got != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("ListInstances = %d instances, %v; want nil, context.Canceled", len(got), err)
	}
}

// TestListInstancesCanceledBetweenPages: ctx ending after page 1 and before any other page starts
// fails the listing as a page failure that says it was canceled, and asks for no further page.
func TestListInstancesCanceledBetweenPages(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFakeAPI(t, pagedFleet(t, map[string][]map[string]any{"/": fleet(5000, "", "")}, nil))
	c := newTestClient(t, f)
	got, err := c.ListInstancesEach(ctx, Filter{}, func(off int, page []Instance) {
		if off == 0 {
			cancel() // page 1 is handed over before the other pages start
		}
	})
	ie, ok := errors.AsType[*IntegrityError](err)
	if got != nil || !ok || ie.Kind != IntegrityPageFailed || !errors.Is(err, context.Canceled) {
		t.Errorf("ListInstancesEach = %d instances, %v; want nil, a page_failed IntegrityError, context.Canceled", len(got), err)
	}
	if n := f.count(); n != 1 {
		t.Errorf("server saw %d requests, want 1 (none after ctx ended)", n)
	}
}

// TestListInstancesPageWorkerThatNeverReturns: a page whose worker ends without returning (here
// runtime.Goexit in the hand-over, on the worker's goroutine) was not fetched to the end as far as
// the listing knows: the listing fails, as it did with its own count check before safego.Run.
func TestListInstancesPageWorkerThatNeverReturns(t *testing.T) {
	f := newFakeAPI(t, pagedFleet(t, map[string][]map[string]any{"/": fleet(2000, "", "")}, nil))
	c := newTestClient(t, f)
	got, err := c.ListInstancesEach(context.Background(), Filter{}, func(off int, page []Instance) {
		if off > 0 {
			runtime.Goexit()
		}
	})
	if got != nil || err == nil {
		t.Errorf("ListInstancesEach = %d instances, %v; want nil and an error", len(got), err)
	}
}

// TestListInstancesPageCutShortIsCanceled: when one page fails, a page still in flight is
// abandoned; its attempt is reported (metrics, the request log, the adaptive rate) as cancelled,
// not as the failed page's answer, which it never got.
func TestListInstancesPageCutShortIsCanceled(t *testing.T) {
	page3 := make(chan struct{})
	paged := pagedFleet(t, map[string][]map[string]any{"/": fleet(2500, "", "")}, nil)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		switch intParam(req, "pageNum") {
		case 2:
			<-page3 // page 3 is in flight when page 2 fails
			apiErr(t, w, http.StatusBadRequest, "INVALID_PARAMETER", "T-2")
		case 3:
			close(page3)
			<-r.Context().Done() // never answered: the client gives up on it
		default:
			paged(w, r, req)
		}
	})
	var mu sync.Mutex
	codes := map[string]int{}
	c := newTestClient(t, f, WithPageConcurrency(2), WithObserver(func(action, code string, d time.Duration) {
		mu.Lock()
		codes[code]++
		mu.Unlock()
	}))
	if got, err := c.ListInstances(context.Background(), Filter{}); got != nil || err == nil {
		t.Fatalf("ListInstances = %d instances, %v; want nil and page 2's error", len(got), err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{CodeOK: 1, "INVALID_PARAMETER": 1, CodeCanceled: 1}
	if !maps.Equal(codes, want) {
		t.Errorf("attempts observed by code: %v, want %v", codes, want)
	}
}
