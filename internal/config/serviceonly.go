package config

import "slices"

// Secret file keys, as errors and ServiceOnly name them.
const (
	keyAccessKeySecretFile = "zenlayer.access_key_secret_file"
	keyTokenFile           = "zenlayer.token_file"
	keyWebhookURLFile      = "notify.webhook_url_file"
	keyPostgresDSNFile     = "state.postgres.dsn_file"
)

// serviceOnly reports whether the secret file path raw can be read only inside the service: it
// names ${CREDENTIALS_DIRECTORY}, which systemd sets for the unit, and the variable is unset here
// (an operator's shell).
func serviceOnly(raw string, env func(string) string) bool {
	return containsRef(raw) && env(EnvCredentialsDirectory) == ""
}

// serviceOnlyWarning is the warning for a secret that is checked only inside the service.
func serviceOnlyWarning(key string) string {
	return key + ": checked only inside the service (" + credentialsDirectoryRef +
		" is not set here; systemd sets it for units with LoadCredential=)"
}

// ValidateCredentials checks what a command that calls the API needs: exactly one complete set of
// credentials, an access key ID with its secret or a token, and every secret file readable here
// (none of them ServiceOnly). Commands that need no network (validate, policy, report, state)
// skip it; validate uses CheckCredentials.
func (c *Config) ValidateCredentials() error {
	if len(c.ServiceOnly) > 0 {
		return keyErr(c.ServiceOnly[0], "%s is not set (systemd sets it for units with LoadCredential=)", credentialsDirectoryRef)
	}
	return c.completeCredentials()
}

// CheckCredentials is ValidateCredentials for a config read outside the service: a secret in
// ServiceOnly counts as present, since only the service can read it.
func (c *Config) CheckCredentials() error {
	cc := *c
	if slices.Contains(c.ServiceOnly, keyAccessKeySecretFile) {
		cc.Zenlayer.AccessKeySecret = "unchecked"
	}
	if slices.Contains(c.ServiceOnly, keyTokenFile) {
		cc.Zenlayer.Token = "unchecked"
	}
	return cc.completeCredentials()
}
