package zensim

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Authentication schemes as recorded in Call.Auth.
const (
	AuthHMAC   = "hmac"
	AuthBearer = "bearer"
	AuthNone   = "none"
)

const (
	hmacAlgorithm     = "ZC2-HMAC-SHA256"
	hmacSignedHeaders = "content-type;host"
)

// authScheme names the scheme a request presents, whether or not it verifies.
func authScheme(r *http.Request) string {
	v := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(v, hmacAlgorithm+" "):
		return AuthHMAC
	case strings.HasPrefix(v, "Bearer "):
		return AuthBearer
	default:
		return AuthNone
	}
}

// credential returns the identity a request presents: the access key ID of an HMAC request, the
// token of a bearer request, "" otherwise. Only used after the request verified.
func credential(r *http.Request) string {
	authz := r.Header.Get("Authorization")
	switch authScheme(r) {
	case AuthBearer:
		return strings.TrimPrefix(authz, "Bearer ")
	case AuthHMAC:
		keyID, _, err := parseHMACAuthorization(authz)
		if err == nil {
			return keyID
		}
	}
	return ""
}

// deniedLocked reports whether cred lacks permission for the named service (Options.NoPermission).
func (s *Server) deniedLocked(cred, service string) bool {
	return cred != "" && slices.Contains(s.opts.NoPermission[cred], service)
}

// verifier checks a request's credentials against the configured keys and tokens.
type verifier struct {
	keys    map[string]string
	tokens  []string
	maxSkew time.Duration
}

// verify authenticates r, whose raw body is body, at simulator time now. The error message never
// contains a secret or the presented signature.
func (v verifier) verify(r *http.Request, body []byte, now time.Time) error {
	authz := r.Header.Get("Authorization")
	switch authScheme(r) {
	case AuthBearer:
		return v.verifyBearer(strings.TrimPrefix(authz, "Bearer "))
	case AuthHMAC:
		return v.verifyHMAC(r, authz, body, now)
	default:
		return errors.New("missing or unsupported Authorization header")
	}
}

func (v verifier) verifyBearer(token string) error {
	ok := 0
	for _, t := range v.tokens {
		if t != "" {
			ok |= subtle.ConstantTimeCompare([]byte(t), []byte(token))
		}
	}
	if ok != 1 {
		return errors.New("unknown bearer token")
	}
	return nil
}

func (v verifier) verifyHMAC(r *http.Request, authz string, body []byte, now time.Time) error {
	keyID, sig, err := parseHMACAuthorization(authz)
	if err != nil {
		return err
	}
	if m := r.Header.Get("X-ZC-Signature-Method"); m != hmacAlgorithm {
		return errors.New("X-ZC-Signature-Method must be " + hmacAlgorithm)
	}
	ts := r.Header.Get("X-ZC-Timestamp")
	if err := checkTimestamp(ts, now, v.maxSkew); err != nil {
		return err
	}
	secret, ok := v.keys[keyID]
	if !ok {
		return errors.New("unknown access key id")
	}
	want := signatureFor(secret, ts, r.Header.Get("Content-Type"), r.Host, body)
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig)) != 1 {
		return errors.New("signature does not match")
	}
	return nil
}

// parseHMACAuthorization splits
// "ZC2-HMAC-SHA256 Credential=<id>, SignedHeaders=content-type;host, Signature=<hex>", exactly as
// the API documents it.
func parseHMACAuthorization(v string) (keyID, sig string, err error) {
	rest, _ := strings.CutPrefix(v, hmacAlgorithm+" ")
	parts := strings.Split(rest, ", ")
	if len(parts) != 3 {
		return "", "", errors.New("malformed Authorization header")
	}
	keyID, ok1 := strings.CutPrefix(parts[0], "Credential=")
	signed, ok2 := strings.CutPrefix(parts[1], "SignedHeaders=")
	sig, ok3 := strings.CutPrefix(parts[2], "Signature=")
	if !ok1 || !ok2 || !ok3 || keyID == "" {
		return "", "", errors.New("malformed Authorization header")
	}
	if signed != hmacSignedHeaders {
		return "", "", errors.New("SignedHeaders must be " + hmacSignedHeaders)
	}
	if len(sig) != 64 || strings.ToLower(sig) != sig {
		return "", "", errors.New("signature must be 64 lowercase hex digits")
	}
	if _, err := hex.DecodeString(sig); err != nil {
		return "", "", errors.New("signature must be 64 lowercase hex digits")
	}
	return keyID, sig, nil
}

// checkTimestamp accepts a decimal Unix-seconds timestamp within ±maxSkew of now.
func checkTimestamp(ts string, now time.Time, maxSkew time.Duration) error {
	if ts == "" {
		return errors.New("missing X-ZC-Timestamp header")
	}
	for _, c := range ts {
		if c < '0' || c > '9' {
			return errors.New("X-ZC-Timestamp must be decimal Unix seconds")
		}
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("X-ZC-Timestamp must be decimal Unix seconds")
	}
	skew := now.Sub(time.Unix(secs, 0))
	if skew > maxSkew || skew < -maxSkew {
		return errors.New("X-ZC-Timestamp is outside the allowed clock skew")
	}
	return nil
}

// signatureFor computes the ZC2-HMAC-SHA256 signature (zenlayer-bmc-api.md §1.3): a single HMAC,
// keyed with the raw secret, over the string to sign built from the canonical request.
func signatureFor(secret, timestamp, contentType, host string, body []byte) string {
	payload := sha256.Sum256(body)
	canonical := "POST\n" + // method
		"/\n" + // canonical URI, always "/"
		"\n" + // canonical query string, always empty
		"content-type:" + contentType + "\n" + "host:" + host + "\n" + "\n" + // canonical headers, then the blank line
		hmacSignedHeaders + "\n" +
		hex.EncodeToString(payload[:])
	canonicalHash := sha256.Sum256([]byte(canonical))
	stringToSign := hmacAlgorithm + "\n" + timestamp + "\n" + hex.EncodeToString(canonicalHash[:])
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(stringToSign))
	return hex.EncodeToString(mac.Sum(nil))
}
