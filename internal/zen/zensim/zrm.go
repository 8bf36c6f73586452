package zensim

import (
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// ZRM limits (zenlayer-bmc-api.md §10.2).
const (
	// MaxZRMTagSize is the length of a ZRM tag key or value, in characters.
	MaxZRMTagSize = 64
	// MaxZRMTagsPerList bounds each of replaceTags and deleteTagKeys. The reference documents
	// no count limit for ModifyResourceTags; 20 is CreateTags' limit, the safe reading.
	MaxZRMTagsPerList = 20
)

// zrmDateLayout is DescribeResourceTags' createdDate: UTC, a space, no zone (§10.3).
const zrmDateLayout = "2006-01-02 15:04:05"

type modifyResourceTagsRequest struct {
	ResourceUUID  string    `json:"resourceUuid"`
	ReplaceTags   []wireTag `json:"replaceTags"`
	DeleteTagKeys []string  `json:"deleteTagKeys"`
}

type describeResourceTagsRequest struct {
	ResourceUUID string `json:"resourceUuid"`
}

type describeResourceTagsResponse struct {
	RequestID  string        `json:"requestId"`
	TotalCount int           `json:"totalCount"`
	DataSet    []resourceTag `json:"dataSet"`
}

type resourceTag struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	CreatedDate string `json:"createdDate"`
}

// modifyResourceTags upserts replaceTags and removes deleteTagKeys on one instance (§10.2, §10.4):
// keys in neither list stay, and the change is visible to the next DescribeInstances. On an
// instance with a TagList a changed key keeps its place, a new key is appended and a deleted key
// is dropped (§10.4's suggestion for a fake); an instance with a Tags map keeps it, served sorted
// by key as always (the API does not document the order).
func (s *Server) modifyResourceTags(req *request) (any, *apiError) {
	var in modifyResourceTagsRequest
	if e := decodeBody(req.body, &in); e != nil {
		return nil, e
	}
	if in.ResourceUUID == "" {
		return nil, missingParameter("resourceUuid")
	}
	if e := in.validate(); e != nil {
		return nil, e
	}
	inst, ok := s.byID[in.ResourceUUID]
	if !ok {
		return nil, newAPIError(http.StatusNotFound, "INVALID_RESOURCE_NOT_FOUND", "the resource `%s` does not exist", in.ResourceUUID)
	}
	if inst.TagsLocked {
		return nil, newAPIError(http.StatusNotFound, "INVALID_RESOURCE_CAN_NOT_BOUND", "the resource `%s` cannot be bound to tags", in.ResourceUUID)
	}
	if req.notTaken {
		return emptyResponse{RequestID: req.requestID}, nil
	}
	if inst.TagList == nil {
		// A map-form instance stays one (served sorted by key, before and after), so tests
		// that change in.Tags through Mutate keep working after reaper wrote a tag.
		if inst.Tags == nil {
			inst.Tags = map[string]string{}
		}
		for _, t := range in.ReplaceTags {
			inst.Tags[t.Key] = t.Value
			s.tagCreatedLocked(Tag(t), req.now)
		}
		for _, k := range in.DeleteTagKeys {
			delete(inst.Tags, k)
		}
		return emptyResponse{RequestID: req.requestID}, nil
	}
	list := slices.Clone(inst.TagList)
	for _, t := range in.ReplaceTags {
		i := slices.IndexFunc(list, func(x Tag) bool { return x.Key == t.Key })
		if i < 0 {
			list = append(list, Tag(t))
			continue
		}
		list[i].Value = t.Value
		// A resource holds a key once (§7): a replayed fleet's repeats of the key collapse into it.
		list = slices.Concat(list[:i+1], slices.DeleteFunc(list[i+1:], func(x Tag) bool { return x.Key == t.Key }))
	}
	inst.TagList = slices.DeleteFunc(list, func(x Tag) bool { return slices.Contains(in.DeleteTagKeys, x.Key) })
	for _, t := range in.ReplaceTags {
		s.tagCreatedLocked(Tag(t), req.now)
	}
	return emptyResponse{RequestID: req.requestID}, nil
}

// validate checks the documented limits and the simulator's choices for what the reference
// leaves open (a key twice, a key in both lists).
func (in *modifyResourceTagsRequest) validate() *apiError {
	if len(in.ReplaceTags) > MaxZRMTagsPerList {
		return invalidParameter("replaceTags accepts at most %d tags", MaxZRMTagsPerList)
	}
	if len(in.DeleteTagKeys) > MaxZRMTagsPerList {
		return invalidParameter("deleteTagKeys accepts at most %d keys", MaxZRMTagsPerList)
	}
	seen := map[string]string{}
	for i, t := range in.ReplaceTags {
		if !zrmSizeOK(t.Key) {
			return invalidParameter("replaceTags[%d].key must be 1 to %d characters", i, MaxZRMTagSize)
		}
		if !zrmSizeOK(t.Value) {
			return invalidParameter("replaceTags[%d].value must be 1 to %d characters", i, MaxZRMTagSize)
		}
		if _, dup := seen[t.Key]; dup {
			return invalidParameter("the key `%s` is listed twice in replaceTags", t.Key)
		}
		seen[t.Key] = "replaceTags"
	}
	for i, k := range in.DeleteTagKeys {
		if !zrmSizeOK(k) {
			return invalidParameter("deleteTagKeys[%d] must be 1 to %d characters", i, MaxZRMTagSize)
		}
		switch seen[k] {
		case "replaceTags":
			return invalidParameter("the key `%s` is in both replaceTags and deleteTagKeys", k)
		case "deleteTagKeys":
			return invalidParameter("the key `%s` is listed twice in deleteTagKeys", k)
		}
		seen[k] = "deleteTagKeys"
	}
	return nil
}

func zrmSizeOK(s string) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= MaxZRMTagSize
}

// describeResourceTags lists one resource's tags in DescribeInstances' order (§10.3). An unknown
// resource has no tags: 200 with an empty list.
func (s *Server) describeResourceTags(req *request) (any, *apiError) {
	var in describeResourceTagsRequest
	if e := decodeBody(req.body, &in); e != nil {
		return nil, e
	}
	if in.ResourceUUID == "" {
		return nil, missingParameter("resourceUuid")
	}
	resp := describeResourceTagsResponse{RequestID: req.requestID, DataSet: []resourceTag{}}
	if inst, ok := s.byID[in.ResourceUUID]; ok {
		for _, t := range inst.tagPairs() {
			created := s.tagCreatedLocked(t, req.now)
			resp.DataSet = append(resp.DataSet, resourceTag{Key: t.Key, Value: t.Value, CreatedDate: created.UTC().Format(zrmDateLayout)})
		}
	}
	resp.TotalCount = len(resp.DataSet)
	return resp, nil
}

// tagCreatedLocked returns when the key=value tag came to exist in the account, recording now
// for a tag first seen. Load dates a fleet's tags by the earliest creation of an instance that
// carries them.
func (s *Server) tagCreatedLocked(t Tag, now time.Time) time.Time {
	if c, ok := s.tagCreated[t]; ok {
		return c
	}
	c := now.UTC().Truncate(time.Second)
	s.tagCreated[t] = c
	return c
}
