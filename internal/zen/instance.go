// Package zen is reaper's client for the Zenlayer Bare Metal Cloud API 2.0: request signing
// (ZC2-HMAC-SHA256 or a bearer token), retries on an allowlist, client-side rate limiting,
// pagination with inventory integrity checks, typed errors, and the mapping from wire structs to the
// domain types other packages use.
package zen

import "time"

// Status is a BMC instance status as the API reports it.
type Status string

// The statuses of a BMC instance (zenlayer-bmc-api.md §4). Anything else is unknown to reaper.
const (
	StatusPending       Status = "PENDING"
	StatusCreating      Status = "CREATING"
	StatusCreateFailed  Status = "CREATE_FAILED"
	StatusInstalling    Status = "INSTALLING"
	StatusInstallFailed Status = "INSTALL_FAILED"
	StatusRunning       Status = "RUNNING"
	StatusStopped       Status = "STOPPED"
	StatusBooting       Status = "BOOTING"
	StatusStopping      Status = "STOPPING"
	StatusRecycle       Status = "RECYCLE"
	StatusRecycling     Status = "RECYCLING"
)

// ChargeType is how an instance is billed.
type ChargeType string

// The charge types of a BMC instance.
const (
	ChargePrepaid  ChargeType = "PREPAID"  // monthly subscription
	ChargePostpaid ChargeType = "POSTPAID" // pay as you go
)

// Instance is one BMC instance as reaper sees it. Fields the API left null are zero values;
// ExpiresAt, AutoRenew and PeriodMonths are nil when absent.
type Instance struct {
	ID                 string
	Name               string
	Hostname           string
	Zone               string
	Type               string
	Status             Status
	ChargeType         ChargeType
	InternetChargeType string
	CreatedAt          time.Time
	ExpiresAt          *time.Time
	AutoRenew          *bool
	PeriodMonths       *int
	ResourceGroupID    string
	ResourceGroupName  string
	// TagList holds every tag pair in API order (a key can repeat): the instance's only copy of
	// its tags. TagList.Value gives a key's first value; protection and exemption rules read every
	// pair, so that any value protects. A listing shares one list between the instances that
	// carry the same pairs, as it shares AutoRenew and PeriodMonths: never write through them.
	TagList    Tags
	PublicIPs  []string
	PrivateIPs []string
}

// Filter selects instances for a listing. Empty fields select everything the credentials can see.
// Zones and ResourceGroups are lists because the API takes one of each per request: the client lists
// every combination and merges the results.
type Filter struct {
	Zones          []string
	ResourceGroups []string
	Status         Status
	TagKeys        []string
	Tags           map[string]string
}

// Measure is a figure the API may leave out: sent as null, as "" or not at all. Valid is false
// then, and Value (0) means nothing: an absent figure is never a zero one.
type Measure struct {
	Value int64
	Valid bool
}

// TrafficPoint is one 5-minute bandwidth sample. A figure the API left out is not Valid; such a
// point is a missing sample, never zero bandwidth.
type TrafficPoint struct {
	Time   time.Time
	InBps  Measure // internetRX
	OutBps Measure // internetTX
}

// Complete reports whether the point carries both figures.
func (p TrafficPoint) Complete() bool { return p.InBps.Valid && p.OutBps.Valid }

// Traffic is the answer of DescribeInstanceTraffic for one window of at most 24 hours. Each
// summary figure is absent (not Valid) when the API left it out.
type Traffic struct {
	Points    []TrafficPoint
	In95Bps   Measure
	Out95Bps  Measure
	InAvgBps  Measure
	OutAvgBps Measure
	InMaxBps  Measure
	OutMaxBps Measure
	InTotal   Measure // bytes
	OutTotal  Measure // bytes
	RequestID string
}
