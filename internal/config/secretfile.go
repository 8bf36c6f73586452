package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Environment variables that fill what the file leaves empty.
const (
	EnvAccessKeyID     = "ZENLAYER_ACCESS_KEY_ID"
	EnvAccessKeySecret = "ZENLAYER_ACCESS_KEY_SECRET"
	EnvToken           = "ZENLAYER_TOKEN"
	// EnvCredentialsDirectory is set by systemd for units with LoadCredential= and is the only
	// variable expanded in secret file paths, written ${CREDENTIALS_DIRECTORY}.
	EnvCredentialsDirectory = "CREDENTIALS_DIRECTORY"
)

const (
	credentialsDirectoryRef = "${" + EnvCredentialsDirectory + "}"
	maxSecretSize           = 64 << 10
)

// fillFromEnv sets what the file left empty from the environment. Config values always win.
func fillFromEnv(c *Config, env func(string) string) {
	z := &c.Zenlayer
	if z.AccessKeyID == "" {
		z.AccessKeyID = strings.TrimSpace(env(EnvAccessKeyID))
	}
	if z.AccessKeySecretFile == "" {
		z.AccessKeySecret = Secret(strings.TrimSpace(env(EnvAccessKeySecret)))
	}
	if z.TokenFile == "" {
		z.Token = Secret(strings.TrimSpace(env(EnvToken)))
	}
}

// loadSecrets reads every configured secret file into its Secret field. A file under an unset
// ${CREDENTIALS_DIRECTORY} is not read: it is listed in ServiceOnly, with a warning.
func loadSecrets(c *Config, env func(string) string, baseDir string) (errs []error, warns []string) {
	files := []struct {
		key  string
		path string
		dst  *Secret
	}{
		{keyAccessKeySecretFile, c.Zenlayer.AccessKeySecretFile, &c.Zenlayer.AccessKeySecret},
		{keyTokenFile, c.Zenlayer.TokenFile, &c.Zenlayer.Token},
		{keyWebhookURLFile, c.Notify.WebhookURLFile, &c.Notify.WebhookURL},
		{keyPostgresDSNFile, c.State.Postgres.DSNFile, &c.State.Postgres.DSN},
	}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		if serviceOnly(f.path, env) {
			c.ServiceOnly = append(c.ServiceOnly, f.key)
			warns = append(warns, serviceOnlyWarning(f.key))
			continue
		}
		s, warn, err := readSecretFile(f.key, f.path, env, baseDir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if warn != "" {
			warns = append(warns, warn)
		}
		*f.dst = s
	}
	return errs, warns
}

// readSecretFile reads the secret file named by key. Relative paths resolve against baseDir. A
// file others can read is refused; one its group can read gives a warning. Errors name the key and
// the path, never the content.
func readSecretFile(key, raw string, env func(string) string, baseDir string) (Secret, string, error) {
	path, err := expandCredentialsDirectory(raw, env)
	if err != nil {
		return "", "", &KeyError{Key: key, Msg: err.Error()}
	}
	if !filepath.IsAbs(path) && baseDir != "" {
		path = filepath.Join(baseDir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if !looksLikePath(raw) && errors.As(err, &pe) {
			return "", "", &KeyError{Key: key, Err: fmt.Errorf("cannot open the file: %w "+
				"(the value is not shown: it does not look like a path and may be the secret itself)", pe.Err)}
		}
		return "", "", &KeyError{Key: key, Err: err}
	}
	defer f.Close()
	warn, err := checkSecretMode(key, path, f)
	if err != nil {
		return "", "", err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecretSize+1))
	switch {
	case err != nil:
		return "", "", &KeyError{Key: key, Err: err}
	case len(data) > maxSecretSize:
		return "", "", keyErr(key, "%s is larger than %d KiB", path, maxSecretSize>>10)
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return "", "", keyErr(key, "%s is empty", path)
	}
	return Secret(s), warn, nil
}

// checkSecretMode refuses a directory or a file others can read and warns about one its group
// can read.
func checkSecretMode(key, path string, f *os.File) (warn string, err error) {
	st, err := f.Stat()
	if err != nil {
		return "", &KeyError{Key: key, Err: err}
	}
	if st.IsDir() {
		return "", keyErr(key, "%s is a directory", path)
	}
	if runtime.GOOS == "windows" {
		return "", nil
	}
	perm := st.Mode().Perm()
	switch {
	case perm&0o004 != 0:
		return "", keyErr(key, "refusing %s: it is readable by others (mode %04o); chmod 600 it", path, perm)
	case perm&0o040 != 0:
		return fmt.Sprintf("%s: %s is readable by its group (mode %04o)", key, path, perm), nil
	}
	return "", nil
}

// expandCredentialsDirectory replaces ${CREDENTIALS_DIRECTORY}, and nothing else, in a secret file
// path.
func expandCredentialsDirectory(path string, env func(string) string) (string, error) {
	if !containsRef(path) {
		return path, nil
	}
	dir := env(EnvCredentialsDirectory)
	if dir == "" {
		return "", fmt.Errorf("%s is not set (systemd sets it for units with LoadCredential=)",
			credentialsDirectoryRef)
	}
	return strings.ReplaceAll(path, credentialsDirectoryRef, dir), nil
}

// containsRef reports whether a secret file path names ${CREDENTIALS_DIRECTORY}.
func containsRef(path string) bool { return strings.Contains(path, credentialsDirectoryRef) }

// looksLikePath tells a file name from a secret pasted into a *_file key by mistake: a value of 16
// or more characters with no directory separator, dot or variable is not shown in errors.
func looksLikePath(s string) bool {
	return len(s) < 16 || strings.ContainsAny(s, `/\.$`)
}
