package notify

import (
	"net/url"
	"strings"

	"github.com/reaper-bmc/reaper/internal/redact"
)

// minSecretLen is the shortest user name, password, query value or path segment scrubbed as free
// text. Shorter ones ("?v=1") cannot be told apart from ordinary text; they are still never shown,
// because the webhook is only ever named as scheme://host/….
const (
	minSecretLen  = 3
	minSegmentLen = 6
)

// webhookRedactor removes from text every part of the webhook URL that must never be shown, in
// every encoding package redact knows: the whole URL, its path, query and fragment, the user info
// (and user:password, which Basic auth sends in base64), the user name and password, every query
// value (and key=value pair) and every long path segment.
func webhookRedactor(raw string, u *url.URL) *redact.Redactor {
	whole := []string{raw, u.String(), u.RawQuery, u.Fragment, u.EscapedPath()}
	var pieces []string
	if u.User != nil {
		whole = append(whole, u.User.String())
		pieces = append(pieces, u.User.Username())
		if p, ok := u.User.Password(); ok {
			pieces = append(pieces, p, u.User.Username()+":"+p)
		}
	}
	for _, pair := range strings.Split(u.RawQuery, "&") {
		whole = append(whole, pair)
		_, v, _ := strings.Cut(pair, "=")
		if dv, err := url.QueryUnescape(v); err == nil {
			pieces = append(pieces, dv)
		}
		pieces = append(pieces, v)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if len(seg) >= minSegmentLen {
			pieces = append(pieces, seg)
		}
	}
	var secrets []string
	for _, p := range whole {
		if len(p) > 1 {
			secrets = append(secrets, p)
		}
	}
	for _, p := range pieces {
		if len(p) >= minSecretLen {
			secrets = append(secrets, p)
		}
	}
	return redact.New(secrets...)
}
