package policy

import (
	"maps"
	"slices"
	"strings"
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
	keyTagList            = ast.StringTerm("tag_list")
	keyReaperTags         = ast.StringTerm("reaper_tags")
	keyKey                = ast.StringTerm("key")
	keyValue              = ast.StringTerm("value")
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
// document json.Marshal would give, except that nil tags, tag lists and IP lists are empty
// rather than null (the schema says they are objects and arrays), that a zero created_at is
// null, that age_seconds is derived here from now and created_at (absent when created_at is),
// and that it holds only the instance fields in fields (see inputFields).
func inputValue(sh shared, params *ast.Term, in *Instance, fields []instanceField) ast.Value {
	instance := ast.NewObjectWithCapacity(len(fields))
	for _, f := range fields {
		if v := f.value(in, sh.time); v != nil {
			instance.Insert(f.key, v)
		}
	}
	return ast.NewObject(
		[2]*ast.Term{keyNow, sh.now},
		[2]*ast.Term{keyParams, params},
		[2]*ast.Term{keyInstance, ast.NewTerm(instance)},
	)
}

// instanceField builds one field of input.instance at the evaluation time now; a nil value
// leaves the field out.
type instanceField struct {
	name  string
	key   *ast.Term
	value func(in *Instance, now time.Time) *ast.Term
}

// instanceFields lists every field of input.instance, in the order of the §5 document.
var instanceFields = []instanceField{
	{"id", keyID, func(in *Instance, _ time.Time) *ast.Term { return ast.StringTerm(in.ID) }},
	{"name", keyName, func(in *Instance, _ time.Time) *ast.Term { return ast.StringTerm(in.Name) }},
	{"hostname", keyHostname, func(in *Instance, _ time.Time) *ast.Term { return ast.StringTerm(in.Hostname) }},
	{"zone", keyZone, func(in *Instance, _ time.Time) *ast.Term { return ast.StringTerm(in.Zone) }},
	{"type", keyType, func(in *Instance, _ time.Time) *ast.Term { return ast.StringTerm(in.Type) }},
	{"status", keyStatus, func(in *Instance, _ time.Time) *ast.Term { return ast.StringTerm(in.Status) }},
	{"charge_type", keyChargeType, func(in *Instance, _ time.Time) *ast.Term { return ast.StringTerm(in.ChargeType) }},
	{"internet_charge_type", keyInternetChargeType, func(in *Instance, _ time.Time) *ast.Term { return ast.StringTerm(in.InternetChargeType) }},
	{"created_at", keyCreatedAt, func(in *Instance, _ time.Time) *ast.Term {
		if in.CreatedAt.IsZero() {
			return ast.InternedNullTerm
		}
		return ast.StringTerm(formatTime(in.CreatedAt))
	}},
	{"age_seconds", keyAgeSeconds, func(in *Instance, now time.Time) *ast.Term {
		age, ok := AgeSeconds(now, in.CreatedAt)
		if !ok {
			return nil
		}
		return ast.InternedTerm(age)
	}},
	{"expires_at", keyExpiresAt, func(in *Instance, _ time.Time) *ast.Term {
		if in.ExpiresAt == nil {
			return ast.InternedNullTerm
		}
		return ast.StringTerm(formatTime(*in.ExpiresAt))
	}},
	{"auto_renew", keyAutoRenew, func(in *Instance, _ time.Time) *ast.Term {
		if in.AutoRenew == nil {
			return ast.InternedNullTerm
		}
		return ast.InternedTerm(*in.AutoRenew)
	}},
	{"period_months", keyPeriodMonths, func(in *Instance, _ time.Time) *ast.Term {
		if in.PeriodMonths == nil {
			return ast.InternedNullTerm
		}
		return ast.InternedTerm(*in.PeriodMonths)
	}},
	{"resource_group", keyResourceGroup, func(in *Instance, _ time.Time) *ast.Term {
		return ast.ObjectTerm(
			[2]*ast.Term{keyID, ast.StringTerm(in.ResourceGroup.ID)},
			[2]*ast.Term{keyName, ast.StringTerm(in.ResourceGroup.Name)},
		)
	}},
	{"tags", keyTags, func(in *Instance, _ time.Time) *ast.Term { return tagsTerm(in) }},
	{"tag_list", keyTagList, func(in *Instance, _ time.Time) *ast.Term { return tagListTerm(in) }},
	{"reaper_tags", keyReaperTags, func(in *Instance, _ time.Time) *ast.Term { return reaperTagsTerm(in) }},
	{"public_ips", keyPublicIPs, func(in *Instance, _ time.Time) *ast.Term { return stringsTerm(in.PublicIPs) }},
	{"private_ips", keyPrivateIPs, func(in *Instance, _ time.Time) *ast.Term { return stringsTerm(in.PrivateIPs) }},
	{"traffic", keyTraffic, func(in *Instance, _ time.Time) *ast.Term { return trafficTerm(in.Traffic) }},
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

// tagsTerm is input.instance.tags: Tags, or the first value of each key of TagList when a
// document gave only the list.
func tagsTerm(in *Instance) *ast.Term {
	if len(in.Tags) == 0 && len(in.TagList) > 0 {
		obj := ast.NewObjectWithCapacity(len(in.TagList))
		for _, t := range in.TagList {
			if k := ast.StringTerm(t.Key); obj.Get(k) == nil {
				obj.Insert(k, ast.StringTerm(t.Value))
			}
		}
		return ast.NewTerm(obj)
	}
	obj := ast.NewObjectWithCapacity(len(in.Tags))
	for k, v := range in.Tags {
		obj.Insert(ast.StringTerm(k), ast.StringTerm(v))
	}
	return ast.NewTerm(obj)
}

// tagListTerm is input.instance.tag_list: TagList, or the pairs of Tags sorted by key when a
// document gave only the map, so that a policy reading the list never misses a tag.
func tagListTerm(in *Instance) *ast.Term {
	tags := in.TagList
	if len(tags) == 0 && len(in.Tags) > 0 {
		tags = make([]Tag, 0, len(in.Tags))
		for _, k := range slices.Sorted(maps.Keys(in.Tags)) {
			tags = append(tags, Tag{Key: k, Value: in.Tags[k]})
		}
	}
	elems := make([]*ast.Term, len(tags))
	for i, t := range tags {
		elems[i] = ast.ObjectTerm([2]*ast.Term{keyKey, ast.StringTerm(t.Key)}, [2]*ast.Term{keyValue, ast.StringTerm(t.Value)})
	}
	return ast.ArrayTerm(elems...)
}

// reaperPrefix starts every reaper-owned tag key, matched in any case.
const reaperPrefix = "reaper-"

// reaperTagsTerm is input.instance.reaper_tags, derived by the engine: every reaper-owned tag
// key of the instance (one that, trimmed and in lower case, starts with "reaper-"), trimmed and
// in lower case, mapped to the set of its values, trimmed. A repeated key gives every value.
// data.reaper.lib.tag_values reads it, so that loose matching costs a lookup per instance rather
// than a scan in Rego; it computes the same from tag_list when a document lacks it (Rego tests).
func reaperTagsTerm(in *Instance) *ast.Term {
	var obj ast.Object
	add := func(k, v string) {
		k = strings.TrimSpace(k)
		if len(k) < len(reaperPrefix) || !strings.EqualFold(k[:len(reaperPrefix)], reaperPrefix) {
			return
		}
		if obj == nil {
			obj = ast.NewObject()
		}
		key := ast.StringTerm(strings.ToLower(k))
		values := obj.Get(key)
		if values == nil {
			values = ast.SetTerm()
			obj.Insert(key, values)
		}
		values.Value.(ast.Set).Add(ast.StringTerm(strings.TrimSpace(v)))
	}
	if len(in.TagList) > 0 {
		for _, t := range in.TagList {
			add(t.Key, t.Value)
		}
	} else {
		for k, v := range in.Tags {
			add(k, v)
		}
	}
	if obj == nil {
		return ast.InternedEmptyObject
	}
	return ast.NewTerm(obj)
}

// AgeSeconds is an instance's age at now in whole seconds, as policies see it in
// input.instance.age_seconds; ok is false when created_at is unknown (zero), and the field is
// then absent, so that no rule on age can fire. A creation time after now is age 0. The engine
// derives the age here, and only here: an age_seconds in a supplied document is never used.
func AgeSeconds(now, createdAt time.Time) (age int64, ok bool) {
	if createdAt.IsZero() {
		return 0, false
	}
	if !now.After(createdAt) {
		return 0, true
	}
	age = now.Unix() - createdAt.Unix() // whole seconds, without time.Duration's 292-year limit
	if now.Nanosecond() < createdAt.Nanosecond() {
		age--
	}
	return age, true
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
