package pricing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/pricing"
	"github.com/reaper-bmc/reaper/internal/safego"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// manyKeys is the number of instance types of keysWorld: one list price key each.
const manyKeys = 40

// keysWorld is a simulator that sells manyKeys instance types in SEL-A ("T00" … "T39", type i
// at i+1 an hour), every answer delayed by latency, behind a server that counts the calls in
// flight at once (gauge). A type's price call can be delayed further by delay, before the
// simulator sees it (a slower path for some keys).
type keysWorld struct {
	*world
	gauge *gauge
	delay func(typ string) time.Duration
}

// gauge counts requests in flight at the server and the most seen at once.
type gauge struct {
	mu       sync.Mutex
	now, max int
}

func (g *gauge) enter() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.now++
	g.max = max(g.max, g.now)
}

func (g *gauge) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.now--
}

func (g *gauge) most() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.max
}

func typeName(i int) string { return fmt.Sprintf("T%02d", i) }

// readBody reads r's body and puts an unread copy back for the handler after.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, err
}

// typeOf is the instance type a price request's body asks about.
func typeOf(body []byte) string {
	var v struct {
		InstanceTypeID string `json:"instanceTypeId"`
	}
	_ = json.Unmarshal(body, &v)
	return v.InstanceTypeID
}

func newKeysWorld(t *testing.T, latency time.Duration) *keysWorld {
	t.Helper()
	w := &world{clock: &clock{t: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)}}
	w.sim = zensim.New(zensim.Options{Keys: map[string]string{"AKID": testSecret}, Seed: 1, Now: w.clock.now})
	var fleet zensim.Fleet
	for i := range manyKeys {
		fleet.Prices = append(fleet.Prices, zensim.PriceOffer{Zone: "SEL-A", Type: typeName(i),
			Postpaid: &zensim.PriceQuote{Instance: zensim.PriceItem{UnitPrice: f64(float64(i + 1)), ChargeUnit: "HOUR"}}})
	}
	if err := w.sim.Load(fleet); err != nil {
		t.Fatal(err)
	}
	if latency > 0 {
		w.sim.SetFault("", zensim.Fault{Latency: latency})
	}
	k := &keysWorld{world: w, gauge: &gauge{}}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		k.gauge.enter()
		defer k.gauge.leave()
		if k.delay != nil {
			// The body is read again by the simulator: peek at it through a copy.
			body, _ := readBody(r)
			if d := k.delay(typeOf(body)); d > 0 {
				time.Sleep(d)
			}
		}
		w.sim.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return k
}

// client is a client whose rate limit does not bind (1000 a second, the config's maximum).
func (k *keysWorld) client(t *testing.T) *zen.Client {
	t.Helper()
	c, err := zen.New(zen.WithEndpoint(k.url), zen.WithAccessKey("AKID", testSecret), zen.WithClock(k.clock.now),
		zen.WithRetry(1, time.Millisecond, time.Millisecond), zen.WithRequestsPerSecond(1000))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// instances are three instances of every type, interleaved (T00, T01, …, T39, T00, …), so each
// key is needed by instances far apart.
func (k *keysWorld) instances() []pricing.Instance {
	var out []pricing.Instance
	for r := range 3 {
		for i := range manyKeys {
			out = append(out, instance(fmt.Sprintf("I%d-%s", r, typeName(i)), "SEL-A", typeName(i), zen.ChargePostpaid, false))
		}
	}
	return out
}

// failType makes every price call for the types given fail with a 500.
func failType(sim *zensim.Server, types ...string) {
	sim.SetFault("InquiryPriceCreateInstance", zensim.Fault{HTTPStatus: 500, Match: func(body []byte) bool {
		for _, typ := range types {
			if typeOf(body) == typ {
				return true
			}
		}
		return false
	}})
}

// TestListPricesConcurrentBounded: a cold cycle asks the list prices of many keys concurrently,
// never more than pricing.ListWorkers at once at the API, each key once, and every instance gets
// its key's price.
func TestListPricesConcurrentBounded(t *testing.T) {
	k := newKeysWorld(t, 20*time.Millisecond)
	p := pricing.New(pricing.Config{Refresh: 24 * time.Hour}, k.client(t), newStore(t), k.clock.now, nil)
	got, warns := costsByID(t, p, context.Background(), k.instances())
	if len(warns) != 0 {
		t.Errorf("warnings %q", warns)
	}
	if n := k.calls("InquiryPriceCreateInstance"); n != manyKeys {
		t.Errorf("%d price calls, want %d (one per key)", n, manyKeys)
	}
	if m := k.gauge.most(); m < 2 || m > pricing.ListWorkers {
		t.Errorf("at most %d price calls in flight at once, want 2 … %d", m, pricing.ListWorkers)
	}
	for _, in := range k.instances() {
		var n int
		fmt.Sscanf(in.Instance.Type, "T%d", &n)
		want := fmt.Sprintf("list %d.000000", (n+1)*pricing.HoursPerMonth)
		if s := show(got[in.Instance.ID]); s != want {
			t.Errorf("%s: %s, want %s", in.Instance.ID, s, want)
		}
	}
}

// TestListPriceFailureOneKey: the API fails for one key only: exactly that key's instances are
// unknown (null, never 0), named in the one warning, and not cached; every other key is priced
// and cached.
func TestListPriceFailureOneKey(t *testing.T) {
	k := newKeysWorld(t, 5*time.Millisecond)
	failType(k.sim, "T07")
	store := newStore(t)
	p := pricing.New(pricing.Config{Refresh: 24 * time.Hour}, k.client(t), store, k.clock.now, nil)
	got, warns := costsByID(t, p, context.Background(), k.instances())
	for _, in := range k.instances() {
		c := got[in.Instance.ID]
		switch {
		case in.Instance.Type == "T07" && (c.Source != pricing.SourceUnknown || c.Monthly != nil):
			t.Errorf("%s: %s, want unknown null", in.Instance.ID, show(c))
		case in.Instance.Type != "T07" && (c.Source != pricing.SourceList || c.Monthly == nil):
			t.Errorf("%s: %s, want its list price", in.Instance.ID, show(c))
		}
	}
	want := "list price of 1 zone/type/charge combination could not be read (first: SEL-A/T07/POSTPAID/ByBandwidth: gave up after 1 attempts: zen: InquiryPriceCreateInstance: INTERNAL_SERVER_ERROR"
	if len(warns) != 1 || !strings.HasPrefix(warns[0], want) {
		t.Errorf("warnings %q, want one starting %q", warns, want)
	}
	ps, err := store.Prices()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != manyKeys-1 {
		t.Errorf("%d prices cached, want %d", len(ps), manyKeys-1)
	}
	for _, e := range ps {
		if strings.Contains(e.Key, "/T07/") {
			t.Errorf("the failed key is cached: %s", e.ID())
		}
	}
}

// TestListPricesSameAsSerial: the costs, the warnings (the count and which failure is named
// first) and the cache written are the same whether the keys are asked one after another or
// concurrently, and do not depend on the order the answers arrive in: here the keys are answered
// in about the reverse order of asking, and the first failing key (T03) answers last.
func TestListPricesSameAsSerial(t *testing.T) {
	run := func(workers int) (costs, warns, cached string) {
		k := newKeysWorld(t, 0)
		k.delay = func(typ string) time.Duration {
			if typ == "T03" {
				return 150 * time.Millisecond
			}
			var n int
			fmt.Sscanf(typ, "T%d", &n)
			return time.Duration(manyKeys-n) * time.Millisecond
		}
		failType(k.sim, "T03", "T05", "T30")
		// Two instances with a charge type that has no list price: failures without a call.
		x2 := instance("X2", "SEL-A", "T01", "WEIRD", false)
		x2.Instance.InternetChargeType = "ByTrafficPackage"
		in := append(k.instances(), instance("X1", "SEL-A", "T01", "WEIRD", false), x2)
		// An instance whose internet charge type differs only in spelling the default: the same key.
		x3 := instance("X3", "SEL-A", "T09", zen.ChargePostpaid, false)
		x3.Instance.InternetChargeType = "ByBandwidth"
		in = append(in, x3)
		store := newStore(t)
		p := pricing.New(pricing.Config{Refresh: 24 * time.Hour,
			Override: overrides(map[string]float64{"T11/SEL-A": 12.5})}, k.client(t), store, k.clock.now, nil)
		pricing.SetListWorkers(p, workers)
		got, w := costsByID(t, p, context.Background(), in)
		var b strings.Builder
		for _, i := range in {
			fmt.Fprintf(&b, "%s=%s\n", i.Instance.ID, show(got[i.Instance.ID]))
		}
		ps, err := store.Prices()
		if err != nil {
			t.Fatal(err)
		}
		var c strings.Builder
		for _, e := range ps {
			m := "null"
			if e.Monthly != nil {
				m = e.Monthly.String()
			}
			fmt.Fprintf(&c, "%s %s %s %s\n", e.ID(), m, e.FetchedAt.Format(time.RFC3339), e.Expires.Format(time.RFC3339))
		}
		// Request IDs are the simulator's, drawn in the order calls arrive (the API's differ at every
		// run anyway).
		return b.String(), requestID.ReplaceAllString(strings.Join(w, "\n"), "request ID …"), c.String()
	}
	serialCosts, serialWarns, serialCache := run(1)
	if !strings.Contains(serialWarns, "list price of 5 zone/type/charge combinations could not be read (first: SEL-A/T03/POSTPAID/ByBandwidth") {
		t.Fatalf("serial warnings %q: the test's failures did not happen", serialWarns)
	}
	costs, warns, cache := run(pricing.ListWorkers)
	if costs != serialCosts {
		t.Errorf("costs differ from the serial run:\n%s\nserial:\n%s", costs, serialCosts)
	}
	if warns != serialWarns {
		t.Errorf("warnings differ from the serial run:\n%s\nserial:\n%s", warns, serialWarns)
	}
	if cache != serialCache {
		t.Errorf("cache differs from the serial run:\n%s\nserial:\n%s", cache, serialCache)
	}
}

var requestID = regexp.MustCompile(`request ID [^)]+`)

// counting is the real client, counting the price calls in progress on the client's side.
type counting struct {
	*zen.Client
	inFlight, started atomic.Int64
	panicOn           string // a type whose call panics (an internal error in the client, say)
}

func (c *counting) InquiryPriceCreateInstance(ctx context.Context, q zen.PriceQuery) (zen.Price, error) {
	c.started.Add(1)
	c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	if q.Type == c.panicOn {
		panic("price of " + q.Type)
	}
	return c.Client.InquiryPriceCreateInstance(ctx, q)
}

// TestListPricesCancel: once the context is cancelled no further price call starts, Costs
// returns with no call of its still running, and no instance gets a figure of 0.
func TestListPricesCancel(t *testing.T) {
	k := newKeysWorld(t, 20*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const cancelAt = 5
	var seen atomic.Int64
	k.sim.OnCall(func(c zensim.Call) {
		if c.Action == "InquiryPriceCreateInstance" && seen.Add(1) == cancelAt {
			cancel()
		}
	})
	api := &counting{Client: k.client(t)}
	p := pricing.New(pricing.Config{Refresh: 24 * time.Hour}, api, newStore(t), k.clock.now, nil)
	got, _ := costsByID(t, p, ctx, k.instances())
	if n := api.inFlight.Load(); n != 0 {
		t.Errorf("%d price calls still in progress after Costs returned", n)
	}
	// At the cancellation at most ListWorkers calls were under way, the cancelling one included.
	if n := api.started.Load(); n > cancelAt+pricing.ListWorkers-1 {
		t.Errorf("%d price calls started, want at most %d (none after the cancellation)", n, cancelAt+pricing.ListWorkers-1)
	}
	for id, c := range got {
		if c.Monthly != nil && *c.Monthly == 0 {
			t.Errorf("%s: a figure of 0", id)
		}
		if (c.Monthly == nil) != (c.Source == pricing.SourceUnknown) {
			t.Errorf("%s: %s", id, show(c))
		}
	}
	started := api.started.Load()
	p2 := pricing.New(pricing.Config{Refresh: 24 * time.Hour}, api, newStore(t), k.clock.now, nil)
	if got, _ := costsByID(t, p2, ctx, k.instances()); len(got) != 3*manyKeys {
		t.Errorf("%d costs from a cancelled context, want one per instance", len(got))
	}
	if n := api.started.Load() - started; n != 0 {
		t.Errorf("%d price calls started with a context already cancelled", n)
	}
}

// TestListPricePanic: a panic while asking one price is raised again on the goroutine that
// called Costs, as a *safego.PanicError naming the key, as it was when prices were asked on it;
// the other calls stop first.
func TestListPricePanic(t *testing.T) {
	k := newKeysWorld(t, 5*time.Millisecond)
	api := &counting{Client: k.client(t), panicOn: "T02"}
	p := pricing.New(pricing.Config{Refresh: 24 * time.Hour}, api, newStore(t), k.clock.now, nil)
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		costsByID(t, p, context.Background(), k.instances())
	}()
	pe, ok := recovered.(*safego.PanicError)
	if !ok {
		t.Fatalf("recovered %v (%T), want a *safego.PanicError", recovered, recovered)
	}
	if !strings.Contains(pe.Where, "SEL-A/T02/POSTPAID/ByBandwidth") || fmt.Sprint(pe.Value) != "price of T02" {
		t.Errorf("panic %v in %q", pe.Value, pe.Where)
	}
	if n := api.inFlight.Load(); n != 0 {
		t.Errorf("%d price calls still in progress after the panic", n)
	}
}

// TestListPricesCancelledByAPanicElsewhere: a context cancelled because some other goroutine
// panicked (the scheduler's cycle timer cancels the cycle with its *safego.PanicError as the
// cause) is a cancellation to Costs like any other: no call starts, the costs are unknown, and
// Costs returns. No price call panicked, so none is raised on the caller's goroutine: a panic
// there would stop the record step, and the run's report would not be written.
func TestListPricesCancelledByAPanicElsewhere(t *testing.T) {
	k := newKeysWorld(t, 0)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(&safego.PanicError{Where: "cycle timer", Value: "elsewhere"})
	api := &counting{Client: k.client(t)}
	p := pricing.New(pricing.Config{Refresh: 24 * time.Hour}, api, newStore(t), k.clock.now, nil)
	var got map[string]pricing.Cost
	func() {
		defer func() {
			if v := recover(); v != nil {
				t.Fatalf("Costs panicked with %v, though no price call panicked", v)
			}
		}()
		got, _ = costsByID(t, p, ctx, k.instances())
	}()
	if n := api.started.Load(); n != 0 {
		t.Errorf("%d price calls started with a context already cancelled", n)
	}
	for id, c := range got {
		if c.Source != pricing.SourceUnknown {
			t.Errorf("%s: %s, want unknown", id, show(c))
		}
	}
}
