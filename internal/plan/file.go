package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// Canonical returns the canonical JSON of v (see the package doc).
func Canonical(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return canonicalRaw(raw)
}

// canonicalRaw re-encodes one JSON value canonically: decoded into generic values (numbers kept
// as written), encoded again, which sorts object members and drops whitespace.
func canonicalRaw(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return encodeCanonical(v)
}

func encodeCanonical(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// mustDigest digests values built here from strings and slices, which always encode.
func mustDigest(v any) string {
	b, err := Canonical(v)
	if err != nil {
		panic("plan: canonical JSON of an internal value: " + err.Error())
	}
	return sum(b)
}

// digestOf returns the digest of a plan file's JSON object: of its canonical JSON without the
// member "digest".
func digestOf(raw []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return "", fmt.Errorf("decode: %w", err)
	}
	delete(obj, "digest")
	b, err := encodeCanonical(obj)
	if err != nil {
		return "", err
	}
	return sum(b), nil
}

// Marshal sets p.Digest and returns the plan file: indented JSON, for people to read, ending in
// a newline.
func Marshal(p *Plan) ([]byte, error) {
	p.Digest = ""
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	d, err := digestOf(raw)
	if err != nil {
		return nil, fmt.Errorf("digest plan: %w", err)
	}
	p.Digest = d
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encode plan: %w", err)
	}
	return b.Bytes(), nil
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Parse reads a plan file strictly: one JSON object, no unknown or missing member, plan_version
// Version, well-formed digests, unique item IDs, and a digest that matches the content. The
// error names the problem; it never says more of the file than a field name or an ID.
func Parse(b []byte) (*Plan, error) {
	var probe struct {
		PlanVersion *int `json:"plan_version"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("not a plan file: %w", err)
	}
	if probe.PlanVersion == nil {
		return nil, errors.New("not a plan file: no plan_version")
	}
	if *probe.PlanVersion != Version {
		return nil, fmt.Errorf("plan_version %d is not supported (this reaper reads %d)", *probe.PlanVersion, Version)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("malformed plan file: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("malformed plan file: data after the plan object")
	}
	if err := requireMembers(b); err != nil {
		return nil, err
	}
	if !digestRE.MatchString(p.Digest) {
		return nil, errors.New("malformed plan file: digest is not sha256:<64 hex digits>")
	}
	d, err := digestOf(b)
	if err != nil {
		return nil, fmt.Errorf("malformed plan file: %w", err)
	}
	if d != p.Digest {
		return nil, fmt.Errorf("plan %s was edited: its digest does not match its content", p.RunID)
	}
	if err := p.valid(); err != nil {
		return nil, fmt.Errorf("malformed plan file: %w", err)
	}
	return &p, nil
}

// requireMembers refuses a plan or item object that lacks a member: a missing field is not the
// zero value.
func requireMembers(b []byte) error {
	var top struct {
		Items []map[string]json.RawMessage `json:"items"`
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("malformed plan file: %w", err)
	}
	for _, k := range []string{"plan_version", "run_id", "created_at", "expires_at", "endpoint", "config_digest",
		"policy_digest", "inventory_size", "items", "digest"} {
		if _, ok := obj[k]; !ok {
			return fmt.Errorf("malformed plan file: no %s", k)
		}
	}
	if err := json.Unmarshal(b, &top); err != nil {
		return fmt.Errorf("malformed plan file: %w", err)
	}
	for i, it := range top.Items {
		for _, k := range []string{"id", "name", "due_at", "reasons", "fingerprint"} {
			if _, ok := it[k]; !ok {
				return fmt.Errorf("malformed plan file: items[%d] has no %s", i, k)
			}
		}
	}
	return nil
}

func (p *Plan) valid() error {
	switch {
	case p.RunID == "":
		return errors.New("run_id is empty")
	case p.Endpoint == "":
		return errors.New("endpoint is empty")
	case !p.ExpiresAt.After(p.CreatedAt):
		return errors.New("expires_at is not after created_at")
	case !digestRE.MatchString(p.ConfigDigest):
		return errors.New("config_digest is not sha256:<64 hex digits>")
	case !digestRE.MatchString(p.PolicyDigest):
		return errors.New("policy_digest is not sha256:<64 hex digits>")
	case p.InventorySize < len(p.Items):
		return fmt.Errorf("inventory_size %d is smaller than its %d items", p.InventorySize, len(p.Items))
	}
	seen := make(map[string]bool, len(p.Items))
	for i, it := range p.Items {
		switch {
		case it.ID == "":
			return fmt.Errorf("items[%d].id is empty", i)
		case seen[it.ID]:
			return fmt.Errorf("instance %s is in items twice", it.ID)
		case !digestRE.MatchString(it.Fingerprint):
			return fmt.Errorf("items[%d].fingerprint is not sha256:<64 hex digits>", i)
		case len(it.Reasons) == 0:
			return fmt.Errorf("items[%d] has no reasons", i)
		}
		seen[it.ID] = true
	}
	return nil
}

// decisionSettings are the settings a decision rests on, named as their config keys.
type decisionSettings struct {
	Zones                   []string          `json:"scope.zones"`
	ResourceGroups          []string          `json:"scope.resource_groups"`
	Params                  map[string]any    `json:"policies.params"`
	GracePeriod             string            `json:"safety.grace_period"`
	MaxTerminationsPerRun   int               `json:"safety.max_terminations_per_run"`
	MaxTerminationsPercent  float64           `json:"safety.max_terminations_percent"`
	MaxFleetDropPercent     float64           `json:"safety.max_fleet_drop_percent"`
	AllowSubscriptionCancel bool              `json:"safety.allow_subscription_cancel"`
	CommitmentRetryAfter    string            `json:"safety.commitment_retry_after"`
	ProtectIDs              []string          `json:"safety.protect.instance_ids"`
	ProtectNames            []string          `json:"safety.protect.name_patterns"`
	ProtectTags             map[string]string `json:"safety.protect.tags"`
}

// ConfigDigest is the plan's config_digest: "sha256:" and the hex SHA-256 of the canonical JSON
// of the settings a decision rests on (scope, policies.params, and the safety keys: grace period,
// limits, subscriptions, commitment retry, protection), each under its config key. It leaves out
// what does not change a decision (mode, schedule, log, report, notify, metrics, timeouts), so
// that a plan made in one mode can be applied in approve or enforce mode, and it never includes a
// secret: the config holds secrets only under zenlayer and notify, which no decision reads. The
// policy files are the policy digest's.
//
// It is not the report's config_digest, which identifies the whole redacted config file.
func ConfigDigest(s reconcile.Settings) (string, error) {
	d := decisionSettings{
		Zones: nonNil(s.Filter.Zones), ResourceGroups: nonNil(s.Filter.ResourceGroups), Params: s.Params,
		GracePeriod: s.GracePeriod.String(), MaxTerminationsPerRun: s.MaxTerminationsPerRun,
		MaxTerminationsPercent: s.MaxTerminationsPercent, MaxFleetDropPercent: s.MaxFleetDropPercent,
		AllowSubscriptionCancel: s.AllowSubscriptionCancel, CommitmentRetryAfter: s.CommitmentRetryAfter.String(),
		ProtectIDs: nonNil(s.Protect.InstanceIDs), ProtectNames: nonNil(s.Protect.NamePatterns), ProtectTags: s.Protect.Tags,
	}
	if d.Params == nil {
		d.Params = map[string]any{}
	}
	if d.ProtectTags == nil {
		d.ProtectTags = map[string]string{}
	}
	b, err := Canonical(d)
	if err != nil {
		return "", fmt.Errorf("config digest: %w", err)
	}
	return sum(b), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
