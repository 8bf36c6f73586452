package report

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// NewRunID returns a run ID for a cycle that started at t: the UTC time, sortable and safe as a
// directory name, and a random suffix so two runs in the same second never collide, for example
// "20261126T080000Z-3f9a1c".
func NewRunID(t time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// ValidRunID reports whether id can name a run directory: 1 to 128 characters of ASCII letters,
// digits, '.', '_' and '-', not starting with '.' or '-'.
func ValidRunID(id string) bool {
	if id == "" || len(id) > 128 || id[0] == '.' || id[0] == '-' {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
