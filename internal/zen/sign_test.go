package zen

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestSignatureVectors pins the four vectors of zenlayer-bmc-api.md §1.4.
func TestSignatureVectors(t *testing.T) {
	tests := []struct {
		name, secret, ts, contentType, host, body, want string
	}{
		{
			name: "vector 0 docs example with charset", secret: "Gu5t9xGARNpq86cd98joQYCN3", ts: "1673361177",
			contentType: "application/json; charset=utf-8", host: "console.zenlayer.com",
			body: `{"pageSize":10,"pageNum":1,"zoneId":"HKG-A"}`,
			want: "efb356c32e55c781e10dc676da59462c22596d82e91c57803666243379555b2f",
		},
		{
			name: "vector A go sdk style", secret: "TestSecretPassword123", ts: "1700000000",
			contentType: "application/json", host: "console.zenlayer.com",
			body: `{"instanceIds":["123456789012345678"],"pageNum":1,"pageSize":20}`,
			want: "623154cddeddbfc6ae04962939aceab0919ca177b5ba644a4c35994abda30fe9",
		},
		{
			name: "vector B host with port", secret: "TestSecretPassword123", ts: "1700000000",
			contentType: "application/json", host: "127.0.0.1:8443",
			body: `{"instanceId":"123456789012345678"}`,
			want: "b80f8600b1a8942b6b8feb224a143f0c6c51cc19170ea7b19bfb85fe92d19b8f",
		},
		{
			name: "vector C empty body", secret: "TestSecretPassword123", ts: "1700000000",
			contentType: "application/json", host: "console.zenlayer.com", body: "",
			want: "e13a9629d913d4acb306f2f21cd2459bdf39d456058fd54666c82ace7ae477dd",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := signature([]byte(tt.secret), tt.ts, tt.contentType, tt.host, []byte(tt.body))
			if got != tt.want {
				t.Errorf("signature = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestSignatureVectorAIntermediates pins the intermediate values of vector A and its header.
func TestSignatureVectorAIntermediates(t *testing.T) {
	body := []byte(`{"instanceIds":["123456789012345678"],"pageNum":1,"pageSize":20}`)
	if got, want := hashedPayload(body), "7c5b6850f0ca3931194026bdb0585419cb52b8c37ab5f345b56e0ecd7a236270"; got != want {
		t.Errorf("hashed payload = %s, want %s", got, want)
	}
	sum := sha256.Sum256([]byte(canonicalRequest("application/json", "console.zenlayer.com", body)))
	if got, want := hex.EncodeToString(sum[:]), "b54ee70fb80d3627aa2c69561dedd2dd22109cf52ff335d01908a08c67003f1a"; got != want {
		t.Errorf("SHA256(canonical request) = %s, want %s", got, want)
	}
	sig := signature([]byte("TestSecretPassword123"), "1700000000", "application/json", "console.zenlayer.com", body)
	got := authorization("TESTAKID0001", sig)
	want := "ZC2-HMAC-SHA256 Credential=TESTAKID0001, SignedHeaders=content-type;host, Signature=623154cddeddbfc6ae04962939aceab0919ca177b5ba644a4c35994abda30fe9"
	if got != want {
		t.Errorf("authorization = %q, want %q", got, want)
	}
	if got, want := hashedPayload(nil), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; got != want {
		t.Errorf("hash of empty body = %s, want %s", got, want)
	}
}

// TestSignatureContentTypeIsSignedVerbatim: the charset variant of vector 0 differs.
func TestSignatureContentTypeIsSignedVerbatim(t *testing.T) {
	body := []byte(`{"pageSize":10,"pageNum":1,"zoneId":"HKG-A"}`)
	got := signature([]byte("Gu5t9xGARNpq86cd98joQYCN3"), "1673361177", "application/json", "console.zenlayer.com", body)
	if got[:8] != "9fdd5117" {
		t.Errorf("signature with plain application/json = %s, want prefix 9fdd5117", got)
	}
}
