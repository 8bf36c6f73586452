package pgstate

import (
	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/redact"
)

// redactorOf returns the redactor of what dsn holds that must never be shown: the DSN itself and
// its password, as written and as decoded (redact.DSNSecrets), and as pgx reads it (which may
// come from PGPASSWORD or a password file), each in every encoding.
func redactorOf(dsn string) *redact.Redactor {
	secrets := append([]string{dsn}, redact.DSNSecrets(dsn)...)
	if c, err := pgx.ParseConfig(dsn); err == nil && c.Password != "" {
		secrets = append(secrets, c.Password)
	}
	return redact.New(secrets...)
}
