package config

import (
	"path/filepath"
	"time"
)

// Defaults that other packages and the documentation refer to.
const (
	DefaultEndpoint      = "https://console.zenlayer.com"
	DefaultSchedule      = "*/30 * * * *"
	DefaultStateDir      = "/var/lib/reaper"
	DefaultMetricsListen = "127.0.0.1:9797"
	// ModeDryRun and the other modes are the values of the key mode (README, Modes), each
	// including everything of the one before.
	ModeDryRun  = "dry-run"
	ModeMark    = "mark"
	ModeApprove = "approve"
	ModeEnforce = "enforce"
	// DefaultProtectTag is the tag key that protects an instance by default (with value "true").
	DefaultProtectTag = "reaper-protect"
)

// Config is reaper's whole configuration (README, Configuration). The yaml tags are the file's key names.
type Config struct {
	Zenlayer Zenlayer `yaml:"zenlayer"`
	Scope    Scope    `yaml:"scope"`
	// Schedule is a cron spec; its syntax is checked by the scheduler package.
	Schedule string `yaml:"schedule"`
	// ScheduleJitter is a random delay before each scheduled cycle; 0 means none.
	ScheduleJitter Duration `yaml:"schedule_jitter"`
	// CycleTimeout bounds one cycle; 0 means derived by the scheduler (80% of the shortest
	// interval between two scheduled runs).
	CycleTimeout Duration `yaml:"cycle_timeout"`
	// Timezone is the IANA zone the schedule is read in.
	Timezone string `yaml:"timezone"`
	// Mode is what reaper may do to the fleet: one of Modes (README, Modes). The default is
	// dry-run; the old key dry_run is folded into it when the file is parsed.
	Mode string `yaml:"mode"`
	// DryRun is the old spelling of Mode, read from the file only: dry_run: true is mode: dry-run
	// and dry_run: false is mode: enforce. Parse folds it into Mode and leaves it nil, so an
	// effective config never carries it (and the two keys never appear together).
	DryRun   *bool    `yaml:"dry_run,omitempty"`
	Policies Policies `yaml:"policies"`
	Safety   Safety   `yaml:"safety"`
	StateDir string   `yaml:"state_dir"`
	State    State    `yaml:"state"`
	Report   Report   `yaml:"report"`
	Notify   Notify   `yaml:"notify"`
	Pricing  Pricing  `yaml:"pricing"`
	Metrics  Metrics  `yaml:"metrics"`
	Log      Log      `yaml:"log"`
	// Approval governs plan files and `reaper apply` (README, Plans and approval).
	Approval Approval `yaml:"approval"`
	// Idle bounds what idle detection may spend per cycle.
	Idle Idle `yaml:"idle"`
	// Warnings are problems that do not stop reaper (a group-readable secret file, metrics on a
	// non-loopback address); commands should print or log them once.
	Warnings []string `yaml:"-"`
	// ServiceOnly lists the secret file keys that name ${CREDENTIALS_DIRECTORY} while it is unset:
	// they were not read, and are checked only inside the service (see ValidateCredentials).
	ServiceOnly []string `yaml:"-"`
}

// Zenlayer is the API endpoint, credentials and client limits. Secret values are never read from
// the YAML itself: only from the *_file keys or the environment.
type Zenlayer struct {
	Endpoint            string `yaml:"endpoint"`
	AccessKeyID         string `yaml:"access_key_id"`
	AccessKeySecretFile string `yaml:"access_key_secret_file"`
	// AccessKeySecret is loaded from AccessKeySecretFile or ZENLAYER_ACCESS_KEY_SECRET.
	AccessKeySecret Secret `yaml:"access_key_secret,omitempty"`
	TokenFile       string `yaml:"token_file"`
	// Token is loaded from TokenFile or ZENLAYER_TOKEN.
	Token             Secret   `yaml:"token,omitempty"`
	Timeout           Duration `yaml:"timeout"`
	RequestsPerSecond float64  `yaml:"requests_per_second"`
}

// Scope limits the inventory; empty lists mean everything the credentials can see.
type Scope struct {
	Zones          []string `yaml:"zones"`
	ResourceGroups []string `yaml:"resource_groups"`
}

// Policies says where the Rego policies come from and what parameters they get.
type Policies struct {
	// Dir holds the policies; empty means the bundled ones.
	Dir string `yaml:"dir"`
	// Params reaches policies as input.params, deep-merged over the bundled defaults.
	Params map[string]any `yaml:"params"`
}

// Safety holds the guards and blast-radius limits that no policy can override.
type Safety struct {
	GracePeriod             Duration `yaml:"grace_period"`
	MaxTerminationsPerRun   int      `yaml:"max_terminations_per_run"`
	MaxTerminationsPercent  float64  `yaml:"max_terminations_percent"`
	MaxFleetDropPercent     float64  `yaml:"max_fleet_drop_percent"`
	AllowSubscriptionCancel bool     `yaml:"allow_subscription_cancel"`
	CommitmentRetryAfter    Duration `yaml:"commitment_retry_after"`
	// UnconfirmedRetryAfter is the first wait before calling TerminateInstance again for an
	// instance whose accepted termination did not take; it doubles with each such call, up to
	// a week.
	UnconfirmedRetryAfter Duration `yaml:"unconfirmed_retry_after"`
	Protect               Protect  `yaml:"protect"`
}

// Protect lists instances that are never terminated.
type Protect struct {
	InstanceIDs []string `yaml:"instance_ids"`
	// NamePatterns are path.Match globs matched against the instance name.
	NamePatterns []string `yaml:"name_patterns"`
	// Tags protect an instance carrying any of these key/value pairs. A map written in the file
	// replaces the default map instead of adding to it.
	Tags map[string]string `yaml:"tags"`
}

// State says which store keeps reaper's state (README, Shared state on PostgreSQL). state_dir stays the home of the
// reports and, for bbolt, of the store.
type State struct {
	// Backend is bbolt (one file in state_dir, one host) or postgres (shared by several hosts).
	Backend  string   `yaml:"backend"`
	Postgres Postgres `yaml:"postgres"`
	// NodeName names this host in run records; empty means the hostname.
	NodeName string `yaml:"node_name"`
}

// Accepted values of state.backend.
const (
	BackendBbolt    = "bbolt"
	BackendPostgres = "postgres"
)

// DefaultPostgresSchema is state.postgres.schema when the file leaves it out.
const DefaultPostgresSchema = "reaper"

// Postgres is where the postgres backend keeps the state.
type Postgres struct {
	// DSNFile holds the connection string (a secret: it usually carries a password).
	DSNFile string `yaml:"dsn_file"`
	// DSN is loaded from DSNFile.
	DSN Secret `yaml:"dsn,omitempty"`
	// Schema holds reaper's tables: lowercase letters, digits and _.
	Schema string `yaml:"schema"`
}

// Report says where run reports go and in which formats.
type Report struct {
	// Dir defaults to <state_dir>/reports; see Config.ReportDir.
	Dir     string   `yaml:"dir"`
	Formats []string `yaml:"formats"`
	// Keep is how many of the newest run reports to retain, by run sequence; 0 keeps all.
	Keep int `yaml:"keep"`
	// Compress gzips report.json and report.csv (report.json.gz, report.csv.gz).
	Compress bool `yaml:"compress"`
	// TrendRuns is how many runs the trend of the HTML and Markdown reports covers; 0 draws none.
	TrendRuns int `yaml:"trend_runs"`
}

// DefaultReportKeep is report.keep's default: a daemon on a 30-minute schedule writes 48 runs a
// day, so 200 runs are about four days of reports, enough to diff and chart (trend_runs defaults to
// 30) without filling the disk. 0 keeps every run.
const DefaultReportKeep = 200

// MaxTrendRuns bounds report.trend_runs: each report reads the header of that many past runs.
const MaxTrendRuns = 1000

// Notify configures the run-summary webhook.
type Notify struct {
	WebhookURLFile string `yaml:"webhook_url_file"`
	// WebhookURL is loaded from WebhookURLFile.
	WebhookURL Secret `yaml:"webhook_url,omitempty"`
	// Format is the payload shape: generic or slack.
	Format string `yaml:"format"`
	// Owners configures owner notices (on when it has routes).
	Owners Owners `yaml:"owners"`
}

// Metrics configures the Prometheus endpoint; an empty Listen disables it.
type Metrics struct {
	Listen string `yaml:"listen"`
}

// Log configures logging: Level is debug, info, warn or error; Format is auto (colour text on a
// TTY, JSON otherwise), text or json.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Approval governs plan files (README, Plans and approval).
type Approval struct {
	// PlanTTL is how long a plan file may be applied after it was made (expires_at - created_at).
	PlanTTL Duration `yaml:"plan_ttl"`
}

// Default returns the configuration used for every key the file leaves out.
func Default() *Config {
	return &Config{
		Zenlayer: Zenlayer{
			Endpoint:          DefaultEndpoint,
			Timeout:           Duration(30 * time.Second),
			RequestsPerSecond: 10,
		},
		Scope:    Scope{Zones: []string{}, ResourceGroups: []string{}},
		Schedule: DefaultSchedule,
		Timezone: "UTC",
		Mode:     ModeDryRun,
		Policies: Policies{Params: map[string]any{}},
		Safety: Safety{
			GracePeriod:            Duration(24 * time.Hour),
			MaxTerminationsPerRun:  10,
			MaxTerminationsPercent: 10,
			MaxFleetDropPercent:    50,
			CommitmentRetryAfter:   Duration(168 * time.Hour),
			UnconfirmedRetryAfter:  Duration(6 * time.Hour),
			Protect: Protect{
				InstanceIDs:  []string{},
				NamePatterns: []string{},
				Tags:         map[string]string{DefaultProtectTag: "true"},
			},
		},
		StateDir: DefaultStateDir,
		State:    State{Backend: BackendBbolt, Postgres: Postgres{Schema: DefaultPostgresSchema}},
		Report:   Report{Formats: []string{"json", "html"}, Keep: DefaultReportKeep, TrendRuns: 30},
		Notify:   Notify{Format: "generic", Owners: defaultOwners()},
		Pricing: Pricing{Currency: DefaultCurrency, Bills: true, Refresh: Duration(DefaultPricingRefresh),
			Overrides: map[string]Override{}},
		Idle:     Idle{Budget: Budget{Time: Duration(DefaultIdleBudget)}},
		Metrics:  Metrics{Listen: DefaultMetricsListen},
		Log:      Log{Level: "info", Format: "auto"},
		Approval: Approval{PlanTTL: Duration(24 * time.Hour)},
	}
}

// ReportDir returns report.dir, or <state_dir>/reports when it is empty.
func (c *Config) ReportDir() string {
	if c.Report.Dir != "" {
		return c.Report.Dir
	}
	return filepath.Join(c.StateDir, "reports")
}
