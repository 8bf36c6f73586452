package zen

import (
	"net/http"
	"strconv"
	"time"
)

// SignRequest signs req, whose raw body is body, with ZC2-HMAC-SHA256 (zenlayer-bmc-api.md §1.3)
// at time now: it sets X-ZC-Timestamp, X-ZC-Signature-Method and Authorization from the request's
// Content-Type header and URL host, with the same steps the Client signs its own calls with. The
// path is not signed, so it serves every service (bmc, zrm, zbc; §1.5): it is for tests and tools
// that call an action the Client has no method for. It never logs or keeps the secret.
func SignRequest(req *http.Request, body []byte, keyID, secret string, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set(headerTimestamp, ts)
	req.Header.Set(headerSignatureMethod, signatureMethod)
	sig := signature([]byte(secret), ts, req.Header.Get("Content-Type"), req.URL.Host, body)
	req.Header.Set("Authorization", authorization(keyID, sig))
}
