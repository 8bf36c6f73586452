package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// envMap returns an env lookup backed by m.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeFile writes content to dir/name with exactly mode (whatever the umask), creating parents.
func writeFile(t *testing.T, dir, name, content string, mode fs.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// readFixture returns the contents of testdata/name.
func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// errLines splits a joined error into its messages.
func errLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

// mustParse parses yaml text that must be valid.
func mustParse(t *testing.T, text string, env func(string) string, baseDir string) *Config {
	t.Helper()
	c, err := Parse([]byte(text), env, baseDir)
	if err != nil {
		t.Fatalf("Parse: unexpected error:\n%v", err)
	}
	return c
}

// parseErr parses yaml text that must be invalid and returns the messages.
func parseErr(t *testing.T, text string, env func(string) string, baseDir string) []string {
	t.Helper()
	c, err := Parse([]byte(text), env, baseDir)
	if err == nil {
		t.Fatalf("Parse(%q): got no error, want one", text)
	}
	if c != nil {
		t.Errorf("Parse(%q): got a config along with the error, want nil", text)
	}
	return errLines(err)
}

// joined returns the errors inside an errors.Join result.
func joined(err error) []error {
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) {
		return j.Unwrap()
	}
	return []error{err}
}
