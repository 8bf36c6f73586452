package zen

import (
	"context"
	"errors"
	"fmt"
)

// describeBatchSize is the API's limit of instanceIds per DescribeInstances request (§3.1).
const describeBatchSize = 100

// DescribeInstances returns the current state of the given instances, in the order of ids
// (repeats removed), batching 100 IDs per request. An instance that does not exist is simply
// absent from the result: the API says so either with totalCount 0 or with a 404
// INVALID_INSTANCE_NOT_FOUND. Because a 404 may refuse a whole batch for one unknown ID, such a
// batch is split in halves until the unknown IDs are isolated, so an existing instance is never
// reported absent. An answer that contradicts the request (an ID not asked for, a repeated or
// empty ID, totalCount not matching the data) is an *IntegrityError.
func (c *Client) DescribeInstances(ctx context.Context, ids []string) ([]Instance, error) {
	uniq := make([]string, 0, len(ids))
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		if id == "" {
			return nil, errors.New("describe instances: empty instance ID")
		}
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			uniq = append(uniq, id)
		}
	}
	found := make(map[string]Instance, len(uniq))
	for start := 0; start < len(uniq); start += describeBatchSize {
		batch := uniq[start:min(start+describeBatchSize, len(uniq))]
		if err := c.describeBatch(ctx, batch, found); err != nil {
			return nil, fmt.Errorf("describe instances: %w", err)
		}
	}
	out := make([]Instance, 0, len(found))
	for _, id := range uniq {
		if inst, ok := found[id]; ok {
			out = append(out, inst)
		}
	}
	return out, nil
}

// describeBatch describes up to 100 IDs into found, bisecting on a not-found answer.
func (c *Client) describeBatch(ctx context.Context, ids []string, found map[string]Instance) error {
	req := wireDescribeRequest{InstanceIDs: ids, PageNum: 1, PageSize: describeBatchSize}
	resp, reqID, err := call[wireDescribeResponse](ctx, c, actionDescribeInstances, req)
	if IsNotFound(err) {
		if len(ids) == 1 {
			return nil
		}
		half := len(ids) / 2
		if err := c.describeBatch(ctx, ids[:half], found); err != nil {
			return err
		}
		return c.describeBatch(ctx, ids[half:], found)
	}
	if err != nil {
		return err
	}
	fail := func(kind IntegrityKind, id, reason string) error {
		return &IntegrityError{Kind: kind, InstanceID: c.redact(id), Reason: c.redact(reason) + " (request ID " + orNone(reqID) + ")"}
	}
	if !resp.TotalCount.Valid || resp.TotalCount.Value != int64(len(resp.DataSet)) {
		return fail(IntegrityCountMismatch, "", fmt.Sprintf("totalCount %v but %d instances returned for %d IDs",
			resp.TotalCount.Value, len(resp.DataSet), len(ids)))
	}
	asked := make(map[string]bool, len(ids))
	for _, id := range ids {
		asked[id] = true
	}
	in := newInterner()
	got := make(map[string]bool, len(resp.DataSet))
	for i := range resp.DataSet {
		resp.DataSet[i].scrub(c.redact)
		inst, err := resp.DataSet[i].toInstance(actionDescribeInstances, in)
		if err != nil {
			return redactDecode(err, c.redact)
		}
		switch {
		case inst.ID == "":
			return fail(IntegrityEmptyID, "", "an instance without instanceId was returned")
		case !asked[inst.ID]:
			return fail(IntegrityUnexpectedID, inst.ID, "instance "+inst.ID+" was returned but not asked for")
		case got[inst.ID]:
			return fail(IntegrityDuplicateID, inst.ID, "instance "+inst.ID+" was returned twice")
		}
		got[inst.ID] = true
		found[inst.ID] = inst
	}
	return nil
}
