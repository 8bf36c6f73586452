package zen

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"
)

const actionModifyResourceTags = "ModifyResourceTags"

// ZRM limits on a tag write (zenlayer-bmc-api.md §10.2).
const (
	// MaxTagSize is the length of a key or value ZRM accepts, in characters.
	MaxTagSize = 64
	// MaxTagsPerWrite bounds each list of one ModifyResourceTags call: no count limit is
	// documented, and 20 (CreateTags' limit) is the safe reading.
	MaxTagsPerWrite = 20
)

type wireModifyResourceTagsRequest struct {
	ResourceUUID  string    `json:"resourceUuid"`
	ReplaceTags   []wireTag `json:"replaceTags,omitempty"`
	DeleteTagKeys []string  `json:"deleteTagKeys,omitempty"`
}

// ModifyResourceTags sets the tags in replace on one instance (adding or changing each key) and
// removes the keys in remove, with the ZRM service (zenlayer-bmc-api.md §10.2); keys in neither
// list are left alone. It returns the request ID of the accepted call. The change shows up in the
// next DescribeInstances (§10.4).
//
// The request is checked before it is sent, since the API's answer to a bad one is not
// documented: at least one change, at most MaxTagsPerWrite per list, every key and value 1 to
// MaxTagSize characters, no key twice and none in both lists. An unknown instance is an
// *APIError with code INVALID_RESOURCE_NOT_FOUND. Retries are the client's, as for every call
// (the write is idempotent).
func (c *Client) ModifyResourceTags(ctx context.Context, id string, replace []Tag, remove []string) (requestID string, err error) {
	if err := checkTagWrite(id, replace, remove); err != nil {
		return "", fmt.Errorf("modify tags of %s: %w", id, err)
	}
	req := wireModifyResourceTagsRequest{ResourceUUID: id, DeleteTagKeys: remove}
	for _, t := range replace {
		req.ReplaceTags = append(req.ReplaceTags, wireTag{Key: t.Key, Value: t.Value})
	}
	_, reqID, err := callWith(ctx, c, actionModifyResourceTags, req, callOptions[wireResponse]{svc: &serviceZRM})
	if err != nil {
		return "", fmt.Errorf("modify tags of %s: %w", id, err)
	}
	return reqID, nil
}

func checkTagWrite(id string, replace []Tag, remove []string) error {
	switch {
	case id == "":
		return errors.New("empty instance ID")
	case len(replace) == 0 && len(remove) == 0:
		return errors.New("nothing to change")
	case len(replace) > MaxTagsPerWrite || len(remove) > MaxTagsPerWrite:
		return fmt.Errorf("at most %d tags to set and %d to remove in one call", MaxTagsPerWrite, MaxTagsPerWrite)
	}
	seen := map[string]bool{}
	for _, t := range replace {
		if !tagSizeOK(t.Key) || !tagSizeOK(t.Value) {
			return fmt.Errorf("tag %q: key and value must be 1 to %d characters", t.Key, MaxTagSize)
		}
		if seen[t.Key] {
			return fmt.Errorf("tag %q listed twice", t.Key)
		}
		seen[t.Key] = true
	}
	for _, k := range remove {
		if !tagSizeOK(k) {
			return fmt.Errorf("tag key %q to remove must be 1 to %d characters", k, MaxTagSize)
		}
		if seen[k] {
			return fmt.Errorf("tag %q both set and removed, or removed twice", k)
		}
		seen[k] = true
	}
	return nil
}

func tagSizeOK(s string) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= MaxTagSize
}
