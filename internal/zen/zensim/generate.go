package zensim

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
)

var (
	genZones  = []string{"HKG-A", "SIN-A", "FRA-A", "LAX-A", "TYO-A", "AMS-A", "NYC-A", "SAO-A", "DXB-A", "SEL-A"}
	genTypes  = []string{"S9I", "M6C", "M9I", "L6C", "G8A", "H4S", "E5C"}
	genOwners = []string{"ci", "data", "web", "ml", "platform", "search", "payments", "qa", "video", "edge"}
	genEnvs   = []string{"prod", "prod", "prod", "staging", "dev", "ci"}
	genRoles  = []string{"web", "db", "cache", "worker", "ci-runner", "build", "gpu", "edge", "kafka", "search"}
	genGroups = [][2]string{
		{"rg-0a1b2c3d", "Default Resource Group"}, {"rg-1f2e3d4c", "platform"},
		{"rg-5a6b7c8d", "data-eng"}, {"rg-9e8f7a6b", "ci-cd"},
	}
	genTTLs = []string{"24h", "72h", "7d", "2w", "30d"}
)

// genStatuses is the status mix: cumulative weights in tenths of a percent.
var genStatuses = []struct {
	status zen.Status
	upTo   int
}{
	{zen.StatusRunning, 850}, {zen.StatusStopped, 930}, {zen.StatusCreateFailed, 945},
	{zen.StatusInstallFailed, 955}, {zen.StatusInstalling, 970}, {zen.StatusCreating, 980},
	{zen.StatusRecycle, 990}, {zen.StatusBooting, 995}, {zen.StatusStopping, 1000},
}

// Generate returns a realistic fleet of n instances, the same for the same seed and now: ~85 %
// RUNNING, some STOPPED, a few CREATE_FAILED, INSTALL_FAILED, INSTALLING, CREATING, RECYCLE,
// BOOTING and STOPPING; ~10 % PREPAID; some POSTPAID in a commitment period; owner and env tags and
// a sprinkling of reaper-expires-at, reaper-ttl, reaper-keep and reaper-protect; creation times over
// the last ~400 days; 18-digit numeric IDs; traffic mostly busy, ~15 % idle near 0 bps.
func Generate(n int, seed int64, now time.Time) Fleet {
	now = now.UTC().Truncate(time.Second)
	g := generator{rnd: rand.New(rand.NewPCG(uint64(seed), 0x6a09e667f3bcc909)), now: now}
	f := Fleet{Instances: make([]FleetInstance, 0, max(n, 0))}
	seen := make(map[string]struct{}, max(n, 0))
	for i := range max(n, 0) {
		id := g.id()
		for _, dup := seen[id]; dup; _, dup = seen[id] {
			id = g.id()
		}
		seen[id] = struct{}{}
		f.Instances = append(f.Instances, g.instance(i, id))
	}
	return f
}

type generator struct {
	rnd *rand.Rand
	now time.Time
}

// id returns an 18-digit numeric ID (no leading zero).
func (g generator) id() string {
	const lo, span = 100_000_000_000_000_000, 900_000_000_000_000_000
	return strconv.FormatUint(lo+g.rnd.Uint64N(span), 10)
}

func (g generator) pick(s []string) string { return s[g.rnd.IntN(len(s))] }

func (g generator) chance(p float64) bool { return g.rnd.Float64() < p }

func (g generator) instance(i int, id string) SimInstance {
	status := g.status()
	env := g.pick(genEnvs)
	name := env + "-" + g.pick(genRoles) + "-" + strconv.Itoa(i)
	group := genGroups[g.rnd.IntN(len(genGroups))]
	in := SimInstance{
		ID:                 id,
		Name:               name,
		Hostname:           name,
		Zone:               g.pick(genZones),
		Type:               g.pick(genTypes),
		Status:             status,
		ChargeType:         zen.ChargePostpaid,
		InternetChargeType: g.internetChargeType(),
		CreatedAt:          g.createdAt(status),
		ResourceGroupID:    group[0],
		ResourceGroupName:  group[1],
		PublicIPs:          []string{publicIP(i)},
		PrivateIPs:         []string{privateIP(i)},
	}
	in.Tags = g.tags(env, in.CreatedAt)
	g.billing(&in)
	if status == zen.StatusRecycle {
		since := g.now.Sub(in.CreatedAt)
		t := g.now.Add(-time.Duration(g.rnd.Int64N(int64(min(since, 23*time.Hour)) + 1))).Truncate(time.Second)
		in.RecycledAt = &t
	}
	in.Traffic = g.traffic(&in)
	return in
}

func (g generator) status() zen.Status {
	r := g.rnd.IntN(1000)
	for _, s := range genStatuses {
		if r < s.upTo {
			return s.status
		}
	}
	return zen.StatusRunning
}

func (g generator) internetChargeType() string {
	switch r := g.rnd.IntN(100); {
	case r < 70:
		return "ByBandwidth"
	case r < 80:
		return "ByTrafficPackage"
	case r < 95:
		return "ByInstanceBandwidth95"
	default:
		return "ByClusterBandwidth95"
	}
}

// createdAt spreads creation over ~400 days; instances still being built are young, and a part of
// the failed ones are younger than a failed-build grace period.
func (g generator) createdAt(status zen.Status) time.Time {
	var age time.Duration
	switch status {
	case zen.StatusCreating, zen.StatusPending, zen.StatusInstalling:
		age = time.Duration(g.rnd.Int64N(int64(2 * time.Hour)))
	case zen.StatusCreateFailed, zen.StatusInstallFailed:
		age = time.Duration(g.rnd.Int64N(int64(10 * 24 * time.Hour)))
	default:
		age = time.Duration(g.rnd.Int64N(int64(400 * 24 * time.Hour)))
	}
	return g.now.Add(-age - time.Minute).Truncate(time.Second)
}

func (g generator) tags(env string, created time.Time) map[string]string {
	t := map[string]string{}
	if g.chance(0.9) {
		t["owner"] = g.pick(genOwners)
	}
	if g.chance(0.85) {
		t["env"] = env
	}
	switch r := g.rnd.IntN(1000); {
	case r < 25: // expiry as RFC 3339, mostly in the past
		t["reaper-expires-at"] = g.expiry(created).Format(time.RFC3339)
	case r < 50: // expiry as a date
		t["reaper-expires-at"] = g.expiry(created).Format(time.DateOnly)
	case r < 53:
		t["reaper-expires-at"] = "someday"
	case r < 93:
		t["reaper-ttl"] = g.pick(genTTLs)
	}
	if g.chance(0.02) {
		t["reaper-keep"] = "true"
	}
	if g.chance(0.01) {
		t["reaper-protect"] = "true"
	}
	if len(t) == 0 {
		return nil
	}
	return t
}

// expiry is between creation and 60 days from now, in the past 60 % of the time.
func (g generator) expiry(created time.Time) time.Time {
	if g.chance(0.6) {
		return created.Add(time.Duration(g.rnd.Int64N(int64(g.now.Sub(created)) + 1))).Truncate(time.Second)
	}
	return g.now.Add(time.Duration(g.rnd.Int64N(int64(60*24*time.Hour)) + int64(time.Hour))).Truncate(time.Second)
}

// billing makes ~10 % PREPAID (expiry the next period end after now) and ~5 % of the rest in a
// commitment period.
func (g generator) billing(in *SimInstance) {
	if g.chance(0.10) {
		months := []int{1, 3, 6, 12}[g.rnd.IntN(4)]
		exp := in.CreatedAt.AddDate(0, months, 0)
		for !exp.After(g.now) {
			exp = exp.AddDate(0, months, 0)
		}
		in.ChargeType = zen.ChargePrepaid
		in.PeriodMonths = &months
		in.ExpiresAt = &exp
		in.AutoRenew = g.chance(0.8)
		return
	}
	in.Commitment = g.chance(0.05)
}

// traffic is busy (1 Mbps to ~1 Gbps, log-uniform) for most, near 0 bps for ~15 %; stopped
// machines have a gap from when they were switched off.
func (g generator) traffic(in *SimInstance) TrafficProfile {
	p := TrafficProfile{Jitter: 0.05 + 0.45*g.rnd.Float64()}
	if g.chance(0.15) {
		p.InBps, p.OutBps = g.rnd.Int64N(20_000), g.rnd.Int64N(20_000)
	} else {
		p.InBps = int64(math.Exp(math.Log(1e6) + g.rnd.Float64()*math.Log(1e3)))
		p.OutBps = int64(math.Exp(math.Log(1e6) + g.rnd.Float64()*math.Log(1e3)))
	}
	if in.Status == zen.StatusStopped {
		off := in.CreatedAt.Add(time.Duration(g.rnd.Int64N(int64(g.now.Sub(in.CreatedAt)) + 1))).Truncate(time.Second)
		p.GapsFrom = &off
	}
	return p
}

// publicIP numbers instances through 198.18.0.0/15 (the benchmarking range), unique up to 131072.
func publicIP(i int) string {
	i %= 1 << 17
	return "198." + strconv.Itoa(18+i>>16) + "." + strconv.Itoa(i>>8&0xff) + "." + strconv.Itoa(i&0xff)
}

// privateIP numbers instances through 10.0.0.0/8.
func privateIP(i int) string {
	i %= 1 << 24
	return "10." + strconv.Itoa(i>>16) + "." + strconv.Itoa(i>>8&0xff) + "." + strconv.Itoa(i&0xff)
}
