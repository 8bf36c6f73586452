package zen

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSignRequestVectors: SignRequest produces the reference's vectors A and B (§1.4) whatever
// the path, since the path is not signed (§1.5).
func TestSignRequestVectors(t *testing.T) {
	tests := []struct {
		name, url, body, want string
	}{
		{"vector A on bmc", "https://console.zenlayer.com/api/v2/bmc", `{"instanceIds":["123456789012345678"],"pageNum":1,"pageSize":20}`,
			"623154cddeddbfc6ae04962939aceab0919ca177b5ba644a4c35994abda30fe9"},
		{"vector A on zrm", "https://console.zenlayer.com/api/v2/zrm", `{"instanceIds":["123456789012345678"],"pageNum":1,"pageSize":20}`,
			"623154cddeddbfc6ae04962939aceab0919ca177b5ba644a4c35994abda30fe9"},
		{"vector B with a port", "http://127.0.0.1:8443/api/v2/zbc", `{"instanceId":"123456789012345678"}`,
			"b80f8600b1a8942b6b8feb224a143f0c6c51cc19170ea7b19bfb85fe92d19b8f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, tt.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			SignRequest(req, []byte(tt.body), "TESTAKID0001", "TestSecretPassword123", time.Unix(1700000000, 0))
			want := "ZC2-HMAC-SHA256 Credential=TESTAKID0001, SignedHeaders=content-type;host, Signature=" + tt.want
			if got := req.Header.Get("Authorization"); got != want {
				t.Errorf("Authorization = %q, want %q", got, want)
			}
			if req.Header.Get("X-ZC-Timestamp") != "1700000000" || req.Header.Get("X-ZC-Signature-Method") != "ZC2-HMAC-SHA256" {
				t.Errorf("headers %v", req.Header)
			}
		})
	}
}
