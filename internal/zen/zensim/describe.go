package zensim

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// DescribeInstances limits (zenlayer-bmc-api.md §3.1).
const (
	MaxPageSize        = 1000
	DefaultPageSize    = 20
	MaxIDsPerRequest   = 100
	MaxTagFilters      = 20
	MaxTagKeyValueSize = 128
)

type describeInstancesRequest struct {
	InstanceIDs        []string  `json:"instanceIds"`
	ZoneID             string    `json:"zoneId"`
	ResourceGroupID    string    `json:"resourceGroupId"`
	InstanceTypeID     string    `json:"instanceTypeId"`
	InternetChargeType string    `json:"internetChargeType"`
	ImageID            string    `json:"imageId"`
	SubnetID           string    `json:"subnetId"`
	InstanceStatus     string    `json:"instanceStatus"`
	InstanceName       string    `json:"instanceName"`
	Hostname           string    `json:"hostname"`
	PublicIPAddresses  []string  `json:"publicIpAddresses"`
	PrivateIPAddresses []string  `json:"privateIpAddresses"`
	PageNum            *int      `json:"pageNum"`
	PageSize           *int      `json:"pageSize"`
	TagKeys            []string  `json:"tagKeys"`
	Tags               []wireTag `json:"tags"`
}

type describeInstancesResponse struct {
	RequestID  string         `json:"requestId"`
	TotalCount int            `json:"totalCount"`
	DataSet    []wireInstance `json:"dataSet"`
}

// wireInstance is InstanceInfo as the API sends it; unmodelled fields are omitted.
type wireInstance struct {
	InstanceID             string   `json:"instanceId"`
	ZoneID                 string   `json:"zoneId"`
	InstanceName           string   `json:"instanceName"`
	Hostname               string   `json:"hostname"`
	InstanceTypeID         string   `json:"instanceTypeId"`
	InstanceChargeType     string   `json:"instanceChargeType"`
	InternetChargeType     string   `json:"internetChargeType"`
	Period                 *int     `json:"period"`
	PrimaryPublicIPAddress *string  `json:"primaryPublicIpAddress"`
	PublicIPAddresses      []string `json:"publicIpAddresses"`
	PrivateIPAddresses     []string `json:"privateIpAddresses"`
	CreateTime             *string  `json:"createTime"` // null when the instance has no creation time
	ExpiredTime            *string  `json:"expiredTime"`
	ResourceGroupID        string   `json:"resourceGroupId"`
	ResourceGroupName      string   `json:"resourceGroupName"`
	InstanceStatus         string   `json:"instanceStatus"`
	AutoRenew              *bool    `json:"autoRenew"` // null when the instance's is unknown
	Tags                   wireTags `json:"tags"`
}

func toWireInstance(in *SimInstance) wireInstance {
	w := wireInstance{
		InstanceID:         in.ID,
		ZoneID:             in.Zone,
		InstanceName:       in.Name,
		Hostname:           in.Hostname,
		InstanceTypeID:     in.Type,
		InstanceChargeType: string(in.ChargeType),
		InternetChargeType: in.InternetChargeType,
		PublicIPAddresses:  nonNil(in.PublicIPs),
		PrivateIPAddresses: nonNil(in.PrivateIPs),
		ResourceGroupID:    in.ResourceGroupID,
		ResourceGroupName:  in.ResourceGroupName,
		InstanceStatus:     string(in.Status),
		Tags:               wireTags{Tags: []wireTag{}},
	}
	if !in.AutoRenewUnknown {
		renew := in.AutoRenew
		w.AutoRenew = &renew
	}
	if !in.CreatedAt.IsZero() {
		t := formatWireTime(in.CreatedAt)
		w.CreateTime = &t
	}
	if in.PeriodMonths != nil {
		p := *in.PeriodMonths
		w.Period = &p
	}
	if len(in.PublicIPs) > 0 {
		ip := in.PublicIPs[0]
		w.PrimaryPublicIPAddress = &ip
	}
	if in.ExpiresAt != nil {
		t := formatWireTime(*in.ExpiresAt)
		w.ExpiredTime = &t
	}
	for _, t := range in.tagPairs() {
		w.Tags.Tags = append(w.Tags.Tags, wireTag(t))
	}
	return w
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// decodeBody decodes a JSON object body into v. A member whose name is not exactly a parameter
// of the action (a mis-cased one included) is a 400 INVALID_PARAMETER naming it: the API
// reference is silent on unknown parameters, and refusing them keeps a client's misspelt filter
// from passing unnoticed.
func decodeBody(body []byte, v any) *apiError {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return invalidParameter("the request body must be a JSON object")
	}
	if name := unknownKey(body, reflect.TypeOf(v)); name != "" {
		return invalidParameter("the parameter `%s` is not supported by this action (names are case-sensitive)", name)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return invalidParameter("the request body is not valid: %v", err)
	}
	return nil
}

func (s *Server) describeInstances(req *request) (any, *apiError) {
	var in describeInstancesRequest
	if e := decodeBody(req.body, &in); e != nil {
		return nil, e
	}
	pageNum, pageSize, e := in.page()
	if e != nil {
		return nil, e
	}
	if e := in.validateFilters(); e != nil {
		return nil, e
	}
	resp := describeInstancesResponse{RequestID: req.requestID, DataSet: []wireInstance{}}
	first := (pageNum - 1) * pageSize
	candidates := s.candidatesLocked(in.InstanceIDs)
	if !in.filters() { // the inventory's common case: no scan needed
		resp.TotalCount = len(candidates)
		for _, inst := range candidates[min(first, len(candidates)):min(first+pageSize, len(candidates))] {
			resp.DataSet = append(resp.DataSet, toWireInstance(inst))
		}
	} else {
		for _, inst := range candidates {
			if !in.matches(inst) {
				continue
			}
			if resp.TotalCount >= first && len(resp.DataSet) < pageSize {
				resp.DataSet = append(resp.DataSet, toWireInstance(inst))
			}
			resp.TotalCount++
		}
	}
	if pageNum > 1 {
		if _, fired := s.fireFaultLocked("DescribeInstances", req.body, func(k FaultKind) bool { return k == FaultTotalCountDrift }); fired {
			resp.TotalCount++
			req.fault = FaultTotalCountDrift.String()
		}
	}
	return resp, nil
}

// candidatesLocked returns the instances to scan, sorted by ID: the requested ones that exist, or all.
func (s *Server) candidatesLocked(ids []string) []*SimInstance {
	if len(ids) == 0 {
		return s.order
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	var out []*SimInstance
	for _, id := range slices.Compact(ids) {
		if in, ok := s.byID[id]; ok {
			out = append(out, in)
		}
	}
	return out
}

// filters reports whether any filter besides instanceIds is set.
func (in *describeInstancesRequest) filters() bool {
	return in.ZoneID != "" || in.ResourceGroupID != "" || in.InstanceTypeID != "" || in.InternetChargeType != "" ||
		in.ImageID != "" || in.SubnetID != "" || in.InstanceStatus != "" || in.InstanceName != "" || in.Hostname != "" ||
		len(in.PublicIPAddresses) > 0 || len(in.PrivateIPAddresses) > 0 || len(in.TagKeys) > 0 || len(in.Tags) > 0
}

func (in *describeInstancesRequest) page() (pageNum, pageSize int, e *apiError) {
	pageNum, pageSize = 1, DefaultPageSize
	if in.PageNum != nil {
		if *in.PageNum < 1 {
			return 0, 0, invalidParameter("pageNum must be at least 1")
		}
		pageNum = *in.PageNum
	}
	if in.PageSize != nil {
		if *in.PageSize < 1 || *in.PageSize > MaxPageSize {
			return 0, 0, invalidParameter("pageSize must be between 1 and %d", MaxPageSize)
		}
		pageSize = *in.PageSize
	}
	if pageNum > (1<<31)/pageSize {
		return 0, 0, invalidParameter("pageNum is too large")
	}
	return pageNum, pageSize, nil
}

// validateFilters checks the documented limits of the filters.
func (in *describeInstancesRequest) validateFilters() *apiError {
	if len(in.InstanceIDs) > MaxIDsPerRequest {
		return invalidParameter("instanceIds accepts at most %d ids", MaxIDsPerRequest)
	}
	if len(in.TagKeys) > MaxTagFilters {
		return invalidParameter("tagKeys accepts at most %d keys", MaxTagFilters)
	}
	if len(in.Tags) > MaxTagFilters {
		return invalidParameter("tags accepts at most %d tags", MaxTagFilters)
	}
	for _, k := range in.TagKeys {
		if k == "" || len(k) > MaxTagKeyValueSize {
			return invalidParameter("a tag key must be 1 to %d characters", MaxTagKeyValueSize)
		}
	}
	for _, t := range in.Tags {
		if t.Key == "" || len(t.Key) > MaxTagKeyValueSize || t.Value == "" || len(t.Value) > MaxTagKeyValueSize {
			return invalidParameter("a tag key and value must each be 1 to %d characters", MaxTagKeyValueSize)
		}
	}
	return nil
}

// matches reports whether s passes every given filter (AND).
func (in *describeInstancesRequest) matches(s *SimInstance) bool {
	switch {
	case in.ImageID != "" || in.SubnetID != "":
		return false
	case in.ZoneID != "" && s.Zone != in.ZoneID,
		in.ResourceGroupID != "" && s.ResourceGroupID != in.ResourceGroupID,
		in.InstanceTypeID != "" && s.Type != in.InstanceTypeID,
		in.InternetChargeType != "" && s.InternetChargeType != in.InternetChargeType,
		in.InstanceStatus != "" && s.Status != zen.Status(in.InstanceStatus),
		!nameMatches(in.InstanceName, s.Name),
		!nameMatches(in.Hostname, s.Hostname),
		len(in.PublicIPAddresses) > 0 && !anyIn(s.PublicIPs, in.PublicIPAddresses),
		len(in.PrivateIPAddresses) > 0 && !anyIn(s.PrivateIPs, in.PrivateIPAddresses):
		return false
	}
	for _, k := range in.TagKeys {
		if !s.hasTag(k, nil) {
			return false
		}
	}
	for _, t := range in.Tags {
		if !s.hasTag(t.Key, &t.Value) {
			return false
		}
	}
	return true
}

// nameMatches applies an instanceName or hostname filter: a trailing * is a prefix match,
// anything else is exact; an empty filter matches everything.
func nameMatches(filter, value string) bool {
	if filter == "" {
		return true
	}
	if prefix, ok := strings.CutSuffix(filter, "*"); ok {
		return strings.HasPrefix(value, prefix)
	}
	return value == filter
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}
