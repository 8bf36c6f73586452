package zensim

import (
	"fmt"
	"math"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// Demo traffic rates: well under and well over the bundled idle policy's 100 kbps p95 threshold.
const (
	demoIdleBps = 3_000
	demoBusyBps = 80_000_000
)

// DemoFleet returns a small hand-made fleet for `reaper demo`, one instance per scenario the guards
// and bundled policies handle; each name says what it shows.
func DemoFleet(now time.Time) Fleet {
	now = now.UTC().Truncate(time.Second)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	at := func(t time.Time) *time.Time { return &t }
	day := 24 * time.Hour
	busy := TrafficProfile{InBps: demoBusyBps, OutBps: demoBusyBps / 2, Jitter: 0.3}
	idle := TrafficProfile{InBps: demoIdleBps, OutBps: demoIdleBps, Jitter: 0.5}
	twelve := 12
	expired := ago(2 * day).Format(time.RFC3339)

	d := demoBuilder{out: make([]FleetInstance, 0, 32)} // capacity: add returns pointers into out
	d.add("expired-ci-runner", zen.StatusRunning, ago(10*day), busy, tags("owner", "ci", "reaper-expires-at", ago(36*time.Hour).Format(time.RFC3339)))
	d.add("expired-date-sandbox", zen.StatusRunning, ago(20*day), busy, tags("owner", "web", "reaper-expires-at", ago(3*day).Format(time.DateOnly)))
	d.add("ttl-72h-loadtest", zen.StatusRunning, ago(5*day), busy, tags("owner", "qa", "reaper-ttl", "72h"))
	d.add("ttl-7d-staging", zen.StatusRunning, ago(10*day), busy, tags("owner", "web", "env", "staging", "reaper-ttl", "7d"))
	d.add("ttl-2w-experiment", zen.StatusStopped, ago(20*day), busy, tags("owner", "ml", "reaper-ttl", "2w"))
	d.add("malformed-expiry-tag", zen.StatusRunning, ago(30*day), busy, tags("owner", "data", "reaper-expires-at", "next tuesday"))
	d.add("idle-old-build-box", zen.StatusRunning, ago(90*day), idle, tags("owner", "ci", "env", "dev"))
	d.add("busy-old-web", zen.StatusRunning, ago(200*day), busy, tags("owner", "web", "env", "prod"))
	d.add("failed-create-old", zen.StatusCreateFailed, ago(2*day), TrafficProfile{}, tags("owner", "ci"))
	d.add("failed-install-old", zen.StatusInstallFailed, ago(12*time.Hour), TrafficProfile{}, tags("owner", "ci"))
	d.add("failed-create-young", zen.StatusCreateFailed, ago(time.Hour), TrafficProfile{}, tags("owner", "ci"))
	d.add("installing-new", zen.StatusInstalling, ago(20*time.Minute), TrafficProfile{}, tags("owner", "data", "reaper-expires-at", expired))
	d.add("creating-new", zen.StatusCreating, ago(5*time.Minute), TrafficProfile{}, tags("owner", "data", "reaper-expires-at", expired))
	d.add("in-recycle-bin", zen.StatusRecycle, ago(40*day), idle, tags("owner", "qa", "reaper-expires-at", expired)).
		RecycledAt = at(ago(6 * time.Hour))
	d.add("booting-expired-tag", zen.StatusBooting, ago(15*day), busy, tags("owner", "web", "reaper-expires-at", expired))
	prepaid := d.add("prepaid-expired-tag", zen.StatusRunning, ago(100*day), busy, tags("owner", "video", "reaper-expires-at", expired))
	prepaid.ChargeType, prepaid.PeriodMonths, prepaid.AutoRenew = zen.ChargePrepaid, &twelve, true
	prepaid.ExpiresAt = at(prepaid.CreatedAt.AddDate(1, 0, 0))
	d.add("commitment-expired-tag", zen.StatusRunning, ago(25*day), busy, tags("owner", "payments", "reaper-expires-at", expired)).
		Commitment = true
	d.add("protected-expired", zen.StatusRunning, ago(60*day), idle, tags("owner", "platform", "reaper-protect", "true", "reaper-expires-at", expired))
	d.add("keep-expired", zen.StatusRunning, ago(60*day), idle, tags("owner", "search", "reaper-keep", "true", "reaper-expires-at", expired))
	d.add("no-owner-tag", zen.StatusRunning, ago(5*day), busy, nil)
	stopped := d.add("stopped-no-traffic", zen.StatusStopped, ago(45*day), idle, tags("owner", "edge"))
	stopped.Traffic.GapsFrom = at(ago(10 * day))
	d.add("snoozed-expired", zen.StatusRunning, ago(30*day), busy,
		tags("owner", "ml", "reaper-expires-at", expired, "reaper-snooze-until", now.Add(3*day).Format(time.RFC3339)))
	d.add("snoozed-too-far", zen.StatusRunning, ago(30*day), busy,
		tags("owner", "ml", "reaper-expires-at", expired, "reaper-snooze-until", now.AddDate(0, 3, 0).Format(time.DateOnly)))
	return Fleet{Instances: d.out, Prices: demoPrices(), Bills: demoBills(d.out, now)}
}

// Demo prices: list prices of the demo type in every demo zone.
const (
	demoHourly  = 0.95  // POSTPAID, per hour
	demoMonthly = 590.0 // PREPAID, per month before the 10 % term discount
)

// demoPrices quotes the demo type in every demo zone: POSTPAID hourly, PREPAID monthly with a
// 10 % discount, both for every internet charge type.
func demoPrices() PriceBook {
	var out PriceBook
	for _, zone := range demoZones {
		out = append(out, PriceOffer{
			Zone: zone, Type: "S9I",
			Postpaid: &PriceQuote{Instance: PriceItem{UnitPrice: ptrOf(demoHourly), ChargeUnit: "HOUR"}},
			Prepaid:  &PriceQuote{Instance: PriceItem{OriginalPrice: ptrOf(demoMonthly), Discount: ptrOf(90.0)}},
		})
	}
	return out
}

// demoBills bills the last full UTC calendar month before now: each POSTPAID instance that
// existed then gets two lines (to mid-month and the rest) at the hourly price for the hours it
// existed, part of the first paid by voucher; a PREPAID one its discounted monthly price, deducted
// on the 1st. Instances that failed to create cost nothing.
func demoBills(instances []FleetInstance, now time.Time) []BillLine {
	end := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(0, -1, 0)
	mid := start.AddDate(0, 0, 15)
	var out []BillLine
	for i, in := range instances {
		if !in.CreatedAt.Before(end) || in.Status == zen.StatusCreateFailed {
			continue
		}
		line := BillLine{
			ResourceID: in.ID, Label: in.Name, Location: in.Zone,
			ResourceGroupID: in.ResourceGroupID, ResourceGroupName: in.ResourceGroupName,
		}
		if in.ChargeType == zen.ChargePrepaid {
			line.Cash = round6(demoMonthly * 0.9)
			line.OrderSn = fmt.Sprintf("DEMO-%02d-%d", i+1, monthOf(start))
			line.BillingMode = "Subscription"
			line.DeductionTime, line.StartTime, line.EndTime = start, start, end
			out = append(out, line)
			continue
		}
		for half, period := range [][2]time.Time{{start, mid}, {mid, end}} {
			from := period[0]
			if created := in.CreatedAt.UTC().Truncate(time.Hour); created.After(from) {
				from = created
			}
			if !from.Before(period[1]) {
				continue
			}
			l := line
			amount := round6(math.Round(period[1].Sub(from).Hours()*demoHourly*100) / 100)
			if half == 0 {
				l.Voucher = round6(math.Min(amount, 20))
			}
			l.Cash = round6(amount - l.Voucher)
			l.OrderSn = fmt.Sprintf("DEMO-%02d-%d-%d", i+1, monthOf(start), half+1)
			l.DeductionTime, l.StartTime, l.EndTime = period[1], from, period[1]
			l.BillMonthly = monthOf(start) // the line deducted at midnight on the 1st is the month before's
			out = append(out, l)
		}
	}
	return out
}

// demoZones are the zones demo instances are spread over.
var demoZones = []string{"HKG-A", "SIN-A", "FRA-A", "LAX-A"}

// demoBuilder numbers demo instances in order, so listing order is scenario order.
type demoBuilder struct {
	out []FleetInstance
}

func (d *demoBuilder) add(name string, status zen.Status, created time.Time, traffic TrafficProfile, t map[string]string) *FleetInstance {
	n := len(d.out) + 1
	zones := demoZones
	d.out = append(d.out, FleetInstance{
		ID:                 "9322373695606624" + string(rune('0'+n/10)) + string(rune('0'+n%10)),
		Name:               name,
		Hostname:           name,
		Zone:               zones[n%len(zones)],
		Type:               "S9I",
		Status:             status,
		ChargeType:         zen.ChargePostpaid,
		InternetChargeType: "ByBandwidth",
		CreatedAt:          created,
		ResourceGroupID:    "rg-0a1b2c3d",
		ResourceGroupName:  "Default Resource Group",
		Tags:               t,
		PublicIPs:          []string{publicIP(n)},
		PrivateIPs:         []string{privateIP(n)},
		Traffic:            traffic,
	})
	return &d.out[len(d.out)-1]
}

// tags builds a tag map from key, value pairs.
func tags(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
