package zen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// decodeOne decodes one InstanceInfo JSON object into the domain type.
func decodeOne(t *testing.T, raw string) (Instance, error) {
	t.Helper()
	var w wireInstance
	if err := json.Unmarshal([]byte(raw), &w); err != nil {
		return Instance{}, err
	}
	return w.toInstance("DescribeInstances", newInterner())
}

func TestDecodeDocExample(t *testing.T) {
	raw := `{"instanceId":"932237369560662463","zoneId":"HKG-A","instanceName":"ci-runner-1","hostname":"ci-runner-1",
	 "instanceTypeId":"S9I","instanceChargeType":"POSTPAID","period":null,"internetChargeType":"ByBandwidth",
	 "bandwidthOutMbps":100,"primaryPublicIpAddress":"203.0.113.10","publicIpAddresses":["203.0.113.10"],
	 "privateIpAddresses":[],"createTime":"2026-01-02T03:04:05Z","expiredTime":null,"resourceGroupId":"rg-1",
	 "resourceGroupName":"Default Resource Group","instanceStatus":"RUNNING","autoRenew":false,
	 "tags":{"tags":[{"key":"owner","value":"ci"}]},
	 "instanceType":{"instanceTypeId":"S9I","cpuCoreCount":8,"diskInfo":{"disks":[{"diskSize":480,"diskCount":2}]}},
	 "raidConfig":{"raidType":1},"nic":{"wanName":"eth0"},"someFutureField":{"x":[1,2]}}`
	got, err := decodeOne(t, raw)
	if err != nil {
		t.Fatal(err)
	}
	want := Instance{
		ID: "932237369560662463", Name: "ci-runner-1", Hostname: "ci-runner-1", Zone: "HKG-A", Type: "S9I",
		Status: StatusRunning, ChargeType: ChargePostpaid, InternetChargeType: "ByBandwidth",
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), AutoRenew: new(bool),
		ResourceGroupID: "rg-1", ResourceGroupName: "Default Resource Group",
		TagList: Tags{{"owner", "ci"}}, PublicIPs: []string{"203.0.113.10"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded instance mismatch (-want +got):\n%s", diff)
	}
}

// TestHostnameSharesTheName pins that a hostname equal to the instance name is kept as one
// string (fleets commonly name the host as the instance: 100,000 such instances would otherwise
// keep two copies of every name), and that a different hostname is kept as it was.
func TestHostnameSharesTheName(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		host      string
		shared    bool
	}{
		{"same", `{"instanceId":"1","instanceName":"ci-runner-1","hostname":"ci-runner-1"}`, "ci-runner-1", true},
		{"different", `{"instanceId":"1","instanceName":"ci-runner-1","hostname":"ci-runner-1.example"}`, "ci-runner-1.example", false},
		{"no hostname", `{"instanceId":"1","instanceName":"ci-runner-1"}`, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeOne(t, tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "ci-runner-1" || got.Hostname != tc.host {
				t.Fatalf("name %q hostname %q, want ci-runner-1 and %q", got.Name, got.Hostname, tc.host)
			}
			if shared := unsafe.StringData(got.Name) == unsafe.StringData(got.Hostname); shared != tc.shared {
				t.Errorf("hostname shares the name's bytes: %v, want %v", shared, tc.shared)
			}
		})
	}
}

func TestDecodeNulls(t *testing.T) {
	fields := []string{"zoneId", "instanceName", "hostname", "instanceTypeId", "instanceType", "instanceChargeType",
		"internetChargeType", "period", "publicIpAddresses", "privateIpAddresses", "createTime", "expiredTime",
		"resourceGroupId", "resourceGroupName", "instanceStatus", "autoRenew", "tags", "bandwidthOutMbps"}
	var b strings.Builder
	b.WriteString(`{"instanceId":"1"`)
	for _, f := range fields {
		fmt.Fprintf(&b, `,%q:null`, f)
	}
	b.WriteString("}")
	for name, raw := range map[string]string{"all null": b.String(), "all missing": `{"instanceId":"1"}`} {
		t.Run(name, func(t *testing.T) {
			got, err := decodeOne(t, raw)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(Instance{ID: "1"}, got); diff != "" {
				t.Errorf("decoded instance mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("null entries in lists", func(t *testing.T) {
		got, err := decodeOne(t, `{"instanceId":"1","publicIpAddresses":[null,"203.0.113.1",""],
			"tags":{"tags":[null,{"key":null,"value":"x"},{"key":"k","value":null}]}}`)
		if err != nil {
			t.Fatal(err)
		}
		want := Instance{ID: "1", PublicIPs: []string{"203.0.113.1"}, TagList: Tags{{"k", ""}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("decoded instance mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestDecodeTolerance(t *testing.T) {
	three := 3
	expiry := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		raw   string
		check func(Instance) bool
	}{
		{"period as number", `{"instanceId":"1","period":3}`, func(i Instance) bool { return i.PeriodMonths != nil && *i.PeriodMonths == three }},
		{"period as string", `{"instanceId":"1","period":"3"}`, func(i Instance) bool { return i.PeriodMonths != nil && *i.PeriodMonths == three }},
		{"period empty string", `{"instanceId":"1","period":""}`, func(i Instance) bool { return i.PeriodMonths == nil }},
		{"autoRenew as string", `{"instanceId":"1","autoRenew":"true"}`, func(i Instance) bool { return i.AutoRenew != nil && *i.AutoRenew }},
		{"autoRenew false", `{"instanceId":"1","autoRenew":false}`, func(i Instance) bool { return i.AutoRenew != nil && !*i.AutoRenew }},
		{"autoRenew null is absent", `{"instanceId":"1","autoRenew":null}`, func(i Instance) bool { return i.AutoRenew == nil }},
		{"autoRenew empty is absent", `{"instanceId":"1","autoRenew":""}`, func(i Instance) bool { return i.AutoRenew == nil }},
		{"autoRenew missing is absent", `{"instanceId":"1"}`, func(i Instance) bool { return i.AutoRenew == nil }},
		{"instanceId as number", `{"instanceId":932237369560662463}`, func(i Instance) bool { return i.ID == "932237369560662463" }},
		{"instanceId with escape", `{"instanceId":"a\u0062c"}`, func(i Instance) bool { return i.ID == "abc" }},
		{"wrapped null tags", `{"instanceId":"1","tags":{"tags":null}}`, func(i Instance) bool { return i.TagList == nil }},
		{"type from object", `{"instanceId":"1","instanceType":{"instanceTypeId":"M6C"}}`, func(i Instance) bool { return i.Type == "M6C" }},
		{"expiry Z", `{"instanceId":"1","expiredTime":"2026-02-02T00:00:00Z"}`, func(i Instance) bool { return i.ExpiresAt != nil && i.ExpiresAt.Equal(expiry) }},
		{"expiry offset", `{"instanceId":"1","expiredTime":"2026-02-02T08:00:00+08:00"}`, func(i Instance) bool {
			return i.ExpiresAt != nil && *i.ExpiresAt == expiry
		}},
		{"expiry fraction", `{"instanceId":"1","expiredTime":"2026-02-02T00:00:00.000Z"}`, func(i Instance) bool { return i.ExpiresAt != nil && i.ExpiresAt.Equal(expiry) }},
		{"expiry no zone", `{"instanceId":"1","expiredTime":"2026-02-02T00:00:00"}`, func(i Instance) bool { return i.ExpiresAt != nil && i.ExpiresAt.Equal(expiry) }},
		{"expiry space", `{"instanceId":"1","expiredTime":"2026-02-02 00:00:00"}`, func(i Instance) bool { return i.ExpiresAt != nil && i.ExpiresAt.Equal(expiry) }},
		{"expiry empty", `{"instanceId":"1","expiredTime":""}`, func(i Instance) bool { return i.ExpiresAt == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeOne(t, tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(got) {
				t.Errorf("decoded %+v fails the check", got)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, raw, field string // field "" means a JSON type error
	}{
		{"bad createTime", `{"instanceId":"42","createTime":"2026-13-45"}`, "createTime"},
		{"bad expiredTime", `{"instanceId":"42","expiredTime":"next week"}`, "expiredTime"},
		{"period not a number", `{"instanceId":"42","period":"three"}`, ""},
		{"period fraction", `{"instanceId":"42","period":1.5}`, ""},
		{"autoRenew garbage", `{"instanceId":"42","autoRenew":"maybe"}`, ""},
		{"instanceId object", `{"instanceId":{"x":1}}`, ""},
		{"tags not wrapped", `{"instanceId":"42","tags":[{"key":"a","value":"b"}]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeOne(t, tt.raw)
			if err == nil {
				t.Fatal("decode succeeded, want an error")
			}
			if tt.field == "" {
				return
			}
			de, ok := errors.AsType[*DecodeError](err)
			if !ok || de.Field != tt.field || de.InstanceID != "42" {
				t.Fatalf("err = %v, want a DecodeError for %s of instance 42", err, tt.field)
			}
			for _, part := range []string{tt.field, "42"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
		})
	}
}

func TestFlexInt64(t *testing.T) {
	tests := []struct {
		in    string
		want  int64
		valid bool
		bad   bool
	}{
		{`123`, 123, true, false},
		{`"123"`, 123, true, false},
		{`" 123 "`, 123, true, false},
		{`-5`, -5, true, false},
		{`1e3`, 1000, true, false},
		{`"9223372036854775807"`, 9223372036854775807, true, false},
		{`null`, 0, false, false},
		{`""`, 0, false, false},
		{`"abc"`, 0, false, true},
		{`1.5`, 0, false, true},
		{`true`, 0, false, true},
		{`"99999999999999999999"`, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var n flexInt64
			err := json.Unmarshal([]byte(tt.in), &n)
			if (err != nil) != tt.bad {
				t.Fatalf("Unmarshal(%s) error = %v, want error %v", tt.in, err, tt.bad)
			}
			if !tt.bad && (n.Value != tt.want || n.Valid != tt.valid) {
				t.Errorf("Unmarshal(%s) = %+v, want {%d %v}", tt.in, n, tt.want, tt.valid)
			}
		})
	}
}

// TestDecodeNullsThroughTheAPI lists a page whose instance is all nulls except its ID.
func TestDecodeNullsThroughTheAPI(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, req apiRequest) {
		fmt.Fprint(w, `{"requestId":"T","response":{"requestId":null,"totalCount":"1","dataSet":[{"instanceId":"1","zoneId":null,
			"tags":null,"createTime":null,"period":null,"autoRenew":null,"publicIpAddresses":null}]}}`)
	})
	c := newTestClient(t, f)
	got, err := c.ListInstances(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Instance{{ID: "1"}}, got); diff != "" {
		t.Errorf("listing mismatch (-want +got):\n%s", diff)
	}
}
