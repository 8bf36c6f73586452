package config

import (
	"fmt"
	"net/mail"
	"path"
	"strings"
	"time"
)

// Defaults of notify.owners (README, Owner notices).
const (
	DefaultOwnerTag     = "owner"
	DefaultRemindBefore = 24 * time.Hour
	DefaultSMTPPort     = 587
)

// Owners configures owner notices (README, Owner notices). They are on when Routes is not empty (see
// Enabled): without a route, reaper talks only to the operator, as before owner notices existed.
type Owners struct {
	// Tag is the tag key that names an instance's owner, matched trimmed and case-insensitively.
	Tag string `yaml:"tag"`
	// RemindBefore is how long before its due time an owner is reminded of an instance.
	RemindBefore Duration `yaml:"remind_before"`
	// Routes send owners to a webhook or an e-mail address; the first whose Match fits wins.
	// Owners no route matches go to the operator channel (notify.webhook_url_file).
	Routes []OwnerRoute `yaml:"routes"`
	SMTP   SMTP         `yaml:"smtp"`
}

// OwnerRoute sends the owners whose value matches Match (a path.Match glob, compared
// case-insensitively) to a webhook, or, with Email, to the owner value as an e-mail address.
type OwnerRoute struct {
	Match          string `yaml:"match"`
	WebhookURLFile string `yaml:"webhook_url_file"`
	// WebhookURL is loaded from WebhookURLFile.
	WebhookURL Secret `yaml:"webhook_url,omitempty"`
	// Format is the webhook payload shape: generic (the default) or slack.
	Format string `yaml:"format"`
	Email  bool   `yaml:"email"`
}

// SMTP is the mail server owner e-mails go through.
type SMTP struct {
	Host         string `yaml:"host"`
	Port         int    `yaml:"port"`
	From         string `yaml:"from"`
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	// Password is loaded from PasswordFile.
	Password Secret `yaml:"password,omitempty"`
	// StartTLS requires the server to offer STARTTLS and upgrades before authenticating.
	StartTLS bool `yaml:"starttls"`
}

// Enabled reports whether owner notices are configured: at least one route.
func (o *Owners) Enabled() bool { return len(o.Routes) > 0 }

// Route returns the index in Routes of an owner value's route: the first whose Match fits, or -1
// (the operator channel).
func (o *Owners) Route(owner string) int {
	for i := range o.Routes {
		if ok, _ := path.Match(strings.ToLower(o.Routes[i].Match), strings.ToLower(owner)); ok {
			return i
		}
	}
	return -1
}

// defaultOwners is notify.owners when the file leaves it out.
func defaultOwners() Owners {
	return Owners{Tag: DefaultOwnerTag, RemindBefore: Duration(DefaultRemindBefore), Routes: []OwnerRoute{},
		SMTP: SMTP{Port: DefaultSMTPPort, StartTLS: true}}
}

// ownerDefaults gives a webhook route without a format the generic one.
func ownerDefaults(c *Config) {
	o := &c.Notify.Owners
	for i := range o.Routes {
		if o.Routes[i].Format == "" && !o.Routes[i].Email {
			o.Routes[i].Format = "generic"
		}
	}
}

// secretFiles lists the secret files of notify.owners, for loadSecrets.
func (o *Owners) secretFiles() []secretFile {
	var out []secretFile
	for i := range o.Routes {
		r := &o.Routes[i]
		out = append(out, secretFile{index("notify.owners.routes", i) + ".webhook_url_file", r.WebhookURLFile, &r.WebhookURL})
	}
	return append(out, secretFile{"notify.owners.smtp.password_file", o.SMTP.PasswordFile, &o.SMTP.Password})
}

func (c *Config) checkOwners(v *checker) {
	o := &c.Notify.Owners
	if strings.TrimSpace(o.Tag) == "" {
		v.add(keyErr("notify.owners.tag", "must not be empty (the default is %s)", DefaultOwnerTag))
	}
	v.positive("notify.owners.remind_before", o.RemindBefore)
	email := false
	for i, r := range o.Routes {
		c.checkOwnerRoute(v, index("notify.owners.routes", i), r)
		email = email || r.Email
	}
	if email {
		checkSMTP(v, o.SMTP)
	}
	if o.Enabled() && c.Notify.WebhookURLFile == "" && o.Routes[len(o.Routes)-1].Match != "*" {
		v.warn("notify.owners", "owners no route matches go to the operator channel, and notify.webhook_url_file is not set: their notices are not sent")
	}
}

func (c *Config) checkOwnerRoute(v *checker, key string, r OwnerRoute) {
	switch {
	case r.Match == "":
		v.add(keyErr(key+".match", "must not be empty (use \"*\" for every owner)"))
	default:
		if _, err := path.Match(r.Match, ""); err != nil {
			v.add(keyErr(key+".match", "invalid glob %q: %v", r.Match, err))
		}
	}
	switch {
	case r.Email && r.WebhookURLFile != "":
		v.add(keyErr(key, "set either email: true or webhook_url_file, not both"))
	case !r.Email && r.WebhookURLFile == "":
		v.add(keyErr(key, "needs webhook_url_file or email: true"))
	case r.Email && r.Format != "":
		v.add(keyErr(key+".format", "applies only to webhooks; an e-mail route has no format"))
	case !r.Email:
		v.oneOf(key+".format", r.Format, NotifyFormats)
		checkWebhookURL(v, key+".webhook_url_file", r.WebhookURL)
	}
}

func checkSMTP(v *checker, s SMTP) {
	const key = "notify.owners.smtp"
	if s.Host == "" {
		v.add(keyErr(key+".host", "must not be empty when a route has email: true"))
	}
	if s.Port < 1 || s.Port > 65535 {
		v.add(keyErr(key+".port", "must be from 1 to 65535, got %d", s.Port))
	}
	if a, err := mail.ParseAddress(s.From); err != nil || a.Name != "" || a.Address != s.From {
		v.add(keyErr(key+".from", "must be a plain e-mail address (name@example.com), got %q", s.From))
	}
	switch {
	case s.Username != "" && s.PasswordFile == "":
		v.add(keyErr(key+".password_file", "must be set when username is set"))
	case s.Username == "" && s.PasswordFile != "":
		v.add(keyErr(key+".username", "must be set when password_file is set"))
	}
	if s.Username != "" && !s.StartTLS {
		v.add(keyErr(key+".starttls", "must be true when username is set: the password never crosses the network in the clear"))
	}
}

// checkWebhookURL checks a loaded webhook URL without showing it: it is a secret.
func checkWebhookURL(v *checker, key string, s Secret) {
	if w := s.Reveal(); w != "" {
		if !httpURL(w) {
			v.add(keyErr(key, "the file does not hold an absolute http or https URL"))
		}
	}
}

// String names a route for logs: its match and where it goes, never a secret.
func (r OwnerRoute) String() string {
	if r.Email {
		return fmt.Sprintf("%s → e-mail", r.Match)
	}
	return fmt.Sprintf("%s → %s webhook", r.Match, r.Format)
}
