package policy

import (
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Keys of the input document, built once.
var (
	keyNow                = ast.StringTerm("now")
	keyParams             = ast.StringTerm("params")
	keyInstance           = ast.StringTerm("instance")
	keyID                 = ast.StringTerm("id")
	keyName               = ast.StringTerm("name")
	keyHostname           = ast.StringTerm("hostname")
	keyZone               = ast.StringTerm("zone")
	keyType               = ast.StringTerm("type")
	keyStatus             = ast.StringTerm("status")
	keyChargeType         = ast.StringTerm("charge_type")
	keyInternetChargeType = ast.StringTerm("internet_charge_type")
	keyCreatedAt          = ast.StringTerm("created_at")
	keyAgeSeconds         = ast.StringTerm("age_seconds")
	keyExpiresAt          = ast.StringTerm("expires_at")
	keyAutoRenew          = ast.StringTerm("auto_renew")
	keyPeriodMonths       = ast.StringTerm("period_months")
	keyResourceGroup      = ast.StringTerm("resource_group")
	keyTags               = ast.StringTerm("tags")
	keyPublicIPs          = ast.StringTerm("public_ips")
	keyPrivateIPs         = ast.StringTerm("private_ips")
	keyTraffic            = ast.StringTerm("traffic")
	keyWindowSeconds      = ast.StringTerm("window_seconds")
	keySamples            = ast.StringTerm("samples")
	keyComplete           = ast.StringTerm("complete")
	keyInP95Bps           = ast.StringTerm("in_p95_bps")
	keyOutP95Bps          = ast.StringTerm("out_p95_bps")
	keyInAvgBps           = ast.StringTerm("in_avg_bps")
	keyOutAvgBps          = ast.StringTerm("out_avg_bps")
)

// formatTime writes a time as encoding/json does (RFC 3339 with nanoseconds), in UTC.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// inputValue builds the §5 input document for one instance directly as an OPA value, the
// same document json.Marshal would give except that nil tags and IP lists are empty rather
// than null (the schema says they are an object and arrays).
func inputValue(now, params *ast.Term, in *Instance) ast.Value {
	return ast.NewObject(
		[2]*ast.Term{keyNow, now},
		[2]*ast.Term{keyParams, params},
		[2]*ast.Term{keyInstance, ast.NewTerm(instanceValue(in))},
	)
}

func instanceValue(in *Instance) ast.Value {
	expires := ast.InternedNullTerm
	if in.ExpiresAt != nil {
		expires = ast.StringTerm(formatTime(*in.ExpiresAt))
	}
	period := ast.InternedNullTerm
	if in.PeriodMonths != nil {
		period = ast.InternedTerm(*in.PeriodMonths)
	}
	return ast.NewObject(
		[2]*ast.Term{keyID, ast.StringTerm(in.ID)},
		[2]*ast.Term{keyName, ast.StringTerm(in.Name)},
		[2]*ast.Term{keyHostname, ast.StringTerm(in.Hostname)},
		[2]*ast.Term{keyZone, ast.StringTerm(in.Zone)},
		[2]*ast.Term{keyType, ast.StringTerm(in.Type)},
		[2]*ast.Term{keyStatus, ast.StringTerm(in.Status)},
		[2]*ast.Term{keyChargeType, ast.StringTerm(in.ChargeType)},
		[2]*ast.Term{keyInternetChargeType, ast.StringTerm(in.InternetChargeType)},
		[2]*ast.Term{keyCreatedAt, ast.StringTerm(formatTime(in.CreatedAt))},
		[2]*ast.Term{keyAgeSeconds, ast.InternedTerm(in.AgeSeconds)},
		[2]*ast.Term{keyExpiresAt, expires},
		[2]*ast.Term{keyAutoRenew, ast.InternedTerm(in.AutoRenew)},
		[2]*ast.Term{keyPeriodMonths, period},
		[2]*ast.Term{keyResourceGroup, ast.ObjectTerm(
			[2]*ast.Term{keyID, ast.StringTerm(in.ResourceGroup.ID)},
			[2]*ast.Term{keyName, ast.StringTerm(in.ResourceGroup.Name)},
		)},
		[2]*ast.Term{keyTags, tagsTerm(in.Tags)},
		[2]*ast.Term{keyPublicIPs, stringsTerm(in.PublicIPs)},
		[2]*ast.Term{keyPrivateIPs, stringsTerm(in.PrivateIPs)},
		[2]*ast.Term{keyTraffic, trafficTerm(in.Traffic)},
	)
}

func tagsTerm(tags map[string]string) *ast.Term {
	obj := ast.NewObjectWithCapacity(len(tags))
	for k, v := range tags {
		obj.Insert(ast.StringTerm(k), ast.StringTerm(v))
	}
	return ast.NewTerm(obj)
}

func stringsTerm(ss []string) *ast.Term {
	elems := make([]*ast.Term, len(ss))
	for i, s := range ss {
		elems[i] = ast.StringTerm(s)
	}
	return ast.ArrayTerm(elems...)
}

func trafficTerm(t *Traffic) *ast.Term {
	if t == nil {
		return ast.InternedNullTerm
	}
	return ast.ObjectTerm(
		[2]*ast.Term{keyWindowSeconds, ast.InternedTerm(t.WindowSeconds)},
		[2]*ast.Term{keySamples, ast.InternedTerm(t.Samples)},
		[2]*ast.Term{keyComplete, ast.InternedTerm(t.Complete)},
		[2]*ast.Term{keyInP95Bps, ast.InternedTerm(t.InP95Bps)},
		[2]*ast.Term{keyOutP95Bps, ast.InternedTerm(t.OutP95Bps)},
		[2]*ast.Term{keyInAvgBps, ast.InternedTerm(t.InAvgBps)},
		[2]*ast.Term{keyOutAvgBps, ast.InternedTerm(t.OutAvgBps)},
	)
}
