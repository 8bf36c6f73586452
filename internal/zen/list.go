package zen

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
)

const (
	actionDescribeInstances = "DescribeInstances"

	// pageSize is the API's maximum page size (§3.1).
	pageSize = 1000
	// maxTotalCount rejects an absurd totalCount before it sizes anything.
	maxTotalCount = 10_000_000
)

// scope is one zone × resource group combination; "" means no filter on that dimension.
type scope struct {
	zone, resourceGroup string
}

// listing is one paged DescribeInstances walk over a scope, with the checks every page must pass.
type listing struct {
	req    wireDescribeRequest // the filter; PageNum is set per page
	scope  scope
	status Status
	total  int64 // totalCount of the first page
	pages  int   // pages needed for total
}

// fetchedPage is one decoded page.
type fetchedPage struct {
	total int64
	items []Instance
}

// ListInstances returns every instance the filter selects, or an error: never a partial list.
// Each zone × resource group combination of f is listed on its own (pages after the first fetched
// concurrently, see WithPageConcurrency) and the results are merged in filter order, then page
// order. The listing fails with an *IntegrityError when a page fails after retries, totalCount
// changes between pages, a page before the last is not full, an instance has an empty or repeated
// ID (within or across combinations), an instance lies outside the requested zone, resource group
// or status, or the number of instances differs from totalCount.
func (c *Client) ListInstances(ctx context.Context, f Filter) ([]Instance, error) {
	scopes, err := f.scopes()
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	var all [][]Instance
	var seen map[string]struct{}
	n := 0
	for _, s := range scopes {
		l := newListing(f, s)
		pages, err := c.listScope(ctx, l)
		if err != nil {
			return nil, fmt.Errorf("list instances: %w", err)
		}
		if seen == nil {
			seen = make(map[string]struct{}, l.total)
		}
		got := 0
		for i, p := range pages {
			if err := l.checkIDs(i+1, p, seen); err != nil {
				return nil, fmt.Errorf("list instances: %w", err)
			}
			got += len(p)
		}
		if int64(got) != l.total {
			return nil, fmt.Errorf("list instances: %w", l.fail(IntegrityCountMismatch, 0, "",
				fmt.Sprintf("saw %d instances, totalCount says %d", got, l.total)))
		}
		all = append(all, pages...)
		n += got
	}
	out := make([]Instance, 0, n)
	for _, p := range all {
		out = append(out, p...)
	}
	return out, nil
}

// Pages returns the raw pages (pageSize 1000) of one zone × resource group combination, in
// order, fetched one at a time. f may name at most one zone and one resource group. Each page
// passes the same checks as in ListInstances; the iteration stops after the first error, which
// it yields with a nil page. Stopping early is allowed; the pages seen so far are then a partial
// inventory and must not be acted on.
func (c *Client) Pages(ctx context.Context, f Filter) iter.Seq2[[]Instance, error] {
	return func(yield func([]Instance, error) bool) {
		scopes, err := f.scopes()
		if err == nil && len(scopes) != 1 {
			err = fmt.Errorf("filter names %d zones and %d resource groups; Pages takes at most one of each (ListInstances takes many)",
				len(f.Zones), len(f.ResourceGroups))
		}
		if err != nil {
			yield(nil, fmt.Errorf("list instance pages: %w", err))
			return
		}
		l := newListing(f, scopes[0])
		seen := make(map[string]struct{})
		for num := 1; num == 1 || num <= l.pages; num++ {
			items, err := c.fetchChecked(ctx, l, num)
			if err == nil {
				err = l.checkIDs(num, items, seen)
			}
			if err != nil {
				yield(nil, fmt.Errorf("list instance pages: %w", err))
				return
			}
			if !yield(items, nil) {
				return
			}
		}
	}
}

// listScope fetches every page of one combination: the first alone (it tells how many there
// are), the rest by up to c.pageConcurrency workers. The first failure cancels the others.
func (c *Client) listScope(ctx context.Context, l *listing) ([][]Instance, error) {
	first, err := c.fetchChecked(ctx, l, 1)
	if err != nil {
		return nil, err
	}
	pages := make([][]Instance, l.pages)
	pages[0] = first
	if l.pages == 1 {
		return pages, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		fetched  atomic.Int64
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	next.Store(1)
	for range min(c.pageConcurrency, l.pages-1) {
		wg.Go(func() {
			for {
				num := int(next.Add(1))
				if num > l.pages || ctx.Err() != nil {
					return
				}
				items, err := c.fetchChecked(ctx, l, num)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					return
				}
				pages[num-1] = items
				fetched.Add(1)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if int(fetched.Load()) != l.pages-1 {
		return nil, l.fail(IntegrityPageFailed, 0, "", "listing stopped before every page was fetched")
	}
	return pages, nil
}

// fetchChecked fetches page num and runs the per-page checks; page 1 also sets the total.
func (c *Client) fetchChecked(ctx context.Context, l *listing, num int) ([]Instance, error) {
	p, err := c.fetchPage(ctx, l.req, num)
	if err != nil {
		ie := l.fail(IntegrityPageFailed, num, "", "page failed")
		ie.Err = err
		return nil, ie
	}
	if num == 1 {
		if err := l.start(p.total); err != nil {
			return nil, err
		}
	}
	return p.items, l.checkPage(num, p)
}

func (c *Client) fetchPage(ctx context.Context, req wireDescribeRequest, num int) (fetchedPage, error) {
	req.PageNum, req.PageSize = num, pageSize
	resp, reqID, err := call[wireDescribeResponse](ctx, c, actionDescribeInstances, req)
	if err != nil {
		return fetchedPage{}, err
	}
	if !resp.TotalCount.Valid {
		return fetchedPage{}, &ResponseError{Action: actionDescribeInstances, HTTPStatus: 200,
			Code: CodeJSONParseError, Reason: "response has no totalCount", RequestID: reqID}
	}
	in := make(interner, 32)
	items := make([]Instance, 0, len(resp.DataSet))
	for i := range resp.DataSet {
		inst, err := resp.DataSet[i].toInstance(actionDescribeInstances, in)
		if err != nil {
			return fetchedPage{}, err
		}
		items = append(items, inst)
	}
	return fetchedPage{total: resp.TotalCount.Value, items: items}, nil
}

func newListing(f Filter, s scope) *listing {
	req := wireDescribeRequest{
		ZoneID:          s.zone,
		ResourceGroupID: s.resourceGroup,
		InstanceStatus:  string(f.Status),
		TagKeys:         f.TagKeys,
	}
	for _, k := range slices.Sorted(maps.Keys(f.Tags)) {
		req.Tags = append(req.Tags, wireTag{Key: k, Value: f.Tags[k]})
	}
	return &listing{req: req, scope: s, status: f.Status}
}

// start records the first page's totalCount and how many pages it implies.
func (l *listing) start(total int64) error {
	if total < 0 || total > maxTotalCount {
		return l.fail(IntegrityImplausibleTotal, 1, "", fmt.Sprintf("totalCount %d is implausible", total))
	}
	l.total = total
	l.pages = max(1, int((total+pageSize-1)/pageSize))
	return nil
}

// checkPage verifies one page against the first: same totalCount, exactly the expected number of
// instances (full pages before the last), and every instance inside the requested scope.
func (l *listing) checkPage(num int, p fetchedPage) error {
	if p.total != l.total {
		return l.fail(IntegrityTotalChanged, num, "",
			fmt.Sprintf("totalCount changed from %d to %d", l.total, p.total))
	}
	want := pageSize
	if num == l.pages {
		want = int(l.total - int64(l.pages-1)*pageSize)
	}
	switch got := len(p.items); {
	case got != want && num < l.pages:
		return l.fail(IntegrityShortPage, num, "",
			fmt.Sprintf("page %d of %d returned %d instances, want %d", num, l.pages, got, want))
	case got != want:
		return l.fail(IntegrityCountMismatch, num, "",
			fmt.Sprintf("last page returned %d instances, want %d for totalCount %d", got, want, l.total))
	}
	for i := range p.items {
		if err := l.checkScope(num, &p.items[i]); err != nil {
			return err
		}
	}
	return nil
}

// checkScope catches a server that ignored a filter: an instance that reports a zone, resource
// group or status other than the requested one. (An instance reporting none is not rejected.)
func (l *listing) checkScope(num int, inst *Instance) error {
	mismatch := func(what, got, want string) error {
		return l.fail(IntegrityOutOfScope, num, inst.ID,
			fmt.Sprintf("instance %s has %s %q, requested %q", inst.ID, what, got, want))
	}
	switch {
	case l.scope.zone != "" && inst.Zone != "" && inst.Zone != l.scope.zone:
		return mismatch("zone", inst.Zone, l.scope.zone)
	case l.scope.resourceGroup != "" && inst.ResourceGroupID != "" && inst.ResourceGroupID != l.scope.resourceGroup:
		return mismatch("resource group", inst.ResourceGroupID, l.scope.resourceGroup)
	case l.status != "" && inst.Status != "" && inst.Status != l.status:
		return mismatch("status", string(inst.Status), string(l.status))
	}
	return nil
}

// checkIDs rejects empty IDs and IDs already in seen, and adds the page's IDs to seen.
func (l *listing) checkIDs(num int, items []Instance, seen map[string]struct{}) error {
	for i := range items {
		id := items[i].ID
		if id == "" {
			return l.fail(IntegrityEmptyID, num, "",
				fmt.Sprintf("instance %d of the page has no instanceId", i+1))
		}
		if _, dup := seen[id]; dup {
			return l.fail(IntegrityDuplicateID, num, id, fmt.Sprintf("instanceId %s seen twice", id))
		}
		seen[id] = struct{}{}
	}
	return nil
}

func (l *listing) fail(kind IntegrityKind, page int, id, reason string) *IntegrityError {
	return &IntegrityError{Kind: kind, Reason: reason, Zone: l.scope.zone,
		ResourceGroup: l.scope.resourceGroup, Page: page, InstanceID: id}
}

// scopes expands the filter into its zone × resource group combinations, zone-major, without
// repeats. Empty lists mean "no filter" on that dimension; an empty entry is an error.
func (f Filter) scopes() ([]scope, error) {
	zones, err := uniqueOrAll("zone", f.Zones)
	if err != nil {
		return nil, err
	}
	groups, err := uniqueOrAll("resource group", f.ResourceGroups)
	if err != nil {
		return nil, err
	}
	out := make([]scope, 0, len(zones)*len(groups))
	for _, z := range zones {
		for _, g := range groups {
			out = append(out, scope{zone: z, resourceGroup: g})
		}
	}
	return out, nil
}

func uniqueOrAll(what string, list []string) ([]string, error) {
	if len(list) == 0 {
		return []string{""}, nil
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s == "" {
			return nil, fmt.Errorf("filter has an empty %s", what)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
