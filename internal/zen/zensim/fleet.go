package zensim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// Fleet is a set of simulated instances, and the JSON format of a fleet file:
// {"instances":[{...}, ...]}.
type Fleet struct {
	Instances []FleetInstance `json:"instances"`
}

// FleetInstance is one instance in a fleet file; its JSON names are snake_case and cover every
// SimInstance field (commitment and traffic included).
type FleetInstance = SimInstance

var validStatuses = []zen.Status{
	zen.StatusPending, zen.StatusCreating, zen.StatusCreateFailed, zen.StatusInstalling,
	zen.StatusInstallFailed, zen.StatusRunning, zen.StatusStopped, zen.StatusBooting,
	zen.StatusStopping, zen.StatusRecycle, zen.StatusRecycling,
}

// LoadFleetFile reads a fleet file strictly: unknown fields, a missing "instances" array, trailing
// data, a missing or duplicate ID and invalid values are errors that name the file and, for an
// instance, its index.
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
	}
	if err := decodeStrict(r, &raw); err != nil {
		return Fleet{}, err
	}
	if raw.Instances == nil {
		return Fleet{}, errors.New(`missing "instances" array`)
	}
	f := Fleet{Instances: make([]FleetInstance, len(raw.Instances))}
	for i, msg := range raw.Instances {
		if err := decodeStrict(bytes.NewReader(msg), &f.Instances[i]); err != nil {
			return Fleet{}, fmt.Errorf("instance %d: %w", i, err)
		}
	}
	if err := f.validate(); err != nil {
		return Fleet{}, err
	}
	return f, nil
}

func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// validate checks every instance and the uniqueness of IDs.
func (f Fleet) validate() error {
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
	case s.Status != "" && !slices.Contains(validStatuses, s.Status):
		return fmt.Errorf("id %q: bad status %q", s.ID, s.Status)
	case s.ChargeType != "" && s.ChargeType != zen.ChargePrepaid && s.ChargeType != zen.ChargePostpaid:
		return fmt.Errorf("id %q: bad charge_type %q", s.ID, s.ChargeType)
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
// replayed offline. Nothing is known about their traffic, so each gets a profile without samples
// (a gap from its creation on): replayed instances never look idle.
func FleetFromInstances(in []zen.Instance) Fleet {
	f := Fleet{Instances: make([]FleetInstance, 0, len(in))}
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
			AutoRenew:          z.AutoRenew,
			PeriodMonths:       z.PeriodMonths,
			ResourceGroupID:    z.ResourceGroupID,
			ResourceGroupName:  z.ResourceGroupName,
			Tags:               z.Tags,
			PublicIPs:          z.PublicIPs,
			PrivateIPs:         z.PrivateIPs,
		}
		created := z.CreatedAt
		s.Traffic.GapsFrom = &created
		f.Instances = append(f.Instances, s.clone())
	}
	return f
}
