package config

import (
	"fmt"
	"strconv"
	"strings"
)

// KeyError is one problem with one configuration key. Load and Validate return every KeyError they
// find joined with errors.Join, so callers can list them (errors.As finds the first one).
type KeyError struct {
	// Key is the YAML key path, such as "safety.max_terminations_percent", "report.formats[1]" or
	// "pricing.S9I".
	Key string
	// Line is the 1-based line in the config file, or 0 when the problem is with the effective
	// value rather than with a place in the file.
	Line int
	// Msg says what is wrong. It never contains a secret.
	Msg string
	// Err is the underlying error, if any; its text follows Msg.
	Err error
}

// Error returns "key: msg", or "key: line N: msg" when the line is known.
func (e *KeyError) Error() string {
	var b strings.Builder
	b.WriteString(e.Key)
	b.WriteString(": ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		if e.Msg != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *KeyError) Unwrap() error { return e.Err }

// keyErr builds a KeyError without a line.
func keyErr(key, format string, args ...any) *KeyError {
	return &KeyError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// child returns the key path of name inside the mapping at path. Names that are not plain
// identifiers (a map key with a dot, say) are quoted in brackets so the path stays unambiguous.
func child(path, name string) string {
	if !plainKey(name) {
		return path + "[" + strconv.Quote(name) + "]"
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

// index returns the key path of element i of the list at path.
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}
