package zen

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// Header names and fixed values of Zenlayer Cloud API 2.0 (zenlayer-bmc-api.md §1.2).
const (
	headerAction          = "X-ZC-Action"
	headerVersion         = "X-ZC-Version"
	headerService         = "X-ZC-Service"
	headerTimestamp       = "X-ZC-Timestamp"
	headerSignatureMethod = "X-ZC-Signature-Method"

	apiVersion      = "2026-02-01"
	apiService      = "bmc"
	apiPath         = "/api/v2/bmc"
	contentTypeJSON = "application/json"
	signatureMethod = "ZC2-HMAC-SHA256"
	signedHeaders   = "content-type;host"
)

// hashedPayload is step 1 of ZC2-HMAC-SHA256: the lowercase hex SHA-256 of the raw body.
func hashedPayload(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// canonicalRequest is step 2: method, URI "/", empty query, the two canonical headers (values
// verbatim, block ending in a newline), the signed header list and the payload hash.
func canonicalRequest(contentType, host string, body []byte) string {
	return "POST\n/\n\n" +
		"content-type:" + contentType + "\n" +
		"host:" + host + "\n" +
		"\n" + signedHeaders + "\n" +
		hashedPayload(body)
}

// stringToSign is step 3: the algorithm, the timestamp and the hash of the canonical request.
func stringToSign(timestamp, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return signatureMethod + "\n" + timestamp + "\n" + hex.EncodeToString(sum[:])
}

// signature is step 4: one HMAC-SHA256 keyed with the raw secret, in lowercase hex.
func signature(secret []byte, timestamp, contentType, host string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(stringToSign(timestamp, canonicalRequest(contentType, host, body))))
	return hex.EncodeToString(mac.Sum(nil))
}

// authorization is step 5: the Authorization header value.
func authorization(keyID, sig string) string {
	return signatureMethod + " Credential=" + keyID + ", SignedHeaders=" + signedHeaders + ", Signature=" + sig
}

// setHeaders puts every header of one attempt on req, signing it with the time now when the client
// uses access keys. It is called afresh on every attempt, so a retry carries a fresh timestamp.
func (c *Client) setHeaders(req *http.Request, svc *service, action string, body []byte, now time.Time) {
	h := req.Header
	h.Set(headerAction, action)
	h.Set(headerVersion, svc.version)
	h.Set(headerService, svc.name)
	h.Set("Content-Type", contentTypeJSON)
	h.Set("User-Agent", c.userAgent)
	if c.creds.token != "" {
		h.Set("Authorization", "Bearer "+c.creds.token)
		return
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	h.Set(headerTimestamp, ts)
	h.Set(headerSignatureMethod, signatureMethod)
	sig := signature(c.creds.secret, ts, contentTypeJSON, req.URL.Host, body)
	h.Set("Authorization", authorization(c.creds.keyID, sig))
}
