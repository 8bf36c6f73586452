package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// A small JSON Schema (draft 2020-12) validator for the keywords docs/report.schema.json uses.
// An unknown keyword is an error, so the schema cannot silently rely on something unchecked.

type schemaValidator struct {
	root map[string]any
}

var annotationKeywords = []string{"$schema", "$id", "$defs", "title", "description"}

func loadSchema(t *testing.T) schemaValidator {
	t.Helper()
	b, err := os.ReadFile("../../docs/report.schema.json")
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	return schemaValidator{root: root}
}

// validate returns every violation of schema by v, each prefixed with its JSON path.
func (s schemaValidator) validate(schema map[string]any, v any, path string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	for key, arg := range schema {
		switch key {
		case "$ref":
			ref, _ := arg.(string)
			target, ok := s.resolve(ref)
			if !ok {
				fail("unresolvable $ref %q", ref)
				continue
			}
			errs = append(errs, s.validate(target, v, path)...)
		case "type":
			if !matchesType(arg, v) {
				fail("type: got %s, want %v", jsonType(v), arg)
			}
		case "const":
			if !jsonEqual(arg, v) {
				fail("const: got %v, want %v", v, arg)
			}
		case "enum":
			if !slices.ContainsFunc(arg.([]any), func(e any) bool { return jsonEqual(e, v) }) {
				fail("enum: %v is not one of %v", v, arg)
			}
		case "minimum":
			if n, ok := v.(float64); ok && n < arg.(float64) {
				fail("minimum: %v < %v", n, arg)
			}
		case "pattern":
			if str, ok := v.(string); ok && !regexp.MustCompile(arg.(string)).MatchString(str) {
				fail("pattern: %q does not match %s", str, arg)
			}
		case "format":
			if str, ok := v.(string); ok && arg == "date-time" {
				if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
					fail("format date-time: %v", err)
				}
			}
		case "required":
			if obj, ok := v.(map[string]any); ok {
				for _, name := range arg.([]any) {
					if _, ok := obj[name.(string)]; !ok {
						fail("required property %q missing", name)
					}
				}
			}
		case "properties":
			errs = append(errs, s.validateObject(schema, v, path)...)
		case "additionalProperties":
			if _, ok := schema["properties"]; !ok {
				errs = append(errs, s.validateObject(schema, v, path)...)
			}
		case "items":
			if arr, ok := v.([]any); ok {
				for i, item := range arr {
					errs = append(errs, s.validate(arg.(map[string]any), item, fmt.Sprintf("%s[%d]", path, i))...)
				}
			}
		case "oneOf":
			matched := 0
			for _, sub := range arg.([]any) {
				if len(s.validate(sub.(map[string]any), v, path)) == 0 {
					matched++
				}
			}
			if matched != 1 {
				fail("oneOf: %d alternatives match, want exactly 1", matched)
			}
		default:
			if !slices.Contains(annotationKeywords, key) {
				fail("unsupported schema keyword %q", key)
			}
		}
	}
	return errs
}

// validateObject checks properties and additionalProperties together; validate calls it once per
// schema.
func (s schemaValidator) validateObject(schema map[string]any, v any, path string) []string {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	props, _ := schema["properties"].(map[string]any)
	var errs []string
	for name, val := range obj {
		if sub, ok := props[name]; ok {
			errs = append(errs, s.validate(sub.(map[string]any), val, path+"."+name)...)
			continue
		}
		switch extra := schema["additionalProperties"].(type) {
		case bool:
			if !extra {
				errs = append(errs, fmt.Sprintf("%s: additional property %q not allowed", path, name))
			}
		case map[string]any:
			errs = append(errs, s.validate(extra, val, path+"."+name)...)
		}
	}
	return errs
}

func (s schemaValidator) resolve(ref string) (map[string]any, bool) {
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		return nil, false
	}
	defs, _ := s.root["$defs"].(map[string]any)
	target, ok := defs[name].(map[string]any)
	return target, ok
}

func matchesType(want, v any) bool {
	if list, ok := want.([]any); ok {
		return slices.ContainsFunc(list, func(w any) bool { return matchesType(w, v) })
	}
	got := jsonType(v)
	return got == want || (want == "number" && got == "integer")
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if v == math.Trunc(v) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// validateDoc validates a whole report.json document.
func (s schemaValidator) validateDoc(t *testing.T, doc []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("report.json does not parse: %v", err)
	}
	schema := map[string]any{}
	for k, val := range s.root {
		schema[k] = val
	}
	errs := s.validate(schema, v, "$")
	slices.Sort(errs)
	return errs
}

func renderJSON(t *testing.T, r *Run) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	return b.Bytes()
}

func TestReportMatchesSchema(t *testing.T) {
	s := loadSchema(t)
	blocked := sampleRun(t)
	blocked.Result, blocked.Error = ResultBlocked, ""
	blocked.Blocked = &Block{Limit: reconcile.LimitPercent, Value: 10, Observed: 35.7, Due: 5, Message: "5 due is 35.7% of the inventory"}
	runs := map[string]*Run{
		"acting":  sampleRun(t),
		"plan":    planRun(t),
		"blocked": blocked,
		"evil":    evilRun(t, "<script>alert(1)</script>"),
		"empty": func() *Run {
			r := &Run{RunID: "r1", Command: reconcile.CommandRun, Result: ResultAborted, Error: "inventory failed"}
			r.Finalize(nil)
			return r
		}(),
		"never finalized": {RunID: "r2", Command: reconcile.CommandPlan, Result: ResultOK, Instances: []Instance{{ID: "1", Action: ActionKept}}},
	}
	for name, r := range runs {
		t.Run(name, func(t *testing.T) {
			if errs := s.validateDoc(t, renderJSON(t, r)); len(errs) != 0 {
				t.Errorf("report.json violates the schema:\n%s", strings.Join(errs, "\n"))
			}
		})
	}
}

func TestSchemaValidatorRejects(t *testing.T) {
	s := loadSchema(t)
	good := renderJSON(t, sampleRun(t))
	tests := []struct {
		name string
		edit func(doc map[string]any)
		want string
	}{
		{"unknown action", func(d map[string]any) { instance(d)["action"] = "deleted" }, "$.instances[0].action: enum"},
		{"missing field", func(d map[string]any) { delete(instance(d), "skip_reason") }, `required property "skip_reason" missing`},
		{"extra field", func(d map[string]any) { d["surprise"] = 1 }, `additional property "surprise" not allowed`},
		{"null reasons", func(d map[string]any) { instance(d)["reasons"] = nil }, "$.instances[0].reasons: type: got null"},
		{"bad time", func(d map[string]any) { d["started_at"] = "yesterday" }, "$.started_at: format date-time"},
		{"numeric id", func(d map[string]any) { instance(d)["id"] = 932237369560662463.0 }, "$.instances[0].id: type: got integer"},
		{"wrong schema version", func(d map[string]any) { d["schema_version"] = 1 }, "$.schema_version: const"},
		{"negative count", func(d map[string]any) {
			d["summary"].(map[string]any)["by_zone"].(map[string]any)["HKG-A"] = -1
		}, "$.summary.by_zone.HKG-A: minimum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(good, &doc); err != nil {
				t.Fatal(err)
			}
			tt.edit(doc)
			b, _ := json.Marshal(doc)
			errs := s.validateDoc(t, b)
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tt.want) }) {
				t.Errorf("errors %q lack %q", errs, tt.want)
			}
		})
	}
}

func instance(doc map[string]any) map[string]any {
	return doc["instances"].([]any)[0].(map[string]any)
}
