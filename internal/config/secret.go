package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

const redacted = "[redacted]"

// Secret is a credential or other sensitive string. Every way of printing or encoding it (fmt
// verbs, slog, JSON, YAML, text) shows "[redacted]", or "" when it is empty; only Reveal returns
// the value, and only code that sends it where it belongs (the API client) should call it.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the redacted form for %#v.
func (s Secret) GoString() string {
	if s == "" {
		return `""`
	}
	return `"` + redacted + `"`
}

// Format applies every fmt verb to the redacted form, so even a wrong verb (%d) cannot print the
// value.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v', 's', 'q', 'x', 'X':
		if verb == 'v' && f.Flag('#') {
			_, _ = io.WriteString(f, s.GoString())
			return
		}
		_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), s.String())
	default:
		_, _ = fmt.Fprintf(f, "%%!%c(config.Secret=%s)", verb, s.String())
	}
}

// LogValue makes slog print the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes the redacted form as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText returns the redacted form, for encoders that use encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalYAML returns the redacted form.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }
