package zen

import (
	"errors"
	"strconv"
)

// interner shares one copy of strings that repeat across instances (zones, types, statuses,
// resource groups, tag keys and values), so a large inventory keeps one copy instead of one per instance.
// It is not safe for concurrent use: each listing (or describe call) has its own.
type interner map[string]string

func (in interner) get(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := in[s]; ok {
		return v
	}
	in[s] = s
	return s
}

// toInstance maps an InstanceInfo to the domain type. A time that cannot be parsed is a
// DecodeError naming the field and the instance; null and empty times are zero (ExpiresAt nil).
func (w *wireInstance) toInstance(action string, in interner) (Instance, error) {
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
	if w.AutoRenew.Valid {
		renew := w.AutoRenew.Value // a copy: the instance must not keep the wire page alive
		inst.AutoRenew = &renew
	}
	if w.Period.Valid {
		p := int(w.Period.Value)
		inst.PeriodMonths = &p
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
