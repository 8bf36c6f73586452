package policy

import "time"

// Instance is the instance document a policy sees as input.instance (README, Policies). The JSON names
// are the contract with policy authors. input.instance.age_seconds is not a field: the engine
// derives it from now and CreatedAt (see AgeSeconds). Tags holds the first value of each key;
// TagList every pair in API order, a key can repeat. A document may give only one of them: the
// engine derives input.instance.tags from the list and the list from the map (a cycle's
// documents carry only the list).
type Instance struct {
	ID                 string            `json:"id"`
	Name               string            `json:"name"`
	Hostname           string            `json:"hostname"`
	Zone               string            `json:"zone"`
	Type               string            `json:"type"`
	Status             string            `json:"status"`
	ChargeType         string            `json:"charge_type"`
	InternetChargeType string            `json:"internet_charge_type"`
	CreatedAt          time.Time         `json:"created_at"`
	ExpiresAt          *time.Time        `json:"expires_at"`
	AutoRenew          *bool             `json:"auto_renew"`
	PeriodMonths       *int              `json:"period_months"`
	ResourceGroup      ResourceGroup     `json:"resource_group"`
	Tags               map[string]string `json:"tags"`
	TagList            []Tag             `json:"tag_list"`
	PublicIPs          []string          `json:"public_ips"`
	PrivateIPs         []string          `json:"private_ips"`
	Traffic            *Traffic          `json:"traffic"`
}

// Tag is one key/value pair of input.instance.tag_list.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ResourceGroup names the resource group an instance belongs to.
type ResourceGroup struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Traffic summarises an instance's bandwidth over a window. Complete is false when fewer than 90 %
// of the expected samples exist; the bundled idle policy never fires on incomplete data.
type Traffic struct {
	WindowSeconds int64 `json:"window_seconds"`
	Samples       int   `json:"samples"`
	Complete      bool  `json:"complete"`
	InP95Bps      int64 `json:"in_p95_bps"`
	OutP95Bps     int64 `json:"out_p95_bps"`
	InAvgBps      int64 `json:"in_avg_bps"`
	OutAvgBps     int64 `json:"out_avg_bps"`
}

// Reason is one terminate, exempt or warn reason, attributed to the policy package that gave it
// (for example "reaper.expiry"). A policy writes a reason as a string, or as an object with a
// "reason" string; the object's other fields land in Details.
type Reason struct {
	Policy  string         `json:"policy"`
	Reason  string         `json:"reason"`
	Details map[string]any `json:"details,omitempty"`
}

// Decision is what the loaded policies say about one instance.
type Decision struct {
	InstanceID string
	Terminate  []Reason
	Exempt     []Reason
	Warn       []Reason
	// Err is set when evaluating this instance failed; such a decision never terminates.
	Err error
}

// Candidate reports whether the decision asks for termination: at least one terminate reason, no
// exemption, and no evaluation error.
func (d Decision) Candidate() bool {
	return d.Err == nil && len(d.Terminate) > 0 && len(d.Exempt) == 0
}
