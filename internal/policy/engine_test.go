package policy

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/reaper-bmc/reaper/policies"
)

func TestLoadBundled(t *testing.T) {
	e, err := Load(context.Background(), Options{FS: policies.FS})
	if err != nil {
		t.Fatalf("Load(bundled): %v", err)
	}
	want := []string{"reaper.expiry", "reaper.failed", "reaper.idle", "reaper.keep", "reaper.snooze", "reaper.tags"}
	if diff := cmp.Diff(want, e.Packages()); diff != "" {
		t.Errorf("Packages() mismatch (-want +got):\n%s", diff)
	}
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(e.Digest()) {
		t.Errorf("Digest() = %q, want sha256:<64 hex>", e.Digest())
	}
	if diff := cmp.Diff(policies.DefaultParams(), e.DefaultParams()); diff != "" {
		t.Errorf("DefaultParams() differs from params.json (-want +got):\n%s", diff)
	}
}

func TestDigest(t *testing.T) {
	files := fstest.MapFS{
		"a.rego":      {Data: []byte(src("package reaper.a", `warn contains "a" if input.instance.id == "x"`))},
		"a_test.rego": {Data: []byte(src("package reaper.a_test", "test_a if true"))},
		"params.json": {Data: []byte(`{"a": 1}`)},
	}
	digest := func(fsys fstest.MapFS) string {
		t.Helper()
		e, err := Load(context.Background(), Options{FS: fsys})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		return e.Digest()
	}
	base := digest(files)
	if got := digest(files); got != base {
		t.Errorf("digest of the same files = %s, then %s", base, got)
	}
	changed := func(name, data string) fstest.MapFS {
		out := fstest.MapFS{}
		for k, v := range files {
			out[k] = v
		}
		out[name] = &fstest.MapFile{Data: []byte(data)}
		return out
	}
	if got := digest(changed("a_test.rego", src("package reaper.a_test", "test_b if true"))); got != base {
		t.Errorf("changing a test file changed the digest: %s, want %s", got, base)
	}
	for _, c := range []struct{ name, data string }{
		{"a.rego", src("package reaper.a", `warn contains "b" if input.instance.id == "x"`)},
		{"params.json", `{"a": 2}`},
		{"b.rego", src("package reaper.lib.b", "x := 1")},
	} {
		if got := digest(changed(c.name, c.data)); got == base {
			t.Errorf("changing %s left the digest at %s", c.name, got)
		}
	}
}

func TestLoadDirRecursiveWithParams(t *testing.T) {
	e := loadPolicies(t, map[string]string{
		"team/a.rego":     src("package reaper.a", `terminate contains "a" if input.params.a.on == true`),
		"b.rego":          src("package reaper.b", `exempt contains "b" if input.instance.name == "keep"`),
		".hidden/c.rego":  "this is not rego",
		"params.json":     `{"a": {"on": true}}`,
		"notes/README.md": "ignored",
	})
	if diff := cmp.Diff([]string{"reaper.a", "reaper.b"}, e.Packages()); diff != "" {
		t.Errorf("Packages() mismatch (-want +got):\n%s", diff)
	}
	d := evaluateOne(t, e, nil, instance("1", 0, nil))
	if got, want := policiesOf(d.Terminate), []string{"reaper.a"}; !cmp.Equal(got, want) {
		t.Errorf("terminate policies = %v, want %v (params.json defaults apply)", got, want)
	}
	d = evaluateOne(t, e, map[string]any{"a": map[string]any{"on": false}}, instance("1", 0, nil))
	if len(d.Terminate) != 0 {
		t.Errorf("terminate with a.on overridden to false = %v, want none", d.Terminate)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // substrings of the error
	}{
		{"package outside reaper.", src("package other", `terminate contains "x" if true`),
			[]string{"p.rego:1", "package other is outside reaper."}},
		{"package reaper itself", src("package reaper", `terminate contains "x" if true`),
			[]string{"p.rego:1", "package reaper is outside reaper."}},
		{"terminate is a string", src("package reaper.p", `terminate := "x"`),
			[]string{"p.rego:2", "reaper.p.terminate must be a set of reasons"}},
		{"terminate is a boolean rule", src("package reaper.p", `terminate if input.instance.id == "x"`),
			[]string{"p.rego:2", "reaper.p.terminate must be a set of reasons"}},
		{"terminate is a default", src("package reaper.p", `default exempt := false`),
			[]string{"p.rego:2", "reaper.p.exempt must be a set of reasons"}},
		{"terminate is a function", src("package reaper.p", `warn(x) := x if true`),
			[]string{"p.rego:2", "reaper.p.warn must be a set of reasons"}},
		{"terminate is an object", src("package reaper.p", `terminate[x] := 1 if x := input.instance.id`),
			[]string{"p.rego:2", "must be a set of reasons"}},
		{"terminate below the top", src("package reaper.p", `sub.terminate contains "x" if true`),
			[]string{"p.rego:2", "must be defined at the top of its package"}},
		{"library with terminate", src("package reaper.lib.x", `terminate contains "x" if true`),
			[]string{"p.rego:2", "reaper.lib may not define terminate"}},
		{"policy without sets", src("package reaper.p", `terminat contains "x" if true`),
			[]string{"p.rego:1", "package reaper.p defines none of terminate, exempt, warn"}},
		{"empty literal reason", src("package reaper.p", `terminate contains "  " if true`),
			[]string{"p.rego:2", "is empty"}},
		{"number reason", src("package reaper.p", `terminate contains 42 if true`),
			[]string{"p.rego:2", "reason 42 is not a string"}},
		{"object reason without reason", src("package reaper.p", `terminate contains {"why": "x"} if true`),
			[]string{"p.rego:2", `has no "reason" field`}},
		{"object reason with empty reason", src("package reaper.p", `exempt contains {"reason": ""} if true`),
			[]string{"p.rego:2", `has an empty "reason"`}},
		{"http.send", src("package reaper.p", "terminate contains \"x\" if {", `	http.send({"method": "get", "url": "http://127.0.0.1/"})`, "}"),
			[]string{"p.rego:3", "builtin http.send is not allowed"}},
		{"time.now_ns", src("package reaper.p", "terminate contains \"x\" if {", "\ttime.now_ns() > 0", "}"),
			[]string{"p.rego:3", "builtin time.now_ns is not allowed"}},
		{"net.lookup_ip_addr", src("package reaper.p", "terminate contains \"x\" if {", `	net.lookup_ip_addr("example.com")`, "}"),
			[]string{"p.rego:3", "builtin net.lookup_ip_addr is not allowed"}},
		{"opa.runtime", src("package reaper.p", "terminate contains \"x\" if {", "\topa.runtime().env.HOME", "}"),
			[]string{"p.rego:3", "builtin opa.runtime is not allowed"}},
		{"rand.intn", src("package reaper.p", "terminate contains \"x\" if {", `	rand.intn("x", 10) == 1`, "}"),
			[]string{"p.rego:3", "builtin rand.intn is not allowed"}},
		{"uuid.rfc4122", src("package reaper.p", "terminate contains \"x\" if {", `	uuid.rfc4122("x")`, "}"),
			[]string{"p.rego:3", "builtin uuid.rfc4122 is not allowed"}},
		{"input typo", src("package reaper.p", "terminate contains \"x\" if {", `	input.instance.tag.owner == "ci"`, "}"),
			[]string{"p.rego:3", "undefined ref: input.instance.tag.owner"}},
		{"traffic typo", src("package reaper.p", "terminate contains \"x\" if {", "\tinput.instance.traffic.in_p95 < 10", "}"),
			[]string{"p.rego:3", "undefined ref: input.instance.traffic.in_p95"}},
		{"top-level input typo", src("package reaper.p", "terminate contains \"x\" if {", `	input.nowish == "x"`, "}"),
			[]string{"p.rego:3", "undefined ref: input.nowish"}},
		{"strict: unused variable", src("package reaper.p", "terminate contains \"x\" if {", "\tsome x", `	input.instance.id == "a"`, "}"),
			[]string{"p.rego:3", "declared var x unused"}},
		{"parse error", src("package reaper.p", `terminate contains "x" if {`),
			[]string{"p.rego:", "rego_parse_error"}},
		{"Rego v0 syntax", src("package reaper.p", `terminate["x"] { true }`),
			[]string{"p.rego:2", "rego_parse_error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writePolicies(t, map[string]string{"p.rego": tt.src})
			e, err := Load(context.Background(), Options{Dir: dir})
			if err == nil {
				t.Fatalf("Load succeeded (packages %v), want an error containing %q", e.Packages(), tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadNoPolicies(t *testing.T) {
	tests := map[string]Options{
		"empty directory":    {Dir: writePolicies(t, map[string]string{"README": "none"})},
		"only tests":         {Dir: writePolicies(t, map[string]string{"a_test.rego": src("package reaper.a_test", "test_a if true")})},
		"only a library":     {Dir: writePolicies(t, map[string]string{"lib.rego": src("package reaper.lib", "x := 1")})},
		"neither dir nor fs": {},
		"empty fs":           {FS: fstest.MapFS{}},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Load(context.Background(), opts)
			if !errors.Is(err, ErrNoPolicies) {
				t.Errorf("Load error = %v, want ErrNoPolicies", err)
			}
		})
	}
}

func TestLoadMissingDir(t *testing.T) {
	_, err := Load(context.Background(), Options{Dir: t.TempDir() + "/missing"})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Load of a missing directory: error = %v, want one naming the directory", err)
	}
}

func TestSandboxCapabilities(t *testing.T) {
	caps := capabilities()
	have := map[string]bool{}
	for _, b := range caps.Builtins {
		have[b.Name] = true
	}
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		if b.Nondeterministic && have[b.Name] {
			t.Errorf("non-deterministic builtin %s is allowed", b.Name)
		}
		for _, prefix := range []string{"http.", "net.", "rand.", "opa."} {
			if strings.HasPrefix(b.Name, prefix) && have[b.Name] {
				t.Errorf("builtin %s is allowed", b.Name)
			}
		}
	}
	for _, name := range deniedBuiltins {
		if have[name] {
			t.Errorf("denied builtin %s is allowed", name)
		}
	}
	for _, name := range []string{"regex.match", "time.parse_rfc3339_ns", "time.parse_ns", "sprintf", "print", "internal.print", "object.get", "to_number", "trim_space", "json.marshal"} {
		if !have[name] {
			t.Errorf("pure builtin %s is missing from the sandbox", name)
		}
	}
	if caps.AllowNet == nil || len(caps.AllowNet) != 0 {
		t.Errorf("AllowNet = %#v, want empty (no host)", caps.AllowNet)
	}
}
