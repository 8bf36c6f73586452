package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Load reads the config file at path; see Parse. Relative paths in the file (state_dir, report.dir,
// policies.dir and the secret files) resolve against the directory of the file. env looks up environment variables (os.Getenv in production); nil means
// an empty environment.
func Load(path string, env func(string) string) (*Config, error) {
	return load(path, env, true)
}

// LoadWithoutSecrets is Load without reading the secret files, for commands that need no secret
// (report, policy, state): a secret file they cannot read never fails them. The secrets are left
// empty, and the config must not be used to call the API or send notifications.
func LoadWithoutSecrets(path string, env func(string) string) (*Config, error) {
	return load(path, env, false)
}

func load(path string, env func(string) string, secrets bool) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return parse(data, env, filepath.Dir(abs), secrets)
}

// Parse builds a Config from YAML: defaults, then a strict decode of data (an empty document keeps
// every default), then env for what the file left empty, then secret files (relative paths resolve
// against baseDir), then Validate. On failure it returns every problem at once, joined with
// errors.Join; apart from a YAML syntax error, each is a *KeyError whose text starts with the key
// path. Credentials are not required here: see ValidateCredentials.
func Parse(data []byte, env func(string) string, baseDir string) (*Config, error) {
	return parse(data, env, baseDir, true)
}

func parse(data []byte, env func(string) string, baseDir string, secrets bool) (*Config, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	c := Default()
	set, errs := decodeFile(data, c)
	if set == nil {
		return nil, errors.Join(errs...)
	}
	if err := foldDryRun(c, set); err != nil {
		errs = append(errs, err)
	}
	resolvePaths(c, baseDir)
	fillFromEnv(c, env)
	var secretErrs []error
	var warns []string
	if secrets {
		secretErrs, warns = loadSecrets(c, env, baseDir)
	}
	checkErrs, checkWarns := c.check()
	errs = append(append(errs, secretErrs...), checkErrs...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.Warnings = append(warns, checkWarns...)
	return c, nil
}

// resolvePaths makes the directories a file names relative to baseDir, so a config means the
// same thing whatever the working directory of the process reading it. Secret file paths are
// resolved where they are read.
func resolvePaths(c *Config, baseDir string) {
	for _, p := range []*string{&c.StateDir, &c.Report.Dir, &c.Policies.Dir} {
		if *p != "" && baseDir != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(baseDir, *p)
		}
	}
}

// foldDryRun turns the old key dry_run into mode: dry_run: true is mode: dry-run, dry_run: false
// is mode: enforce. Writing both keys is an error, since they could disagree. Afterwards the config
// carries only Mode.
func foldDryRun(c *Config, set map[string]bool) error {
	old := c.DryRun
	c.DryRun = nil
	switch {
	case old == nil:
		return nil
	case set["mode"]:
		return keyErr("mode", "dry_run and mode are both set; keep only mode (dry_run: true is mode: %s, dry_run: false is mode: %s)",
			ModeDryRun, ModeEnforce)
	case *old:
		c.Mode = ModeDryRun
	default:
		c.Mode = ModeEnforce
	}
	return nil
}
