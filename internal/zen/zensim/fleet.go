package zensim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// Fleet is a set of simulated instances, and the JSON format of a fleet file:
// {"instances":[{...}, ...]}, optionally with "prices" (what InquiryPriceCreateInstance quotes)
// and "bills" (the lines DescribeBillDetail and DescribeMonthlyBillSummary serve).
type Fleet struct {
	Instances []FleetInstance `json:"instances"`
	Prices    PriceBook       `json:"prices,omitempty"`
	Bills     []BillLine      `json:"bills,omitempty"`
	// Verbatim makes Load serve every Status and ChargeType exactly as given, empty and unknown
	// values included (a replayed fleet). Otherwise Load gives an empty Status RUNNING and an
	// empty ChargeType POSTPAID, for fleets built in Go. DecodeFleet and FleetFromInstances set
	// it; in a fleet file an absent "status" or "charge_type" means RUNNING or POSTPAID.
	Verbatim bool `json:"-"`
}

// FleetInstance is one instance in a fleet file; its JSON names are snake_case and cover every
// SimInstance field (commitment and traffic included).
type FleetInstance = SimInstance

// LoadFleetFile reads a fleet file strictly: unknown fields, a missing "instances" array, trailing
// data, a missing or duplicate ID and invalid values are errors that name the file and, for an
// instance, its index. Statuses and charge types are not checked against the documented values:
// a fleet replays what an API reported, unknown values included.
func LoadFleetFile(path string) (Fleet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Fleet{}, fmt.Errorf("load fleet: %w", err)
	}
	f, err := DecodeFleet(bytes.NewReader(data))
	if err != nil {
		return Fleet{}, fmt.Errorf("load fleet %s: %w", path, err)
	}
	return f, nil
}

// DecodeFleet reads a fleet from r with the same strictness as LoadFleetFile.
func DecodeFleet(r io.Reader) (Fleet, error) {
	var raw struct {
		Instances []json.RawMessage `json:"instances"`
		Prices    []json.RawMessage `json:"prices"`
		Bills     []json.RawMessage `json:"bills"`
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return Fleet{}, err
	}
	if err := decodeStrict(data, &raw); err != nil {
		return Fleet{}, err
	}
	if raw.Instances == nil {
		return Fleet{}, errors.New(`missing "instances" array`)
	}
	f := Fleet{Instances: make([]FleetInstance, len(raw.Instances)), Verbatim: true}
	for i, msg := range raw.Instances {
		f.Instances[i].fillDefaults() // for the keys the file leaves out
		if err := decodeStrict(msg, &f.Instances[i]); err != nil {
			return Fleet{}, fmt.Errorf("instance %d: %w", i, err)
		}
	}
	if raw.Prices != nil {
		f.Prices = make(PriceBook, len(raw.Prices))
	}
	for i, msg := range raw.Prices {
		if err := decodeStrict(msg, &f.Prices[i]); err != nil {
			return Fleet{}, fmt.Errorf("prices[%d]: %w", i, err)
		}
	}
	if raw.Bills != nil {
		f.Bills = make([]BillLine, len(raw.Bills))
	}
	for i, msg := range raw.Bills {
		if err := decodeStrict(msg, &f.Bills[i]); err != nil {
			return Fleet{}, fmt.Errorf("bills[%d]: %w", i, err)
		}
	}
	if err := f.validate(); err != nil {
		return Fleet{}, err
	}
	return f, nil
}

// decodeStrict decodes one JSON value into v; a member name that is not exactly a field's JSON
// name (encoding/json alone would accept "Status" for "status") and trailing data are errors.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	if name := unknownKey(data, reflect.TypeOf(v)); name != "" {
		return fmt.Errorf("unknown field %q (names are case-sensitive)", name)
	}
	return nil
}

// validate checks every instance, the uniqueness of IDs, the price offers and the bill lines.
func (f Fleet) validate() error {
	if err := f.Prices.validate(); err != nil {
		return err
	}
	if err := validateBills(f.Bills); err != nil {
		return err
	}
	seen := make(map[string]int, len(f.Instances))
	for i, in := range f.Instances {
		if err := in.validate(); err != nil {
			return fmt.Errorf("instance %d: %w", i, err)
		}
		if first, dup := seen[in.ID]; dup {
			return fmt.Errorf("instance %d: duplicate id %q (also instance %d)", i, in.ID, first)
		}
		seen[in.ID] = i
	}
	return nil
}

func (s SimInstance) validate() error {
	switch {
	case s.ID == "":
		return errors.New("missing id")
	case len(s.Tags) > 0 && s.TagList != nil:
		return fmt.Errorf("id %q: set tags or tag_list, not both", s.ID)
	case s.PeriodMonths != nil && *s.PeriodMonths < 1:
		return fmt.Errorf("id %q: period_months must be at least 1", s.ID)
	case s.Traffic.InBps < 0 || s.Traffic.OutBps < 0:
		return fmt.Errorf("id %q: traffic rates must not be negative", s.ID)
	case s.Traffic.Jitter < 0 || s.Traffic.Jitter > 1:
		return fmt.Errorf("id %q: traffic jitter must be between 0 and 1", s.ID)
	case s.Traffic.GapsFrom != nil && s.Traffic.GapsTo != nil && s.Traffic.GapsTo.Before(*s.Traffic.GapsFrom):
		return fmt.Errorf("id %q: traffic gaps_to is before gaps_from", s.ID)
	}
	return nil
}

// documentedStatuses are the statuses of zenlayer-bmc-api.md §4 (RECYCLING from Terraform).
var documentedStatuses = []zen.Status{
	zen.StatusPending, zen.StatusCreating, zen.StatusCreateFailed, zen.StatusInstalling,
	zen.StatusInstallFailed, zen.StatusRunning, zen.StatusStopped, zen.StatusBooting,
	zen.StatusStopping, zen.StatusRecycle, zen.StatusRecycling,
}

// Undocumented lists, one line each, the statuses and charge types of f that are not documented
// values. They are served as they are (a replay keeps what the API reported); the list lets a
// caller point out a typo in a hand-written fleet.
func (f Fleet) Undocumented() []string {
	var out []string
	for _, in := range f.Instances {
		if !slices.Contains(documentedStatuses, in.Status) {
			out = append(out, fmt.Sprintf("instance %q: status %q", in.ID, in.Status))
		}
		if in.ChargeType != zen.ChargePrepaid && in.ChargeType != zen.ChargePostpaid {
			out = append(out, fmt.Sprintf("instance %q: charge_type %q", in.ID, in.ChargeType))
		}
	}
	return out
}

// Write writes the fleet as indented JSON.
func (f Fleet) Write(w io.Writer) error {
	if f.Instances == nil {
		f.Instances = []FleetInstance{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("write fleet: %w", err)
	}
	return nil
}

// FleetFromInstances turns instances as reaper listed them into a fleet, so a real fleet can be
// replayed offline exactly: statuses and charge types as listed (empty and unknown ones too), and
// the tag list in API order with repeated keys. Nothing is known about their traffic, so each gets
// a profile without samples (a gap from its creation on): replayed instances never look idle.
func FleetFromInstances(in []zen.Instance) Fleet {
	f := Fleet{Instances: make([]FleetInstance, 0, len(in)), Verbatim: true}
	for _, z := range in {
		s := SimInstance{
			ID:                 z.ID,
			Name:               z.Name,
			Hostname:           z.Hostname,
			Zone:               z.Zone,
			Type:               z.Type,
			Status:             z.Status,
			ChargeType:         z.ChargeType,
			InternetChargeType: z.InternetChargeType,
			CreatedAt:          z.CreatedAt,
			ExpiresAt:          z.ExpiresAt,
			AutoRenew:          z.AutoRenew != nil && *z.AutoRenew,
			AutoRenewUnknown:   z.AutoRenew == nil,
			PeriodMonths:       z.PeriodMonths,
			ResourceGroupID:    z.ResourceGroupID,
			ResourceGroupName:  z.ResourceGroupName,
			TagList:            simTags(z.TagList),
			PublicIPs:          z.PublicIPs,
			PrivateIPs:         z.PrivateIPs,
		}
		created := z.CreatedAt
		s.Traffic.GapsFrom = &created
		f.Instances = append(f.Instances, s.clone())
	}
	return f
}

func simTags(list []zen.Tag) []Tag {
	if list == nil {
		return nil
	}
	out := make([]Tag, len(list))
	for i, t := range list {
		out[i] = Tag{Key: t.Key, Value: t.Value}
	}
	return out
}
