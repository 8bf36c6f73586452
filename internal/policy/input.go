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

// inputValue builds the §5 input document for one instance directly as an OPA value: the
// document json.Marshal would give, except that nil tags and IP lists are empty rather than
// null (the schema says they are an object and arrays), and that it holds only the instance
// fields in fields (see inputFields).
func inputValue(now, params *ast.Term, in *Instance, fields []instanceField) ast.Value {
	instance := ast.NewObjectWithCapacity(len(fields))
	for _, f := range fields {
		instance.Insert(f.key, f.value(in))
	}
	return ast.NewObject(
		[2]*ast.Term{keyNow, now},
		[2]*ast.Term{keyParams, params},
		[2]*ast.Term{keyInstance, ast.NewTerm(instance)},
	)
}

// instanceField builds one field of input.instance.
type instanceField struct {
	name  string
	key   *ast.Term
	value func(*Instance) *ast.Term
}

// instanceFields lists every field of input.instance, in the order of the §5 document.
var instanceFields = []instanceField{
	{"id", keyID, func(in *Instance) *ast.Term { return ast.StringTerm(in.ID) }},
	{"name", keyName, func(in *Instance) *ast.Term { return ast.StringTerm(in.Name) }},
	{"hostname", keyHostname, func(in *Instance) *ast.Term { return ast.StringTerm(in.Hostname) }},
	{"zone", keyZone, func(in *Instance) *ast.Term { return ast.StringTerm(in.Zone) }},
	{"type", keyType, func(in *Instance) *ast.Term { return ast.StringTerm(in.Type) }},
	{"status", keyStatus, func(in *Instance) *ast.Term { return ast.StringTerm(in.Status) }},
	{"charge_type", keyChargeType, func(in *Instance) *ast.Term { return ast.StringTerm(in.ChargeType) }},
	{"internet_charge_type", keyInternetChargeType, func(in *Instance) *ast.Term { return ast.StringTerm(in.InternetChargeType) }},
	{"created_at", keyCreatedAt, func(in *Instance) *ast.Term { return ast.StringTerm(formatTime(in.CreatedAt)) }},
	{"age_seconds", keyAgeSeconds, func(in *Instance) *ast.Term { return ast.InternedTerm(in.AgeSeconds) }},
	{"expires_at", keyExpiresAt, func(in *Instance) *ast.Term {
		if in.ExpiresAt == nil {
			return ast.InternedNullTerm
		}
		return ast.StringTerm(formatTime(*in.ExpiresAt))
	}},
	{"auto_renew", keyAutoRenew, func(in *Instance) *ast.Term { return ast.InternedTerm(in.AutoRenew) }},
	{"period_months", keyPeriodMonths, func(in *Instance) *ast.Term {
		if in.PeriodMonths == nil {
			return ast.InternedNullTerm
		}
		return ast.InternedTerm(*in.PeriodMonths)
	}},
	{"resource_group", keyResourceGroup, func(in *Instance) *ast.Term {
		return ast.ObjectTerm(
			[2]*ast.Term{keyID, ast.StringTerm(in.ResourceGroup.ID)},
			[2]*ast.Term{keyName, ast.StringTerm(in.ResourceGroup.Name)},
		)
	}},
	{"tags", keyTags, func(in *Instance) *ast.Term { return tagsTerm(in.Tags) }},
	{"public_ips", keyPublicIPs, func(in *Instance) *ast.Term { return stringsTerm(in.PublicIPs) }},
	{"private_ips", keyPrivateIPs, func(in *Instance) *ast.Term { return stringsTerm(in.PrivateIPs) }},
	{"traffic", keyTraffic, func(in *Instance) *ast.Term { return trafficTerm(in.Traffic) }},
}

// fieldsFor returns the instance fields f says the policies may read.
func fieldsFor(f *inputFields) []instanceField {
	var out []instanceField
	for _, field := range instanceFields {
		if f.needs(field.name) {
			out = append(out, field)
		}
	}
	return out
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
