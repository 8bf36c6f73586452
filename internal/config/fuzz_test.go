package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that decoding never panics, that an accepted config validates and encodes, and
// that a secret-free accepted config survives Redacted and Parse unchanged. Seeds come from
// testdata/fuzz/FuzzParse and the fixtures.
func FuzzParse(f *testing.F) {
	fixtures, err := filepath.Glob("testdata/*/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range append(fixtures, examplePath) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	base := f.TempDir()
	env := envMap(map[string]string{EnvCredentialsDirectory: base})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, env, base)
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned a config along with an error")
			}
			_ = err.Error()
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that Validate refuses: %v", err)
		}
		out, err := c.Redacted()
		if err != nil {
			t.Fatalf("Redacted: %v", err)
		}
		if c.Zenlayer.AccessKeySecret != "" || c.Zenlayer.Token != "" || c.Notify.WebhookURL != "" {
			return // [redacted] does not parse back
		}
		back, err := Parse(out, env, base)
		if err != nil {
			t.Fatalf("Parse(Redacted()): %v\n%s", err, out)
		}
		if back.Digest() != c.Digest() {
			t.Fatalf("Redacted does not round-trip:\n%s", out)
		}
	})
}
