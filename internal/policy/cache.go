package policy

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The decision cache: an Engine remembers, per instance (known by a hash of its ID, idHash), a
// hash of the instance's fields and what the last evaluation of those fields proved. The first
// call that sees the fields only notes them (once), so that a one-shot plan pays nearly nothing
// for the cache; the second evaluates the instance's time guards and the entry is complete. The
// sets (slots) whose time guards (see timeGuards) were all false have the same value at every
// time: the entry keeps those values (its base decision). The sets with a guard that holds are the entry's mask: a later call with
// the same fields evaluates only those sets and adds the base. A mask of 0 serves the base
// without evaluating; a full mask evaluates everything.
//
// Everything in the cache belongs to one generation: the engine's policy digest and the hash of
// the merged params. A call with other params flushes it; a reload loads a new Engine, with an
// empty cache. A failed evaluation, or guards that fail to evaluate, leave no entry (errors are
// never cached). A base with a terminate reason gets a full mask: a reason to terminate is
// never served from the cache. Entries an instance no longer
// refreshes are dropped after cacheKeepEpochs calls with another now, so the cache holds about
// one fleet.

// cacheKeepEpochs is how many distinct evaluation times an entry survives without being used:
// a cycle evaluates at its start and again (the act step's re-check, a few instances) later.
const cacheKeepEpochs = 4

// instanceSum is the 128-bit hash of every field of an Instance.
type instanceSum [2]uint64

// cacheEntry is what the cache knows about one instance: 32 bytes, so that a fleet's entries
// cost little in a one-shot plan, which only notes them.
type cacheEntry struct {
	sum   instanceSum
	epoch atomic.Uint32
	// known is what the analysis proved; nil when the fields were seen once and nothing is
	// known yet.
	known *analysis
}

// analysis is what evaluating an instance with its time guards proved.
type analysis struct {
	// mask holds the slots to evaluate on every call (bit i: the policy query's slot i);
	// decision is the base: the reasons of the other slots (nil: none).
	mask     uint64
	decision *Decision
	memo     []memoValue // values of time-free rules, for the evaluation of the mask
	// imported marks an analysis read from a saved cache (ImportCache) rather than proved by
	// this process: a checksum shows the blob is whole, not who wrote it, so whoever can write
	// the state could have dropped an exemption from its base. A decision with a reason to
	// terminate is therefore never made from an imported analysis: the instance is evaluated
	// in full instead.
	imported bool
}

// timeFree is the analysis of most instances: nothing to evaluate, no reasons. Shared.
var timeFree = &analysis{}

// fullMask evaluates every slot.
const fullMask = ^uint64(0)

// decisionCache is an Engine's cache. A call holds mu for reading while its workers look
// entries up (marking one used is atomic); starting a call (flush, sweep) and adding a call's
// new entries after its workers are done hold it for writing.
type decisionCache struct {
	mu      sync.RWMutex
	key     [cacheKeyBytes]byte // the instance hashes' key (see instanceHasher)
	gen     string
	now     time.Time
	epoch   uint32
	index   map[uint64]int32 // idHash of an instance ID -> its entry
	entries []cacheEntry
	// changes counts the changes to the entries (added, replaced, flushed, swept); saved is its
	// value when the entries were last saved (CacheSaved) or imported, exported its value at the
	// last export, so that an unchanged cache is not written again (see ExportCache).
	changes, saved, exported uint64
	synced                   bool
}

func newDecisionCache() *decisionCache {
	c := &decisionCache{}
	rand.Read(c.key[:]) // never fails (crypto/rand)
	return c
}

// cacheView is one call's read-only view of the cache.
type cacheView struct {
	key     *[cacheKeyBytes]byte
	seed    uint64 // idSeed of key
	epoch   uint32
	index   map[uint64]int32
	entries []cacheEntry
}

// begin starts a call at now with the generation gen: it flushes the cache when gen changed,
// and starts a new epoch (dropping stale entries) when now changed. The caller holds c.mu for
// writing, and then takes its view (see view) under the read lock it evaluates with.
func (c *decisionCache) begin(gen string, now time.Time) {
	if c.gen != gen || c.index == nil {
		c.gen, c.index, c.entries, c.epoch = gen, map[uint64]int32{}, nil, 0
		c.changes++
	}
	if !now.Equal(c.now) {
		c.now = now
		c.epoch++
		c.sweep()
	}
}

// view is the cache as a call of the generation gen reads it; ok is false when another call
// flushed it for another generation since this one began (the call evaluates without it then).
// The caller holds c.mu: the index and the entries it names change together (add, sweep), so
// a view is taken and used under one hold of the lock. (A view taken at begin, before the
// lock was let go, could meet another call's additions to the index beyond its entries.)
func (c *decisionCache) view(gen string) (v cacheView, ok bool) {
	if c.gen != gen || c.index == nil {
		return cacheView{}, false
	}
	return cacheView{key: &c.key, seed: idSeed(&c.key), epoch: c.epoch, index: c.index, entries: c.entries}, true
}

// sweep drops the entries unused for cacheKeepEpochs epochs. When none is stale it changes
// nothing; otherwise it deletes their keys from the index in place (no second map while it
// runs, and the index keeps its size for the next call's adds) and copies the kept entries
// into a slice of exactly their number.
func (c *decisionCache) sweep() {
	stale := 0
	for i := range c.entries {
		if c.stale(&c.entries[i]) {
			stale++
		}
	}
	if stale == 0 {
		return
	}
	kept := make([]cacheEntry, 0, len(c.entries)-stale)
	for h, i := range c.index {
		e := &c.entries[i]
		if c.stale(e) {
			delete(c.index, h)
			continue
		}
		c.index[h] = int32(len(kept))
		kept = append(kept, cacheEntry{sum: e.sum, known: e.known})
		kept[len(kept)-1].epoch.Store(e.epoch.Load())
	}
	c.changes++
	c.entries = kept
}

// stale reports whether e was unused for cacheKeepEpochs epochs.
func (c *decisionCache) stale(e *cacheEntry) bool {
	return c.epoch-e.epoch.Load() > cacheKeepEpochs
}

// lookup returns the entry for the instance whose ID hashes to id (idHash) when the instance's
// hash is sum, and marks it used. The index knows only a hash of the ID: the entry found may be
// another instance's whose ID hash is the same, and the comparison of sum, which covers the ID
// (appendInstance writes it first), is what tells them apart. A colliding instance misses and
// is evaluated in full.
func (v *cacheView) lookup(id uint64, sum instanceSum) *cacheEntry {
	i, ok := v.index[id]
	if !ok {
		return nil
	}
	e := &v.entries[i]
	if e.sum != sum { // never remove: see above
		return nil
	}
	e.epoch.Store(v.epoch)
	return e
}

// newEntry is an entry a call adds.
type newEntry struct {
	id    uint64 // idHash of the instance ID
	sum   instanceSum
	known *analysis
}

// add stores the new entries of a call of generation gen, unless another call flushed the
// cache for another generation since. The caller holds c.mu for writing.
func (c *decisionCache) add(gen string, epoch uint32, adds []newEntry) {
	if gen != c.gen {
		return
	}
	if len(adds) > 0 {
		c.changes++
	}
	c.reserve(adds)
	for _, a := range adds {
		if len(c.entries) >= math.MaxInt32 {
			return
		}
		if i, ok := c.index[a.id]; ok {
			e := &c.entries[i]
			e.sum, e.known = a.sum, a.known
			e.epoch.Store(epoch)
			continue
		}
		c.index[a.id] = int32(len(c.entries))
		c.entries = append(c.entries, cacheEntry{sum: a.sum, known: a.known})
		c.entries[len(c.entries)-1].epoch.Store(epoch)
	}
}

// reserve makes room in c.entries for the instances of adds not in the index yet: when they are
// many (a fleet's first call), for exactly them, not append's quarter more.
func (c *decisionCache) reserve(adds []newEntry) {
	if len(adds) <= cap(c.entries)-len(c.entries) || len(adds) <= len(c.entries)/4 {
		return
	}
	n := 0
	for _, a := range adds {
		if _, ok := c.index[a.id]; !ok {
			n++
		}
	}
	if n <= cap(c.entries)-len(c.entries) || n <= len(c.entries)/4 {
		return // a few: append grows as usual
	}
	grown := make([]cacheEntry, len(c.entries), len(c.entries)+n)
	copy(grown, c.entries)
	c.entries = grown
}

// generation identifies what cached decisions were computed from: the policy set's digest and
// the merged params. ok is false when params cannot be hashed; nothing is cached then.
func generation(digest string, merged map[string]any) (gen string, ok bool) {
	b, err := json.Marshal(merged) // map keys sorted: the same params give the same bytes
	if err != nil {
		return "", false
	}
	sum := sha256.Sum256(b)
	return digest + "/" + hex.EncodeToString(sum[:]), true
}

// baseDecision is what the cache keeps of d: the reasons of the slots outside mask; nil when
// there are none. Its slices are clipped, so that a caller appending to a served decision
// copies.
func baseDecision(d Decision, slots []slot, mask uint64) *Decision {
	if mask == 0 && len(d.Terminate)+len(d.Exempt)+len(d.Warn) == 0 {
		return nil
	}
	var b Decision
	for _, set := range []string{setTerminate, setExempt, setWarn} {
		var all []Reason
		switch set {
		case setTerminate:
			all = d.Terminate
		case setExempt:
			all = d.Exempt
		default:
			all = d.Warn
		}
		var kept []Reason
		for _, r := range all {
			if !inMask(slots, mask, r.Policy, set) {
				kept = append(kept, r)
			}
		}
		*b.reasons(set) = clip(kept)
	}
	if len(b.Terminate)+len(b.Exempt)+len(b.Warn) == 0 {
		return nil
	}
	return &b
}

// inMask reports whether the slot of policy's set is in mask.
func inMask(slots []slot, mask uint64, policy, set string) bool {
	for i, s := range slots {
		if s.policy == policy && s.set == set {
			return mask&(1<<i) != 0
		}
	}
	return false
}

func clip(rs []Reason) []Reason {
	if len(rs) == 0 {
		return nil
	}
	return rs[:len(rs):len(rs)]
}

// merge adds the base reasons b to d, an evaluation of the slots outside b, and sorts them as
// decode does.
func merge(d *Decision, b *Decision) {
	if b == nil {
		return
	}
	for _, set := range []string{setTerminate, setExempt, setWarn} {
		base := *b.reasons(set)
		if len(base) == 0 {
			continue
		}
		dst := d.reasons(set)
		*dst = append(append(make([]Reason, 0, len(base)+len(*dst)), base...), *dst...)
		sortReasons(*dst)
	}
}

// served is the decision an analysis with mask 0 gives for the instance id.
func (e *analysis) served(id string) Decision {
	if e.decision == nil {
		return Decision{InstanceID: id}
	}
	d := *e.decision
	d.InstanceID = id
	return d
}

// cacheKeyBytes is the size of a cache's hash key.
const cacheKeyBytes = 16

// instanceHasher hashes instances for the decision cache; one per worker, its buffers reused.
type instanceHasher struct {
	buf  []byte
	keys []string
}

// idSeed is the start of idHash for the cache key key.
func idSeed(key *[cacheKeyBytes]byte) uint64 {
	h := uint64(fnvOffset)
	for _, b := range key {
		h = (h ^ uint64(b)) * fnvPrime
	}
	return h
}

// The 64-bit FNV-1a constants.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// idHash is the key of an instance ID in the cache's index, so that the cache keeps no copy
// of the IDs: 64-bit FNV-1a of the cache key (folded into seed by idSeed) and the ID. The
// index needs a hash that is the same in every process, for the persisted cache, which saves
// the hashes with the key: maphash is seeded per process, so it cannot be. It needs no
// cryptographic strength: a collision costs two instances their cache entry (lookup compares
// the entry's instanceSum, which covers the ID, so neither is served the other's decision),
// instance IDs are assigned by Zenlayer, not chosen by whoever writes tags, and the key, random
// per cache, varies the hashes anyway. It runs on every instance of every call, so it is cheap:
// a multiply per byte of a short ID. A variable so that a test can make IDs collide.
var idHash = func(seed uint64, id string) uint64 {
	h := seed
	for i := 0; i < len(id); i++ {
		h = (h ^ uint64(id[i])) * fnvPrime
	}
	return h
}

// sum returns the 128-bit hash of every field of in under key: the first half of the SHA-256
// of the key and the fields' encoding. The hash is the same in every process (so that a
// persisted cache can be matched, see persist.go), and the key, random per cache and kept with
// it, makes it unpredictable to whoever writes an instance's tags: they cannot choose new
// fields that collide with the old ones.
func (h *instanceHasher) sum(key *[cacheKeyBytes]byte, in *Instance) instanceSum {
	b := append(h.buf[:0], key[:]...)
	b = h.appendInstance(b, in)
	h.buf = b
	s := sha256.Sum256(b)
	return instanceSum{binary.LittleEndian.Uint64(s[0:]), binary.LittleEndian.Uint64(s[8:])}
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(t.Unix()))
	b = binary.LittleEndian.AppendUint32(b, uint32(t.Nanosecond()))
	return appendBool(b, t.IsZero())
}

// appendInstance appends every field of in, each with its length or a presence flag, so that
// different instances give different bytes. The tags, a map, are written sorted by key.
func (h *instanceHasher) appendInstance(b []byte, in *Instance) []byte {
	for _, s := range []string{in.ID, in.Name, in.Hostname, in.Zone, in.Type, in.Status, in.ChargeType, in.InternetChargeType,
		in.ResourceGroup.ID, in.ResourceGroup.Name} {
		b = appendString(b, s)
	}
	b = appendTime(b, in.CreatedAt)
	b = appendBool(b, in.ExpiresAt != nil)
	if in.ExpiresAt != nil {
		b = appendTime(b, *in.ExpiresAt)
	}
	b = appendBool(b, in.AutoRenew != nil)
	if in.AutoRenew != nil {
		b = appendBool(b, *in.AutoRenew)
	}
	b = appendBool(b, in.PeriodMonths != nil)
	if in.PeriodMonths != nil {
		b = binary.LittleEndian.AppendUint64(b, uint64(*in.PeriodMonths))
	}
	b = appendBool(b, in.Tags == nil)
	b = binary.AppendUvarint(b, uint64(len(in.Tags)))
	keys := h.keys[:0]
	for k := range in.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = appendString(appendString(b, k), in.Tags[k])
	}
	clear(keys) // keep no instance's strings alive
	h.keys = keys[:0]
	b = appendBool(b, in.TagList == nil)
	b = binary.AppendUvarint(b, uint64(len(in.TagList)))
	for _, t := range in.TagList {
		b = appendString(appendString(b, t.Key), t.Value)
	}
	for _, ips := range [][]string{in.PublicIPs, in.PrivateIPs} {
		b = appendBool(b, ips == nil)
		b = binary.AppendUvarint(b, uint64(len(ips)))
		for _, s := range ips {
			b = appendString(b, s)
		}
	}
	b = appendBool(b, in.Traffic != nil)
	if t := in.Traffic; t != nil {
		for _, v := range []int64{t.WindowSeconds, int64(t.Samples), t.InP95Bps, t.OutP95Bps, t.InAvgBps, t.OutAvgBps} {
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
		b = appendBool(b, t.Complete)
	}
	return b
}
