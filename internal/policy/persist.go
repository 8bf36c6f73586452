package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/version"
)

// Persisting the decision cache: ExportCache writes an Engine's cache as one blob, ImportCache
// reads it into a new Engine (a restarted daemon, a one-shot plan), so that it serves from its
// first call. An entry is a pure function of its generation and the instance's fields, so the
// blob is bound to a persisted generation (see CacheGeneration): the in-memory generation
// (policy digest, merged params), the blob format, the OPA version and the running binary
// itself, so that a new reaper build (whose analysis may differ) starts cold. It keeps, per
// instance, the hash of its ID (idHash, as the index keys it: not the ID), the fields' hash and
// what the analysis proved (the mask and the base decision, shared between instances that have
// the same one), and the hash key; not the remembered time-free values (memos), which a later
// evaluation finds again. Format 2, 8 + 16 + 3 bytes an entry (format 1 kept the IDs themselves,
// 38 bytes an entry with an 18-digit ID). A blob of another format is never read: its
// generation names its format and the build that wrote it, so it starts this build cold, as any
// other build's blob does.
//
// A blob is trusted only whole: it ends in a SHA-256 of everything before, and ImportCache
// rejects, changing nothing, a blob that is truncated, corrupt, of another format or generation,
// or that says something the analysis never writes: a base with a reason to terminate, a base
// reason of a slot the mask evaluates, a mask naming slots the set does not have, an ID hash
// twice.

// cacheFormat is the version of the blob's layout and of the analysis that fills it. It is
// part of the persisted generation; bump it on any change to either.
const cacheFormat = 2

// cacheMagic starts every blob.
var cacheMagic = []byte("reaper decision cache\n")

// maxPersisted bounds the entries a blob holds (and ImportCache accepts): a few fleets.
const maxPersisted = 1 << 22

// ErrCacheOff is returned by the persistence methods of an Engine without a decision cache (a
// set the analysis cannot prove; see the package doc).
var ErrCacheOff = errors.New("the decision cache is off for this policy set")

// ErrCacheUnchanged is returned by ExportCache when the cache has not changed since it was last
// exported or imported: what the store holds is what it would write.
var ErrCacheUnchanged = errors.New("the decision cache has not changed since it was saved or loaded")

// binaryIdentity identifies the running binary: the SHA-256 of its executable, read once. A
// variable so that tests can stand in for another build.
var binaryIdentity = sync.OnceValues(func() (string, error) {
	f, err := openExecutable()
	if err != nil {
		return "", fmt.Errorf("identify the running binary: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("identify the running binary: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)[:12]), nil
})

// openExecutable opens the file of the running binary: on Linux through /proc/self/exe, which
// still names the running file after a package upgrade replaced it on disk.
func openExecutable() (*os.File, error) {
	if runtime.GOOS == "linux" {
		if f, err := os.Open("/proc/self/exe"); err == nil {
			return f, nil
		}
	}
	path, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return os.Open(path)
}

// CacheGeneration returns the generation under which the decision cache for params is
// persisted: a blob is valid for exactly this string. It fails when the cache is off
// (ErrCacheOff), params cannot be hashed or the running binary cannot be read.
func (e *Engine) CacheGeneration(params map[string]any) (string, error) {
	if e.cache == nil {
		return "", ErrCacheOff
	}
	gen, ok := generation(e.set.digest, MergeParams(e.set.params, params))
	if !ok {
		return "", errors.New("decision cache generation: params cannot be hashed")
	}
	return persistedGeneration(cacheFormat, gen)
}

func persistedGeneration(format int, gen string) (string, error) {
	bin, err := binaryIdentity()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("format %d/opa %s/binary %s/%s", format, version.Version, bin, gen), nil
}

// ExportCache returns the decision cache's entries for params as a blob, and the generation it
// is bound to (see CacheGeneration). It fails when the cache holds another generation (no
// Evaluate with these params since it was flushed), and with ErrCacheUnchanged when nothing
// changed since it was imported or last saved (see CacheSaved).
func (e *Engine) ExportCache(params map[string]any) (gen string, blob []byte, err error) {
	pgen, err := e.CacheGeneration(params)
	if err != nil {
		return "", nil, err
	}
	mgen, _ := generation(e.set.digest, MergeParams(e.set.params, params))
	c := e.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != mgen {
		return "", nil, errors.New("export the decision cache: it holds no decisions for these params")
	}
	if c.synced && c.saved == c.changes {
		return "", nil, ErrCacheUnchanged
	}
	blob, err = encodeCache(cacheFormat, pgen, c.key, len(e.set.slots), c.index, c.entries)
	if err != nil {
		return "", nil, err
	}
	c.exported = c.changes
	return pgen, blob, nil
}

// CacheSaved tells the Engine that the blob of its last ExportCache is in the store: until the
// cache changes again, ExportCache returns ErrCacheUnchanged.
func (e *Engine) CacheSaved() {
	if e.cache == nil {
		return
	}
	e.cache.mu.Lock()
	defer e.cache.mu.Unlock()
	e.cache.saved, e.cache.synced = e.cache.exported, true
}

// ImportCache fills the Engine's empty decision cache from blob, a cache ExportCache wrote
// for params, and returns the number of entries. It changes nothing and returns an error when
// the blob is not valid for this Engine and params (see above) or the cache is not empty.
func (e *Engine) ImportCache(params map[string]any, blob []byte) (int, error) {
	pgen, err := e.CacheGeneration(params)
	if err != nil {
		return 0, err
	}
	mgen, _ := generation(e.set.digest, MergeParams(e.set.params, params))
	d, err := decodeCache(pgen, e.set.slots, blob)
	if err != nil {
		return 0, fmt.Errorf("import the decision cache: %w", err)
	}
	c := e.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.index) > 0 {
		return 0, errors.New("import the decision cache: it already holds decisions")
	}
	c.gen, c.key, c.index, c.entries = mgen, d.key, d.index, d.entries
	for i := range c.entries {
		c.entries[i].epoch.Store(c.epoch)
	}
	c.changes++
	c.saved, c.synced = c.changes, true // what the store holds is this cache
	return len(c.entries), nil
}

// Entry kinds in a blob.
const (
	kindSeen  = 0 // the fields were seen once; nothing known yet
	kindKnown = 1 // analysed: a mask and a base follow
)

// encodeCache writes the blob of the cache entries (index maps ID hashes into entries).
func encodeCache(format int, gen string, key [cacheKeyBytes]byte, slots int, index map[uint64]int32, entries []cacheEntry) ([]byte, error) {
	ids := make([]uint64, len(entries))
	for id, i := range index {
		ids[i] = id
	}
	n := min(len(entries), maxPersisted)
	// The bases, each written once.
	var bases [][]byte
	baseOf := map[*Decision]uint64{}
	byText := map[string]uint64{}
	for i := range n {
		k := entries[i].known
		if k == nil || k.decision == nil {
			continue
		}
		if _, ok := baseOf[k.decision]; ok {
			continue
		}
		text, err := json.Marshal(persistedBase{Exempt: k.decision.Exempt, Warn: k.decision.Warn, Terminate: k.decision.Terminate})
		if err != nil {
			return nil, fmt.Errorf("export the decision cache: %w", err)
		}
		ref, ok := byText[string(text)]
		if !ok {
			bases = append(bases, text)
			ref = uint64(len(bases))
			byText[string(text)] = ref
		}
		baseOf[k.decision] = ref
	}
	b := append([]byte(nil), cacheMagic...)
	b = binary.LittleEndian.AppendUint16(b, uint16(format))
	b = appendString(b, gen)
	b = append(b, key[:]...)
	b = binary.AppendUvarint(b, uint64(slots))
	b = binary.AppendUvarint(b, uint64(len(bases)))
	for _, text := range bases {
		b = binary.AppendUvarint(b, uint64(len(text)))
		b = append(b, text...)
	}
	b = binary.AppendUvarint(b, uint64(n))
	for i := range n {
		e := &entries[i]
		b = binary.LittleEndian.AppendUint64(b, ids[i])
		b = binary.LittleEndian.AppendUint64(b, e.sum[0])
		b = binary.LittleEndian.AppendUint64(b, e.sum[1])
		if e.known == nil {
			b = append(b, kindSeen)
			continue
		}
		b = append(b, kindKnown)
		b = binary.AppendUvarint(b, e.known.mask)
		var ref uint64
		if e.known.decision != nil {
			ref = baseOf[e.known.decision]
		}
		b = binary.AppendUvarint(b, ref)
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...), nil
}

// persistedBase is a base decision in a blob. Terminate is there to be refused: the analysis
// never keeps a base with a reason to terminate, so a blob that has one is not trusted.
type persistedBase struct {
	Terminate []Reason `json:"terminate,omitempty"`
	Exempt    []Reason `json:"exempt,omitempty"`
	Warn      []Reason `json:"warn,omitempty"`
}

// decoded is a blob's cache.
type decoded struct {
	key     [cacheKeyBytes]byte
	index   map[uint64]int32
	entries []cacheEntry
}

// blobReader reads a blob; its first error sticks.
type blobReader struct {
	b   []byte
	err error
}

func (r *blobReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *blobReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail("truncated")
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *blobReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("truncated or malformed number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *blobReader) string() string { return string(r.bytes(r.uvarint())) }

// entryName names an entry in a decode error, by the hash of its instance ID.
func entryName(h uint64) string { return fmt.Sprintf("instance with ID hash %016x", h) }

// decodeCache reads and checks a blob written by encodeCache for the persisted generation gen
// and the set's slots.
func decodeCache(gen string, slots []slot, blob []byte) (*decoded, error) {
	if !bytes.HasPrefix(blob, cacheMagic) {
		return nil, errors.New("not a decision cache")
	}
	if len(blob) < len(cacheMagic)+2+sha256.Size {
		return nil, errors.New("truncated")
	}
	if f := binary.LittleEndian.Uint16(blob[len(cacheMagic):]); int(f) != cacheFormat {
		return nil, fmt.Errorf("format %d, this reaper reads format %d", f, cacheFormat)
	}
	body, sum := blob[:len(blob)-sha256.Size], blob[len(blob)-sha256.Size:]
	if want := sha256.Sum256(body); !bytes.Equal(sum, want[:]) {
		return nil, errors.New("checksum mismatch (truncated or corrupt)")
	}
	r := &blobReader{b: body[len(cacheMagic)+2:]}
	if g := r.string(); r.err == nil && g != gen {
		return nil, fmt.Errorf("written for another generation (policies, params or reaper build): %q, this one is %q", g, gen)
	}
	d := &decoded{}
	copy(d.key[:], r.bytes(cacheKeyBytes))
	if n := r.uvarint(); r.err == nil && n != uint64(len(slots)) {
		return nil, fmt.Errorf("written for %d policy slots, the set has %d", n, len(slots))
	}
	nbases := r.uvarint()
	if nbases > maxPersisted {
		r.fail("%d base decisions, more than %d", nbases, maxPersisted)
	}
	var bases []*Decision
	var masks []uint64 // per base: the slots its reasons belong to
	for range nbases {
		text := r.bytes(r.uvarint())
		if r.err != nil {
			break
		}
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber() // as reason() converts policy numbers
		dec.DisallowUnknownFields()
		var p persistedBase
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("base decision %d: %w", len(bases)+1, err)
		}
		if len(p.Terminate) > 0 {
			return nil, fmt.Errorf("base decision %d holds a reason to terminate, which is never served from the cache", len(bases)+1)
		}
		if len(p.Exempt)+len(p.Warn) == 0 {
			return nil, fmt.Errorf("base decision %d is empty", len(bases)+1)
		}
		var used uint64
		for _, set := range []struct {
			name    string
			reasons []Reason
		}{{setExempt, p.Exempt}, {setWarn, p.Warn}} {
			for _, reason := range set.reasons {
				i := slices.IndexFunc(slots, func(s slot) bool { return s.policy == reason.Policy && s.set == set.name })
				if i < 0 || reason.Reason == "" {
					return nil, fmt.Errorf("base decision %d: a %s reason of %q, which the set cannot give", len(bases)+1, set.name, reason.Policy)
				}
				used |= 1 << i
			}
		}
		bases = append(bases, &Decision{Exempt: clip(p.Exempt), Warn: clip(p.Warn)})
		masks = append(masks, used)
	}
	n := r.uvarint()
	if n > maxPersisted {
		r.fail("%d entries, more than %d", n, maxPersisted)
	}
	if r.err != nil {
		return nil, r.err
	}
	d.index = make(map[uint64]int32, n)
	d.entries = make([]cacheEntry, 0, n)
	valid := uint64(1)<<len(slots) - 1
	// Imported analyses hold no memos and never change: one per mask and base.
	shared := map[[2]uint64]*analysis{}
	for range n {
		h := binary.LittleEndian.Uint64(r.bytes(8))
		raw := r.bytes(16)
		kind := r.bytes(1)
		if r.err != nil {
			return nil, r.err
		}
		if _, dup := d.index[h]; dup {
			return nil, fmt.Errorf("%s twice", entryName(h))
		}
		d.entries = append(d.entries, cacheEntry{sum: instanceSum{binary.LittleEndian.Uint64(raw), binary.LittleEndian.Uint64(raw[8:])}})
		e := &d.entries[len(d.entries)-1]
		switch kind[0] {
		case kindSeen:
		case kindKnown:
			mask, ref := r.uvarint(), r.uvarint()
			if r.err != nil {
				return nil, r.err
			}
			if mask != fullMask && mask&^valid != 0 {
				return nil, fmt.Errorf("%s: mask %#x names slots the set does not have", entryName(h), mask)
			}
			if ref > uint64(len(bases)) {
				return nil, fmt.Errorf("%s: base decision %d of %d", entryName(h), ref, len(bases))
			}
			switch {
			case ref == 0 && mask == 0:
				e.known = timeFree
			case ref > 0 && masks[ref-1]&mask != 0:
				return nil, fmt.Errorf("%s: its base holds reasons of slots its mask evaluates", entryName(h))
			default:
				a := shared[[2]uint64{mask, ref}]
				if a == nil {
					a = &analysis{mask: mask, imported: true}
					if ref > 0 {
						a.decision = bases[ref-1]
					}
					shared[[2]uint64{mask, ref}] = a
				}
				e.known = a
			}
		default:
			return nil, fmt.Errorf("%s: entry kind %d", entryName(h), kind[0])
		}
		d.index[h] = int32(len(d.entries) - 1)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) > 0 {
		return nil, fmt.Errorf("%d bytes after the last entry", len(r.b))
	}
	return d, nil
}
