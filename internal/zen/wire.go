package zen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Wire structs mirror the JSON of zenlayer-bmc-api.md. Every field may be null or missing: plain
// string, bool and slice fields decode null as their zero value; the flex types below also
// accept numbers sent as strings.

// wireDescribeRequest is the body of DescribeInstances (§3.1).
type wireDescribeRequest struct {
	InstanceIDs     []string  `json:"instanceIds,omitempty"`
	ZoneID          string    `json:"zoneId,omitempty"`
	ResourceGroupID string    `json:"resourceGroupId,omitempty"`
	InstanceStatus  string    `json:"instanceStatus,omitempty"`
	TagKeys         []string  `json:"tagKeys,omitempty"`
	Tags            []wireTag `json:"tags,omitempty"`
	PageNum         int       `json:"pageNum"`
	PageSize        int       `json:"pageSize"`
}

// wireDescribeResponse is the "response" of DescribeInstances (§3.2).
type wireDescribeResponse struct {
	wireResponse
	TotalCount flexInt64      `json:"totalCount"`
	DataSet    []wireInstance `json:"dataSet"`
}

// wireInstance is InstanceInfo (§3.2), reduced to the fields reaper uses.
type wireInstance struct {
	InstanceID         flexString        `json:"instanceId"`
	ZoneID             string            `json:"zoneId"`
	InstanceName       string            `json:"instanceName"`
	Hostname           string            `json:"hostname"`
	InstanceTypeID     string            `json:"instanceTypeId"`
	InstanceType       *wireInstanceType `json:"instanceType"`
	InstanceChargeType string            `json:"instanceChargeType"`
	InternetChargeType string            `json:"internetChargeType"`
	Period             flexInt64         `json:"period"`
	PublicIPAddresses  []string          `json:"publicIpAddresses"`
	PrivateIPAddresses []string          `json:"privateIpAddresses"`
	CreateTime         string            `json:"createTime"`
	ExpiredTime        string            `json:"expiredTime"`
	ResourceGroupID    string            `json:"resourceGroupId"`
	ResourceGroupName  string            `json:"resourceGroupName"`
	InstanceStatus     string            `json:"instanceStatus"`
	AutoRenew          flexBool          `json:"autoRenew"`
	Tags               *wireTags         `json:"tags"`
}

type wireInstanceType struct {
	InstanceTypeID string `json:"instanceTypeId"`
}

type wireTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// wireTags is the wrapped tag list {"tags":[{key,value}]}; null at either level means no tags.
type wireTags struct {
	Tags []wireTag `json:"tags"`
}

// flexInt64 is an integer sent as a number, a string holding one, or null. Valid is false for null
// and "".
type flexInt64 struct {
	Value int64
	Valid bool
}

// UnmarshalJSON accepts 123, "123", " 123 ", 123.0, null and "".
func (n *flexInt64) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*n = flexInt64{}
		return nil
	}
	if len(s) >= 2 && s[0] == '"' {
		uq, err := strconv.Unquote(s)
		if err != nil {
			return fmt.Errorf("integer: bad string %s", quoted(s))
		}
		s = strings.TrimSpace(uq)
		if s == "" {
			*n = flexInt64{}
			return nil
		}
	}
	v, err := parseInteger(s)
	if err != nil {
		return err
	}
	*n = flexInt64{Value: v, Valid: true}
	return nil
}

// measure is the domain form: absent stays absent.
func (n flexInt64) measure() Measure { return Measure(n) }

func parseInteger(s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("integer: cannot use %s", quoted(strconv.Quote(s)))
	}
	return int64(f), nil
}

// flexBool is a boolean sent as true/false or "true"/"false". null, "" and a missing key are
// absent (Valid false), never false: absent is not a value.
type flexBool struct {
	Value, Valid bool
}

// UnmarshalJSON accepts true, false, "true", "false", null and "".
func (v *flexBool) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "true", `"true"`:
		*v = flexBool{Value: true, Valid: true}
	case "false", `"false"`:
		*v = flexBool{Valid: true}
	case "null", `""`:
		*v = flexBool{}
	default:
		return fmt.Errorf("boolean: cannot use %s", quoted(string(b)))
	}
	return nil
}

// flexString is a string that may arrive as a bare number (a numeric-looking instance ID); the
// digits are kept exactly, never through a float.
type flexString string

// UnmarshalJSON accepts a string, a number (kept verbatim) or null ("").
func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errors.New("string: empty value")
	case b[0] == '"':
		if inner := b[1 : len(b)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			*s = flexString(inner) // no escapes: the bytes are the string
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case string(b) == "null":
		*s = ""
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*s = flexString(b)
	default:
		return fmt.Errorf("string: cannot use %s", quoted(string(b)))
	}
	return nil
}

// wireTrafficRequest is the body of DescribeInstanceTraffic (§6).
type wireTrafficRequest struct {
	InstanceID string `json:"instanceId"`
	StartTime  string `json:"startTime"`
	EndTime    string `json:"endTime"`
}

// wireTrafficResponse is the "response" of DescribeInstanceTraffic (§6).
type wireTrafficResponse struct {
	wireResponse
	DataList []wireTrafficPoint `json:"dataList"`
	In95     flexInt64          `json:"in95"`
	Out95    flexInt64          `json:"out95"`
	InAvg    flexInt64          `json:"inAvg"`
	OutAvg   flexInt64          `json:"outAvg"`
	InMax    flexInt64          `json:"inMax"`
	OutMax   flexInt64          `json:"outMax"`
	InTotal  flexInt64          `json:"inTotal"`
	OutTotal flexInt64          `json:"outTotal"`
}

type wireTrafficPoint struct {
	InternetRX flexInt64 `json:"internetRX"`
	InternetTX flexInt64 `json:"internetTX"`
	Time       string    `json:"time"`
}

// wireTerminateRequest is the body of TerminateInstance (§5).
type wireTerminateRequest struct {
	InstanceID string `json:"instanceId"`
}

// wireTimeLayouts are tried in order; zone-less forms are UTC.
var wireTimeLayouts = []string{
	time.RFC3339Nano,      // 2026-01-02T03:04:05Z, with offset or fraction
	"2006-01-02T15:04:05", // no zone
	"2006-01-02 15:04:05", // ZRM style
	"2006-01-02 15:04:05Z07:00",
}

// parseWireTime parses an API time; "" is the zero time.
func parseWireTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range wireTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a time in YYYY-MM-DDTHH:mm:ssZ form")
}

// maxQuoted is the longest value a decode error quotes. A longer one is described by its length,
// never cut: a cut could keep part of an echoed secret where redaction no longer recognises it.
const maxQuoted = 40

func quoted(s string) string {
	if len(s) > maxQuoted {
		return fmt.Sprintf("a %d-byte value", len(s))
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
