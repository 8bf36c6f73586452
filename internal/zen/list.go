package zen

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/reaper-bmc/reaper/internal/safego"
)

const (
	actionDescribeInstances = "DescribeInstances"

	// pageSize is the API's maximum page size (§3.1).
	pageSize = 1000
	// maxTotalCount rejects an absurd totalCount before it sizes the result.
	maxTotalCount = 1_000_000
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
	// redact removes the client's secrets from server-supplied values copied into errors.
	redact func(string) string
	// each, when set, receives every converted page whose IDs pass idsClean, with its offset in
	// the scope's list (see ListInstancesEach); clean[num-1] then says page num's IDs were
	// checked, so that checkIDs need not check them again.
	each  PageFunc
	clean []bool
}

// wirePage is one fetched page, still in wire form.
type wirePage struct {
	num   int
	total int64
	data  []wireInstance
}

// ListInstances returns every instance the filter selects, or an error: never a partial list.
// Each zone × resource group combination of f is listed on its own (pages after the first fetched
// concurrently, see WithPageConcurrency) and the results are merged in filter order, then page
// order. The listing fails with an *IntegrityError when a page fails after retries, totalCount
// changes between pages, a page before the last is not full, an instance has an empty or repeated
// ID (within or across combinations), an instance lies outside the requested zone, resource group
// or status, an instance cannot be decoded, or the number of instances differs from totalCount.
func (c *Client) ListInstances(ctx context.Context, f Filter) ([]Instance, error) {
	return c.ListInstancesEach(ctx, f, nil)
}

// PageFunc receives one page of a listing that is still running: off is the index of page[0]
// in the list the listing returns, and page is that list's own memory (read it, never write it).
type PageFunc func(off int, page []Instance)

// ListInstancesEach is ListInstances that also hands each page to each (when not nil) as soon as
// the page has passed its own checks, while later pages are still being fetched, so that the
// caller can start on the instances early. Pages come in any order, from several goroutines at
// once; each must return quickly (the worker that calls it fetches the next page afterwards).
//
// A page handed over is not yet an inventory: the listing can still fail (a later page, the
// count, a duplicate ID), and then nothing derived from any page may be used or reported. A page
// with an instance whose ID is empty or holds a credential is never handed over (the listing
// fails on it); IDs repeated across pages are caught only when the listing ends. The result and
// errors are those of ListInstances.
func (c *Client) ListInstancesEach(ctx context.Context, f Filter, each PageFunc) ([]Instance, error) {
	scopes, err := f.scopes()
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	var parts [][]Instance
	var seen map[string]struct{}
	n := 0
	for _, s := range scopes {
		l := newListing(f, s, c.redact)
		if each != nil {
			base := n
			l.each = func(off int, page []Instance) { each(base+off, page) }
		}
		list, err := c.listScope(ctx, l)
		if err != nil {
			return nil, fmt.Errorf("list instances: %w", err)
		}
		if seen == nil {
			seen = make(map[string]struct{}, len(list))
		}
		if err := l.checkIDs(list, 1, seen); err != nil {
			return nil, fmt.Errorf("list instances: %w", err)
		}
		parts = append(parts, list)
		n += len(list)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	out := make([]Instance, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
}

// listScope lists one combination: the first page alone (it tells how many there are), the rest
// by workers sharing c.pageConcurrency request slots. Every page is checked and converted
// straight into its place in the result. The first failure cancels the others.
func (c *Client) listScope(ctx context.Context, l *listing) ([]Instance, error) {
	first, err := c.fetchChecked(ctx, l, 1, nil)
	if err != nil {
		return nil, err
	}
	// Pages are converted straight into their place: no per-page slices, no final copy. l.total
	// is at most maxTotalCount, and every page must fill its part exactly (checkPage).
	out := make([]Instance, l.total)
	if err := l.convert(first, newInterner(), out[:len(first.data)]); err != nil {
		return nil, err
	}
	if l.each != nil {
		l.clean = make([]bool, l.pages)
		l.handOver(1, out[:len(first.data)])
	}
	if l.pages == 1 {
		return out, nil
	}
	// Twice as many workers as request slots: while one worker decodes its page, another's
	// request is already in flight. At most c.pageConcurrency requests are out at once. Each
	// worker keeps its own interner from page to page. A panic (in the HTTP layer, say) is the
	// listing's error, not the process's end.
	slots := make(chan struct{}, c.pageConcurrency)
	workers := min(2*c.pageConcurrency, l.pages-1)
	interners := make([]*interner, workers)
	err = safego.Run(ctx, "zen page worker", l.pages-1, workers, func(ctx context.Context, w, i int) error {
		if interners[w] == nil {
			interners[w] = newInterner()
		}
		num := i + 2 // page 1 is done
		p, err := c.fetchChecked(ctx, l, num, slots)
		if err != nil {
			return err
		}
		start := (num - 1) * pageSize
		if err := l.convert(p, interners[w], out[start:start+len(p.data)]); err != nil {
			return err
		}
		l.handOver(num, out[start:start+len(p.data)])
		return nil
	})
	switch {
	case err == nil: // every page fetched, checked and converted
		return out, nil
	case ctx.Err() != nil && err == context.Cause(ctx): // not a page's error: ctx ended between pages
		ie := l.fail(IntegrityPageFailed, 0, "", "listing stopped before every page was fetched")
		ie.Err = err
		return nil, ie
	}
	return nil, err
}

// fetchChecked fetches page num and runs the per-page checks; page 1 also sets the total. A
// page that passes has exactly the number of instances its place in the listing calls for.
func (c *Client) fetchChecked(ctx context.Context, l *listing, num int, slots chan struct{}) (wirePage, error) {
	p, err := c.fetchPage(ctx, l, num, slots)
	if err != nil {
		ie := l.fail(IntegrityPageFailed, num, "", "page failed")
		ie.Err = err
		return wirePage{}, ie
	}
	if num == 1 {
		if err := l.start(p.total); err != nil {
			return wirePage{}, err
		}
	}
	return p, l.checkPage(p)
}

func (c *Client) fetchPage(ctx context.Context, l *listing, num int, slots chan struct{}) (wirePage, error) {
	req := l.req
	req.PageNum, req.PageSize = num, pageSize
	resp, reqID, err := callWith(ctx, c, actionDescribeInstances, req, callOptions[wireDescribeResponse]{
		slots: slots,
		// A full page's worth of room: no growing (and copying) while decoding. A missing
		// "response" then shows as a missing totalCount below.
		newOut: func() *wireDescribeResponse {
			return &wireDescribeResponse{DataSet: make([]wireInstance, 0, pageSize)}
		},
	})
	if err != nil {
		return wirePage{}, err
	}
	if !resp.TotalCount.Valid {
		return wirePage{}, &ResponseError{Action: actionDescribeInstances, HTTPStatus: 200,
			Code: CodeJSONParseError, Reason: "response has no totalCount", RequestID: reqID}
	}
	return wirePage{num: num, total: resp.TotalCount.Value, data: resp.DataSet}, nil
}

// convert maps the page's instances into dst (of the same length). A field that cannot be
// decoded fails the page.
func (l *listing) convert(p wirePage, in *interner, dst []Instance) error {
	for i := range p.data {
		p.data[i].scrub(l.redact)
		inst, err := p.data[i].toInstance(actionDescribeInstances, in)
		if err != nil {
			ie := l.fail(IntegrityPageFailed, p.num, string(p.data[i].InstanceID), "page failed")
			ie.Err = redactDecode(err, l.redact)
			return ie
		}
		dst[i] = inst
	}
	return nil
}

func newListing(f Filter, s scope, redact func(string) string) *listing {
	req := wireDescribeRequest{
		ZoneID:          s.zone,
		ResourceGroupID: s.resourceGroup,
		InstanceStatus:  string(f.Status),
		TagKeys:         f.TagKeys,
	}
	for _, k := range slices.Sorted(maps.Keys(f.Tags)) {
		req.Tags = append(req.Tags, wireTag{Key: k, Value: f.Tags[k]})
	}
	return &listing{req: req, scope: s, status: f.Status, redact: redact}
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
func (l *listing) checkPage(p wirePage) error {
	num := p.num
	if p.total != l.total {
		return l.fail(IntegrityTotalChanged, num, "",
			fmt.Sprintf("totalCount changed from %d to %d", l.total, p.total))
	}
	want := pageSize
	if num == l.pages {
		want = int(l.total - int64(l.pages-1)*pageSize)
	}
	switch got := len(p.data); {
	case got != want && num < l.pages:
		return l.fail(IntegrityShortPage, num, "",
			fmt.Sprintf("page %d of %d returned %d instances, want %d", num, l.pages, got, want))
	case got != want:
		return l.fail(IntegrityCountMismatch, num, "",
			fmt.Sprintf("last page returned %d instances, want %d for totalCount %d", got, want, l.total))
	}
	for i := range p.data {
		if err := l.checkScope(num, &p.data[i]); err != nil {
			return err
		}
	}
	return nil
}

// checkScope catches a server that ignored a filter: an instance that reports a zone, resource
// group or status other than the requested one. (An instance reporting none is not rejected.)
func (l *listing) checkScope(num int, w *wireInstance) error {
	id := string(w.InstanceID)
	mismatch := func(what, got, want string) error {
		return l.fail(IntegrityOutOfScope, num, id,
			fmt.Sprintf("instance %s has %s %q, requested %q", id, what, got, want))
	}
	switch {
	case l.scope.zone != "" && w.ZoneID != "" && w.ZoneID != l.scope.zone:
		return mismatch("zone", w.ZoneID, l.scope.zone)
	case l.scope.resourceGroup != "" && w.ResourceGroupID != "" && w.ResourceGroupID != l.scope.resourceGroup:
		return mismatch("resource group", w.ResourceGroupID, l.scope.resourceGroup)
	case l.status != "" && w.InstanceStatus != "" && Status(w.InstanceStatus) != l.status:
		return mismatch("status", w.InstanceStatus, string(l.status))
	}
	return nil
}

// handOver gives page num to l.each, if set, when it has instances and none of its IDs is empty or holds a
// credential, and notes in l.clean that it did. Each page is handed over by one worker, so
// l.clean[num-1] has a single writer, read by checkIDs after the workers are done.
func (l *listing) handOver(num int, page []Instance) {
	if l.each == nil || len(page) == 0 {
		return
	}
	for i := range page {
		if id := page[i].ID; id == "" || l.redact(id) != id {
			return
		}
	}
	l.clean[num-1] = true
	l.each((num-1)*pageSize, page)
}

// checkIDs rejects empty IDs, IDs that hold a credential (an ID is never redacted: it is what
// reaper acts on, so such a listing cannot be shown or used) and IDs already in seen, and adds
// the IDs to seen. list starts at page firstPage.
func (l *listing) checkIDs(list []Instance, firstPage int, seen map[string]struct{}) error {
	for i := range list {
		id := list[i].ID
		page := firstPage + i/pageSize
		if l.clean != nil && l.clean[page-1] { // handOver checked this page's IDs: only repeats are left
			if _, dup := seen[id]; dup {
				return l.fail(IntegrityDuplicateID, page, id, fmt.Sprintf("instanceId %s seen twice", id))
			}
			seen[id] = struct{}{}
			continue
		}
		if id == "" {
			return l.fail(IntegrityEmptyID, page, "",
				fmt.Sprintf("instance %d of the page has no instanceId", i%pageSize+1))
		}
		if l.redact(id) != id {
			return l.fail(IntegritySecretInID, page, "",
				fmt.Sprintf("the instanceId of instance %d of the page holds a credential", i%pageSize+1))
		}
		if _, dup := seen[id]; dup {
			return l.fail(IntegrityDuplicateID, page, id, fmt.Sprintf("instanceId %s seen twice", id))
		}
		seen[id] = struct{}{}
	}
	return nil
}

func (l *listing) fail(kind IntegrityKind, page int, id, reason string) *IntegrityError {
	return &IntegrityError{Kind: kind, Reason: l.redact(reason), Zone: l.scope.zone,
		ResourceGroup: l.scope.resourceGroup, Page: page, InstanceID: l.redact(id)}
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
