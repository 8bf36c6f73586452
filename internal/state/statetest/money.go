package statetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/money"
	"github.com/reaper-bmc/reaper/internal/state"
)

// testMoney: the price cache and the savings ledger (README, Cost and savings), each case on a fresh store.
func testMoney(t *testing.T, e *env) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, *env)
	}{
		{"Prices", testPrices},
		{"PutPricesInvalid", testPutPricesInvalid},
		{"PrunePrices", testPrunePrices},
		{"AddSavingCountsOnce", testAddSavingCountsOnce},
		{"AddSavingInvalid", testAddSavingInvalid},
		{"AddSavingConcurrent", testAddSavingConcurrent},
		{"MoneyExportImport", testMoneyExportImport},
		{"ImportRefusesStoreWithMoney", testImportRefusesStoreWithMoney},
		{"LegacyMetaMovedOnOpen", testLegacyMetaMovedOnOpen},
		{"LegacySnapshotImported", testLegacySnapshotImported},
		{"LegacyLedgerUndecodable", testLegacyLedgerUndecodable},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, &env{t: t, open: e.factory(t), factory: e.factory})
		})
	}
}

func micros(s string) *money.Micros {
	m, err := money.Parse(s)
	if err != nil {
		panic(err)
	}
	return &m
}

func testPrices(t *testing.T, e *env) {
	s := e.store(Options{Now: fixed(t0)})
	bill := state.Price{Kind: state.PriceBill, Month: 202610, Key: "945345672712820433", Monthly: micros("93.26"), FetchedAt: t0.Add(-time.Hour)}
	noLine := state.Price{Kind: state.PriceBill, Month: 202610, Key: "i-2", FetchedAt: t0, Expires: t0.Add(24 * time.Hour)}
	list := state.Price{Kind: state.PriceList, Key: "SEL-A/M6C/POSTPAID/ByBandwidth", Monthly: micros("0.000001"), Expires: t0.Add(time.Hour)}
	odd := state.Price{Kind: state.PriceList, Key: "ü-zone/type with space/PREPAID/x", FetchedAt: t0}
	ok(t, s.PutPrices(bill, noLine, list, odd))
	list.FetchedAt = t0 // filled in
	want := []state.Price{bill, noLine, list, odd}
	state.SortPrices(want)
	checkEqual(t, "prices", must(s.Prices())(t), want)

	// A bill entry is per month: the next month's is another entry; a list price is replaced.
	next := bill
	next.Month, next.Monthly = 202611, micros("100")
	list2 := list
	list2.Monthly = nil
	ok(t, s.PutPrices(next, list2))
	want = []state.Price{bill, next, noLine, list2, odd}
	state.SortPrices(want)
	checkEqual(t, "prices after a second put", must(s.Prices())(t), want)
	closeStore(t, s)
	s = e.store(Options{})
	checkEqual(t, "prices after reopen", must(s.Prices())(t), want)
}

func testPutPricesInvalid(t *testing.T, e *env) {
	s := e.store(Options{})
	good := state.Price{Kind: state.PriceList, Key: "k", FetchedAt: t0}
	for _, p := range []state.Price{
		{Kind: "quote", Key: "k"},
		{Kind: state.PriceList, Key: ""},
		{Kind: state.PriceBill, Key: "i-1"},
		{Kind: state.PriceBill, Key: "i-1", Month: 202613},
		{Kind: state.PriceList, Key: "k", Month: 202610},
	} {
		if err := s.PutPrices(good, p); err == nil {
			t.Errorf("PutPrices(%+v) succeeded, want an error", p)
		}
	}
	checkEqual(t, "prices after refused puts", must(s.Prices())(t), []state.Price(nil))
}

// testPrunePrices: bill entries of months before the one bills are read for go, and every entry
// whose expiry is not after now; the rest stays.
func testPrunePrices(t *testing.T, e *env) {
	s := e.store(Options{})
	old := state.Price{Kind: state.PriceBill, Month: 202609, Key: "i-1", Monthly: micros("1"), FetchedAt: t0}
	cur := state.Price{Kind: state.PriceBill, Month: 202610, Key: "i-1", Monthly: micros("2"), FetchedAt: t0}
	later := state.Price{Kind: state.PriceBill, Month: 202611, Key: "i-1", Monthly: micros("3"), FetchedAt: t0}
	noLineDue := state.Price{Kind: state.PriceBill, Month: 202610, Key: "i-2", FetchedAt: t0, Expires: t0}
	noLineFresh := state.Price{Kind: state.PriceBill, Month: 202610, Key: "i-3", FetchedAt: t0, Expires: t0.Add(time.Nanosecond)}
	listDue := state.Price{Kind: state.PriceList, Key: "a", Monthly: micros("4"), FetchedAt: t0, Expires: t0.Add(-time.Hour)}
	listFresh := state.Price{Kind: state.PriceList, Key: "b", Monthly: micros("5"), FetchedAt: t0, Expires: t0.Add(time.Hour)}
	ok(t, s.PutPrices(old, cur, later, noLineDue, noLineFresh, listDue, listFresh))
	if n := must(s.PrunePrices(t0, 202610))(t); n != 3 {
		t.Errorf("PrunePrices = %d, want 3", n)
	}
	want := []state.Price{cur, later, noLineFresh, listFresh}
	state.SortPrices(want)
	checkEqual(t, "prices after prune", must(s.Prices())(t), want)
	if n := must(s.PrunePrices(t0, 202610))(t); n != 0 {
		t.Errorf("second PrunePrices = %d, want 0", n)
	}
}

func saving(id, policy string, month int, amount string) state.Saving {
	return state.Saving{InstanceID: id, Policy: policy, Month: month, Amount: micros(amount)}
}

// testAddSavingCountsOnce: an instance counts once, whatever month or policy a later add names,
// across a reopen (a restart, or a crash after the add committed).
func testAddSavingCountsOnce(t *testing.T, e *env) {
	s := e.store(Options{Now: fixed(t0)})
	add := func(s state.Backend, sv state.Saving, want bool) {
		t.Helper()
		if got := must(s.AddSaving(sv))(t); got != want {
			t.Errorf("AddSaving(%s, %s, %d) = %v, want %v", sv.InstanceID, sv.Policy, sv.Month, got, want)
		}
	}
	add(s, saving("i-1", "reaper.idle", 202611, "10.5"), true)
	add(s, saving("i-1", "reaper.idle", 202611, "10.5"), false)
	add(s, saving("i-1", "reaper.expiry", 202612, "99"), false)
	add(s, saving("i-2", "reaper.idle", 202611, "0.000001"), true)
	add(s, saving("i-3", "reaper.expiry", 202612, "7"), true)
	closeStore(t, s)
	s = e.store(Options{})
	add(s, saving("i-1", "reaper.idle", 202611, "10.5"), false)
	add(s, saving("i-3", "reaper.expiry", 202612, "7"), false)
	checkEqual(t, "totals", must(s.SavingsTotals())(t), []state.SavingsTotal{
		{Month: 202611, Policy: "reaper.idle", Amount: *micros("10.500001")},
		{Month: 202612, Policy: "reaper.expiry", Amount: 7 * money.Unit},
	})
	snap := must(s.Export())(t)
	if got := snap.Money.Savings["i-1"]; got.Policy != "reaper.idle" || *got.Amount != *micros("10.5") || !got.CountedAt.Equal(t0) {
		t.Errorf("exported saving of i-1 = %+v, want the first add, counted at %v", got, t0)
	}
}

func testAddSavingInvalid(t *testing.T, e *env) {
	s := e.store(Options{})
	for _, sv := range []state.Saving{
		{Policy: "p", Month: 202611, Amount: micros("1")},
		{InstanceID: "i", Month: 202611, Amount: micros("1")},
		{InstanceID: "i", Policy: "p", Month: 2026, Amount: micros("1")},
		{InstanceID: "i", Policy: "p", Month: 202611},
	} {
		if added, err := s.AddSaving(sv); err == nil || added {
			t.Errorf("AddSaving(%+v) = %v, %v; want an error", sv, added, err)
		}
	}
	checkEqual(t, "totals after refused adds", must(s.SavingsTotals())(t), []state.SavingsTotal(nil))
}

// testAddSavingConcurrent: of several writers adding one termination at once, exactly one counts it.
func testAddSavingConcurrent(t *testing.T, e *env) {
	s := e.store(Options{})
	const n = 8
	var wg sync.WaitGroup
	results := make(chan bool, n)
	for range n {
		wg.Go(func() {
			added, err := s.AddSaving(saving("i-1", "reaper.idle", 202611, "5"))
			if err != nil {
				t.Error(err)
			}
			results <- added
		})
	}
	wg.Wait()
	close(results)
	counted := 0
	for r := range results {
		if r {
			counted++
		}
	}
	if counted != 1 {
		t.Errorf("%d of %d concurrent adds counted, want 1", counted, n)
	}
	checkEqual(t, "totals", must(s.SavingsTotals())(t), []state.SavingsTotal{{Month: 202611, Policy: "reaper.idle", Amount: 5 * money.Unit}})
}

// testMoneyExportImport: state migrate copies the price cache and the ledger, and an instance
// counted before the copy still counts once after it.
func testMoneyExportImport(t *testing.T, e *env) {
	src := e.store(Options{Now: fixed(t0)})
	ok(t, src.PutPrices(state.Price{Kind: state.PriceBill, Month: 202610, Key: "i-1", Monthly: micros("1.25")},
		state.Price{Kind: state.PriceList, Key: "z/t/POSTPAID/ByBandwidth", Expires: t0.Add(time.Hour)}))
	must(src.AddSaving(saving("i-1", "reaper.idle", 202611, "1.25")))(t)
	must(src.AddSaving(saving("i-2", "reaper.idle", 202611, "2")))(t)
	snap := must(src.Export())(t)
	if len(snap.Money.Prices) != 2 || len(snap.Money.Savings) != 2 || len(snap.Money.Totals) != 1 {
		t.Fatalf("export: %s; want 2 prices, 2 savings, 1 total", state.FormatCounts(snap.Counts()))
	}
	dst := e.other(Options{})
	ok(t, dst.Import(snap))
	checkEqual(t, "export of the import", must(dst.Export())(t), snap)
	if must(dst.AddSaving(saving("i-1", "reaper.idle", 202611, "1.25")))(t) {
		t.Error("an instance counted before the copy counts again after it")
	}
	checkEqual(t, "totals of the import", must(dst.SavingsTotals())(t),
		[]state.SavingsTotal{{Month: 202611, Policy: "reaper.idle", Amount: *micros("3.25")}})
}

func testImportRefusesStoreWithMoney(t *testing.T, e *env) {
	snap := &state.Snapshot{Meta: map[string]string{"k": "v"}}
	for name, prepare := range map[string]func(state.Backend) error{
		"a price":  func(s state.Backend) error { return s.PutPrices(state.Price{Kind: state.PriceList, Key: "k"}) },
		"a saving": func(s state.Backend) error { _, err := s.AddSaving(saving("i", "p", 202611, "1")); return err },
	} {
		s := e.other(Options{})
		ok(t, prepare(s))
		var ne *state.NotEmptyError
		if err := s.Import(snap); !errors.As(err, &ne) {
			t.Errorf("%s: Import = %v, want a *NotEmptyError", name, err)
		}
		if _, found, _ := s.Meta("k"); found {
			t.Errorf("%s: the refused import wrote meta", name)
		}
	}
}

// legacyMeta is what the previous version kept in metadata: a cached bill and list price, one
// that does not decode (a cache entry: dropped), a ledger index naming a bucket a crash never
// wrote, two buckets (one with 2000 instances, one holding an instance the other holds too), and
// keys that are not its own.
func legacyMeta() map[string]string {
	ids := make([]string, 2000)
	for i := range ids {
		ids[i] = fmt.Sprintf(`"94534567271282%04d"`, i)
	}
	return map[string]string{
		"pricing/bill/945345672712820433":               `{"month":202610,"monthly":93.260000,"fetched_at":"2026-11-05T00:00:00Z"}`,
		"pricing/list/SEL-A/M6C/POSTPAID/ByBandwidth":   `{"monthly":null,"fetched_at":"2026-11-05T00:00:00.123456789+08:00","expires":"2026-11-06T00:00:00Z"}`,
		"pricing/list/ü-zone/type with space/PREPAID/x": `{not json`,
		"savings/index":                `[{"policy":"reaper.idle","month":202611,"amount":0.000000},{"policy":"reaper.tags","month":202612,"amount":0}]`,
		"savings/202611/reaper.idle":   `{"total":193.260000,"instances":[` + strings.Join(ids, ",") + `]}`,
		"savings/202610/reaper.expiry": `{"total":"0.000001","instances":["94534567271282` + "0007" + `","i-x"]}`,
		"savings.note":                 "not the ledger's",
		"notify.candidate_digest":      "sha256:abcd",
	}
}

// checkLegacyMoved checks a store that held legacyMeta.
func checkLegacyMoved(t *testing.T, s state.Backend) {
	t.Helper()
	checkEqual(t, "prices", must(s.Prices())(t), []state.Price{
		{Kind: state.PriceBill, Month: 202610, Key: "945345672712820433", Monthly: micros("93.26"), FetchedAt: time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)},
		{Kind: state.PriceList, Key: "SEL-A/M6C/POSTPAID/ByBandwidth", FetchedAt: time.Date(2026, 11, 5, 0, 0, 0, 123456789, time.FixedZone("", 8*3600)),
			Expires: time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC)},
	})
	checkEqual(t, "totals", must(s.SavingsTotals())(t), []state.SavingsTotal{
		{Month: 202610, Policy: "reaper.expiry", Amount: 1},
		{Month: 202611, Policy: "reaper.idle", Amount: *micros("193.26")},
	})
	for _, k := range []string{"pricing/bill/945345672712820433", "savings/index", "savings/202611/reaper.idle", "pricing/list/ü-zone/type with space/PREPAID/x"} {
		if v, found, err := s.Meta(k); found || err != nil {
			t.Errorf("Meta(%q) = %.40q, %v, %v; want it moved", k, v, found, err)
		}
	}
	for _, k := range []string{"savings.note", "notify.candidate_digest"} {
		if _, found, err := s.Meta(k); !found || err != nil {
			t.Errorf("Meta(%q) = %v, %v; want it kept", k, found, err)
		}
	}
	// Every instance a bucket held is counted: adding it again changes nothing.
	for _, id := range []string{"945345672712820000", "945345672712821999", "945345672712820007", "i-x"} {
		if must(s.AddSaving(saving(id, "reaper.idle", 202612, "1000")))(t) {
			t.Errorf("AddSaving(%s) counted an instance the previous version counted", id)
		}
	}
	if !must(s.AddSaving(saving("i-new", "reaper.idle", 202611, "1")))(t) {
		t.Error("AddSaving(i-new) = false, want a new instance counted")
	}
	if got := must(s.SavingsTotals())(t); len(got) != 2 || got[1].Amount != *micros("194.26") {
		t.Errorf("totals after one more saving = %+v, want 194.26 for reaper.idle in 202611", got)
	}
}

// testLegacyMetaMovedOnOpen: a store the previous version wrote (the ledger and the cache in
// metadata) is moved into the typed records when a writer opens it, losing nothing.
func testLegacyMetaMovedOnOpen(t *testing.T, e *env) {
	s := e.store(Options{})
	for k, v := range legacyMeta() {
		ok(t, s.SetMeta(k, v))
	}
	closeStore(t, s)
	s = e.store(Options{})
	closeStore(t, s) // a second open finds nothing left to move
	checkLegacyMoved(t, e.store(Options{}))
}

// testLegacySnapshotImported: a snapshot holding the previous version's keys (exported from a
// store no writer opened since) imports into the typed records.
func testLegacySnapshotImported(t *testing.T, e *env) {
	snap := &state.Snapshot{Meta: legacyMeta()}
	dst := e.other(Options{})
	ok(t, dst.Import(snap))
	if len(snap.Meta) != len(legacyMeta()) {
		t.Error("Import changed the caller's snapshot")
	}
	checkLegacyMoved(t, dst)
}

// testLegacyLedgerUndecodable: a ledger bucket that does not decode is money that cannot be
// counted: the import fails naming it, and writes nothing.
func testLegacyLedgerUndecodable(t *testing.T, e *env) {
	meta := legacyMeta()
	meta["savings/202611/reaper.idle"] = `{"total":12.5,"instances":[1,2]}`
	dst := e.other(Options{})
	err := dst.Import(&state.Snapshot{Meta: meta})
	if err == nil || !strings.Contains(err.Error(), "savings/202611/reaper.idle") {
		t.Fatalf("Import = %v, want an error naming savings/202611/reaper.idle", err)
	}
	if snap := must(dst.Export())(t); !snap.Empty() {
		t.Errorf("the failed import wrote %s", state.FormatCounts(snap.Counts()))
	}

	// A store the previous version wrote so: a writer's open fails naming the key, and moves nothing.
	s := e.store(Options{})
	for k, v := range meta {
		ok(t, s.SetMeta(k, v))
	}
	closeStore(t, s)
	if s, err := e.open(Options{}); err == nil || !strings.Contains(err.Error(), "savings/202611/reaper.idle") {
		if err == nil {
			_ = s.Close()
		}
		t.Errorf("open = %v, want an error naming savings/202611/reaper.idle", err)
	}
}
