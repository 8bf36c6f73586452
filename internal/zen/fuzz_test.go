package zen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fuzzDescribeIDs are the IDs the DescribeInstances mode asks for.
var fuzzDescribeIDs = []string{"932237369560662463", "i-1", "i-2"}

// fuzzCases is the answer one fuzz input gets, served by one shared httptest server: each input
// has its own endpoint path prefix, so the cases never see each other's bodies.
type fuzzCases struct {
	mu    sync.Mutex
	next  atomic.Int64
	cases map[string]fuzzAnswer
}

type fuzzAnswer struct {
	status int
	body   []byte
}

func (fc *fuzzCases) add(a fuzzAnswer) (prefix string, done func()) {
	prefix = "/case/" + strconv.FormatInt(fc.next.Add(1), 10)
	fc.mu.Lock()
	fc.cases[prefix] = a
	fc.mu.Unlock()
	return prefix, func() {
		fc.mu.Lock()
		delete(fc.cases, prefix)
		fc.mu.Unlock()
	}
}

func (fc *fuzzCases) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/case/"), "/")
	fc.mu.Lock()
	a, ok := fc.cases["/case/"+prefix]
	fc.mu.Unlock()
	if !ok {
		http.Error(w, "no such fuzz case", http.StatusTeapot)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body) // 204 and 304 refuse a body; the client must cope with an empty one
}

// fuzzStatus maps the fuzzed number to an HTTP status the server can send: 200 when it is not
// a final status (1xx would be informational), otherwise the number itself.
func fuzzStatus(n uint16) int {
	if n < 200 || n > 599 {
		return http.StatusOK
	}
	return int(n)
}

// FuzzDecodeResponse sends arbitrary bytes, with an arbitrary status, as the answer to each call
// the reconciler makes (the DescribeInstances listing, DescribeInstances by ID,
// DescribeInstanceTraffic, TerminateInstance), through a real HTTP server and the real client,
// with retries off and no rate limit. mode&3 picks the call; mode&4 uses a bearer token instead
// of an access key (a body may echo either; only the one the client holds can be redacted).
// Whatever the body, the call never panics and returns either data or one of the package's typed
// errors; a non-200 answer never yields data; returned instances have non-empty, distinct IDs and
// only the ones asked for; and no error text contains the client's secret, even when the body
// echoes it. The listing goes through fuzzPages, which uses ListInstances' fetching, decoding and
// checks but fetches one page at a time and stops at the first failure, so a fuzzed totalCount of a
// million cannot make one input cost a thousand requests. Seeds are in
// testdata/fuzz/FuzzDecodeResponse.
func FuzzDecodeResponse(f *testing.F) {
	f.Add(uint8(0), uint16(200), []byte(`{"requestId":"T-1","response":{"totalCount":1,"dataSet":[{"instanceId":"1"}]}}`))
	fc := &fuzzCases{cases: map[string]fuzzAnswer{}}
	srv := httptest.NewServer(fc)
	f.Cleanup(srv.Close)
	start := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

	f.Fuzz(func(t *testing.T, mode uint8, statusIn uint16, body []byte) {
		status := fuzzStatus(statusIn)
		prefix, done := fc.add(fuzzAnswer{status: status, body: body})
		defer done()
		auth, secret := WithAccessKey(testKeyID, testSecret), testSecret
		if mode&4 != 0 {
			auth, secret = WithToken(testToken), testToken
		}
		c, err := New(WithEndpoint(srv.URL+prefix), auth, WithHTTPClient(srv.Client()),
			WithRequestsPerSecond(math.Inf(1)), WithRetry(1, time.Millisecond, time.Millisecond),
			WithTimeout(10*time.Second))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		ctx := context.Background()

		var got []Instance
		switch mode & 3 {
		case 0:
			got, err = fuzzPages(ctx, c)
		case 1:
			got, err = c.DescribeInstances(ctx, fuzzDescribeIDs)
		case 2:
			var tr Traffic
			tr, err = c.DescribeInstanceTraffic(ctx, "932237369560662463", start, start.Add(time.Hour))
			for i, p := range tr.Points {
				if err == nil && p.Time.IsZero() {
					t.Errorf("traffic point %d has no time", i)
				}
			}
		case 3:
			_, err = c.TerminateInstance(ctx, "932237369560662463")
		}

		if err != nil {
			checkFuzzError(t, err, secret)
			if got != nil {
				t.Errorf("returned %d instances along with error %v", len(got), err)
			}
			return
		}
		if status != http.StatusOK && !(mode&3 == 1 && len(got) == 0) {
			// Only DescribeInstances may succeed on a non-200: a 404 not-found means "absent".
			t.Fatalf("HTTP %d answer accepted as success (mode %d, %d instances)", status, mode, len(got))
		}
		checkFuzzInstances(t, mode&3 == 1, got)
	})
}

// fuzzPages walks every page of an unfiltered listing one at a time, with the checks
// ListInstances makes (per page, then the IDs across pages), and stops at the first failure.
func fuzzPages(ctx context.Context, c *Client) ([]Instance, error) {
	scopes, err := Filter{}.scopes()
	if err != nil {
		return nil, err
	}
	l := newListing(Filter{}, scopes[0], c.redact)
	seen := make(map[string]struct{})
	in := newInterner()
	var all []Instance
	for num := 1; num == 1 || num <= l.pages; num++ {
		p, err := c.fetchChecked(ctx, l, num, nil)
		if err != nil {
			return nil, err
		}
		items := make([]Instance, len(p.data))
		if err := l.convert(p, in, items); err != nil {
			return nil, err
		}
		if err := l.checkIDs(items, num, seen); err != nil {
			return nil, err
		}
		all = append(all, items...)
	}
	return all, nil
}

// checkFuzzError asserts err is typed and free of the client's secret.
func checkFuzzError(t *testing.T, err error, secret string) {
	t.Helper()
	var (
		apiErr       *APIError
		respErr      *ResponseError
		decodeErr    *DecodeError
		integrityErr *IntegrityError
		netErr       *NetworkError
	)
	switch {
	case errors.As(err, &netErr):
		t.Errorf("a server that answered gave a network error: %v", err)
	case errors.As(err, &apiErr), errors.As(err, &respErr), errors.As(err, &decodeErr), errors.As(err, &integrityErr):
	default:
		t.Errorf("error %v (%T) is none of APIError, ResponseError, DecodeError, IntegrityError", err, err)
	}
	for _, text := range secretFreeTexts(err) {
		if strings.Contains(text, secret) {
			t.Errorf("error text contains the client's secret: %s", text)
		}
	}
}

// secretFreeTexts returns the renderings of err that must never contain a secret: the whole
// error, and the typed errors in its chain, whose server-supplied text and values are redacted
// (Client.scrub).
func secretFreeTexts(err error) []string {
	texts := []string{err.Error(), fmt.Sprintf("%+v", err)}
	if ae, ok := errors.AsType[*APIError](err); ok {
		texts = append(texts, fmt.Sprintf("%+v", *ae))
	}
	if re, ok := errors.AsType[*ResponseError](err); ok {
		texts = append(texts, fmt.Sprintf("%+v", *re))
	}
	if de, ok := errors.AsType[*DecodeError](err); ok {
		texts = append(texts, fmt.Sprintf("%+v", *de))
	}
	if ie, ok := errors.AsType[*IntegrityError](err); ok {
		texts = append(texts, fmt.Sprintf("%+v", *ie))
	}
	return texts
}

// checkFuzzInstances asserts every instance has a non-empty ID seen once, and, for
// DescribeInstances, one of the IDs asked for.
func checkFuzzInstances(t *testing.T, describe bool, got []Instance) {
	t.Helper()
	seen := map[string]bool{}
	for i, inst := range got {
		switch {
		case inst.ID == "":
			t.Errorf("instance %d has an empty ID", i)
		case seen[inst.ID]:
			t.Errorf("instance %s returned twice", inst.ID)
		case describe && !slices.Contains(fuzzDescribeIDs, inst.ID):
			t.Errorf("DescribeInstances returned %s, not asked for", inst.ID)
		}
		seen[inst.ID] = true
	}
}
