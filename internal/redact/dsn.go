package redact

import (
	"net/url"
	"strings"
)

// DSNSecrets returns the passwords a PostgreSQL connection string holds, each as written and as
// decoded, for New: the user info of the URL form (postgres://user:password@host/db), a password
// query parameter of the URL form (?password=...), and password=... of the key=value form, quoted
// ('a b\'c') or not. It never fails: a string that is neither form, or is malformed, gives what
// could be read from it, and an empty list when there is no password.
func DSNSecrets(dsn string) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	if rest, ok := cutScheme(dsn); ok {
		userinfo, query := urlParts(rest)
		if _, pw, ok := strings.Cut(userinfo, ":"); ok {
			add(pw)
			if d, err := url.PathUnescape(pw); err == nil {
				add(d)
			}
		}
		for _, pair := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(pair, "=")
			if dk, err := url.QueryUnescape(k); err == nil && dk == "password" || k == "password" {
				add(v)
				if d, err := url.QueryUnescape(v); err == nil {
					add(d)
				}
			}
		}
		return out
	}
	for _, kv := range keyValues(dsn) {
		if kv.key == "password" {
			add(kv.raw)
			add(kv.value)
		}
	}
	return out
}

// cutScheme returns what follows postgres:// or postgresql:// (in any letter case).
func cutScheme(dsn string) (string, bool) {
	s := strings.TrimSpace(dsn)
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			return s[len(scheme):], true
		}
	}
	return "", false
}

// urlParts splits what follows the scheme into the user info and the query. The user info ends at
// the last '@' before the query, so a password holding an unescaped '/', '@' or '#' is still
// taken whole (with too much rather than too little).
func urlParts(rest string) (userinfo, query string) {
	before, query, _ := strings.Cut(rest, "?")
	if i := strings.LastIndexByte(before, '@'); i >= 0 {
		userinfo = before[:i]
	}
	return userinfo, query
}

// keyValue is one setting of a key=value connection string: its key, its value as written
// (without the quotes around it) and as libpq reads it (escapes undone).
type keyValue struct{ key, raw, value string }

// keyValues reads a key=value connection string as libpq does: settings separated by white space,
// optional white space around '=', a value either single-quoted or running to the next white
// space, and a backslash escaping the next character in either. It reads what it can of a
// malformed string.
func keyValues(s string) []keyValue {
	var out []keyValue
	i := 0
	skip := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	for {
		skip()
		start := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[start:i]
		skip()
		if key == "" || i >= len(s) || s[i] != '=' {
			if i >= len(s) {
				return out
			}
			i++ // not a setting: move on
			continue
		}
		i++
		skip()
		quoted := i < len(s) && s[i] == '\''
		if quoted {
			i++
		}
		start = i
		var b strings.Builder
		for i < len(s) && (quoted && s[i] != '\'' || !quoted && !isSpace(s[i])) {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
			i++
		}
		out = append(out, keyValue{key: key, raw: s[start:i], value: b.String()})
		if quoted && i < len(s) {
			i++ // the closing quote
		}
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
