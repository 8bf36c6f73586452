package pgstate

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// redacted replaces a secret in error text.
const redacted = "[redacted]"

// kvPassword finds a password in a keyword/value DSN: password=x or password='x y'.
var kvPassword = regexp.MustCompile(`password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s]+)`)

// secretsOf returns the strings of dsn that must never be shown: the DSN itself and its password
// in each spelling a library might print (as written, decoded, quoted or not). Longest first, so
// that the DSN is replaced before the password inside it.
func secretsOf(dsn string) []string {
	out := []string{dsn}
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			out = append(out, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
		if _, raw, ok := strings.Cut(u.User.String(), ":"); ok {
			out = append(out, raw)
		}
	}
	for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
		out = append(out, m[1], strings.Trim(m[1], "'"))
	}
	if c, err := pgx.ParseConfig(dsn); err == nil && c.Password != "" {
		out = append(out, c.Password)
	}
	var keep []string
	for _, s := range out {
		if s != "" {
			keep = append(keep, s)
		}
	}
	slices.SortStableFunc(keep, func(a, b string) int { return len(b) - len(a) })
	return keep
}

// redact returns err with every secret replaced. An error whose text held a secret is replaced by
// a plain error with the redacted text, so that no wrapped error can reveal it; any other error is
// returned as it is (errors.Is and errors.As keep working).
func redact(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range secrets {
		clean = strings.ReplaceAll(clean, s, redacted)
	}
	if clean == msg {
		return err
	}
	return errors.New(clean)
}
