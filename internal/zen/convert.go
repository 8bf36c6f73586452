package zen

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// interner shares one copy of what repeats across instances, so that a large inventory keeps one
// copy instead of one per instance (issue 14): strings (zones, types, statuses, resource groups,
// tag keys and values), whole tag lists (most instances of a fleet carry one of a few owner and
// env combinations) and the values behind the optional fields' pointers. What it hands out is
// shared between instances and must never be written through: nothing in reaper writes into a
// listed instance (re-describing copies, mark tags are dropped from a clone). A shared tag list
// has no spare capacity, so an append copies it.
//
// It is not safe for concurrent use: each listing worker (or describe call) has its own.
type interner struct {
	strs  map[string]string
	lists map[string]Tags // by the pairs' encoding (each key and value after its length)
	buf   []byte          // the encoding of the list being looked up, reused
	bools [2]*bool
	ints  map[int64]*int
}

// maxInternedTagLists bounds the tag lists one interner remembers. A fleet whose lists are all
// different (a unique tag on every instance) gains nothing from sharing them; past the bound,
// lists are still looked up but no longer remembered, so the interner stays small.
const maxInternedTagLists = 4096

func newInterner() *interner {
	return &interner{strs: make(map[string]string, 64)}
}

func (in *interner) get(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := in.strs[s]; ok {
		return v
	}
	in.strs[s] = s
	return s
}

// tags returns the pairs of wire with a key, their strings interned, as a list shared with every
// instance that carries the same pairs in the same order; nil when no pair has a key.
func (in *interner) tags(wire []wireTag) Tags {
	in.buf = in.buf[:0]
	n := 0
	for _, t := range wire {
		if t.Key == "" {
			continue
		}
		n++
		in.buf = binary.AppendUvarint(in.buf, uint64(len(t.Key)))
		in.buf = append(in.buf, t.Key...)
		in.buf = binary.AppendUvarint(in.buf, uint64(len(t.Value)))
		in.buf = append(in.buf, t.Value...)
	}
	if n == 0 {
		return nil
	}
	if shared, ok := in.lists[string(in.buf)]; ok {
		return shared
	}
	list := make(Tags, 0, n) // no spare capacity: an append to a shared list copies it
	for _, t := range wire {
		if t.Key != "" {
			list = append(list, Tag{Key: in.get(t.Key), Value: in.get(t.Value)})
		}
	}
	if len(in.lists) < maxInternedTagLists {
		if in.lists == nil {
			in.lists = make(map[string]Tags, 16)
		}
		in.lists[string(in.buf)] = list
	}
	return list
}

// bool returns a shared pointer to v.
func (in *interner) bool(v bool) *bool {
	i := 0
	if v {
		i = 1
	}
	if in.bools[i] == nil {
		in.bools[i] = &v
	}
	return in.bools[i]
}

// int returns a shared pointer to v (periods in months: a handful of values across a fleet).
func (in *interner) int(v int64) *int {
	if p, ok := in.ints[v]; ok {
		return p
	}
	p := new(int(v))
	if len(in.ints) < maxInternedInts {
		if in.ints == nil {
			in.ints = make(map[int64]*int, 8)
		}
		in.ints[v] = p
	}
	return p
}

// maxInternedInts bounds the distinct integers one interner remembers (see maxInternedTagLists).
const maxInternedInts = 256

// toInstance maps an InstanceInfo to the domain type. A time that cannot be parsed is a
// DecodeError naming the field and the instance; null and empty times are zero (ExpiresAt nil).
func (w *wireInstance) toInstance(action string, in *interner) (Instance, error) {
	id := string(w.InstanceID)
	created, err := parseWireTime(w.CreateTime)
	if err != nil {
		return Instance{}, &DecodeError{Action: action, InstanceID: id, Field: "createTime", Value: truncate(w.CreateTime, 64), Err: err}
	}
	expired, err := parseWireTime(w.ExpiredTime)
	if err != nil {
		return Instance{}, &DecodeError{Action: action, InstanceID: id, Field: "expiredTime", Value: truncate(w.ExpiredTime, 64), Err: err}
	}
	typ := w.InstanceTypeID
	if typ == "" && w.InstanceType != nil {
		typ = w.InstanceType.InstanceTypeID
	}
	host := w.Hostname
	if host == w.InstanceName {
		host = w.InstanceName // fleets commonly name the host as the instance: keep one copy
	}
	inst := Instance{
		ID:                 id,
		Name:               w.InstanceName,
		Hostname:           host,
		Zone:               in.get(w.ZoneID),
		Type:               in.get(typ),
		Status:             Status(in.get(w.InstanceStatus)),
		ChargeType:         ChargeType(in.get(w.InstanceChargeType)),
		InternetChargeType: in.get(w.InternetChargeType),
		CreatedAt:          created,
		ResourceGroupID:    in.get(w.ResourceGroupID),
		ResourceGroupName:  in.get(w.ResourceGroupName),
		PublicIPs:          nonEmpty(w.PublicIPAddresses),
		PrivateIPs:         nonEmpty(w.PrivateIPAddresses),
	}
	inst.TagList = tagsFromWire(w.Tags, in)
	if !expired.IsZero() {
		inst.ExpiresAt = &expired
	}
	if w.AutoRenew.Valid { // shared, not the wire's: the instance must not keep the wire page alive
		inst.AutoRenew = in.bool(w.AutoRenew.Value)
	}
	if w.Period.Valid {
		inst.PeriodMonths = in.int(w.Period.Value)
	}
	return inst, nil
}

// nonEmpty drops null and empty entries; nil when nothing is left.
func nonEmpty(list []string) []string {
	n := 0
	for _, s := range list {
		if s != "" {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if n == len(list) {
		return list
	}
	out := make([]string, 0, n)
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// trafficFromWire maps a DescribeInstanceTraffic response; a point whose time cannot be parsed
// or is missing is a DecodeError. A figure sent as null, "" or not at all stays absent (see
// Measure).
func trafficFromWire(action, id string, w *wireTrafficResponse, reqID string) (Traffic, error) {
	t := Traffic{
		In95Bps:   w.In95.measure(),
		Out95Bps:  w.Out95.measure(),
		InAvgBps:  w.InAvg.measure(),
		OutAvgBps: w.OutAvg.measure(),
		InMaxBps:  w.InMax.measure(),
		OutMaxBps: w.OutMax.measure(),
		InTotal:   w.InTotal.measure(),
		OutTotal:  w.OutTotal.measure(),
		RequestID: reqID,
	}
	if len(w.DataList) > 0 {
		t.Points = make([]TrafficPoint, 0, len(w.DataList))
	}
	for i, p := range w.DataList {
		at, err := parseWireTime(p.Time)
		if err == nil && at.IsZero() {
			err = errNoTime
		}
		if err != nil {
			return Traffic{}, &DecodeError{Action: action, InstanceID: id,
				Field: "dataList[" + strconv.Itoa(i) + "].time", Value: truncate(p.Time, 64), Err: err}
		}
		t.Points = append(t.Points, TrafficPoint{Time: at, InBps: p.InternetRX.measure(), OutBps: p.InternetTX.measure()})
	}
	return t, nil
}

var errNoTime = errors.New("missing time")
