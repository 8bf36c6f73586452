package pgstate

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/redact/redacttest"
)

// trickyPassword holds characters each encoding spells differently.
const trickyPassword = `p@ss w+rd/"<&>%\é-42`

// TestPasswordNeverInErrors: an error that quotes the DSN's password, in any encoding, whichever
// form the DSN has, leaves the store's redaction without it.
func TestPasswordNeverInErrors(t *testing.T) {
	kvQuoted := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(trickyPassword)
	for form, dsn := range map[string]string{
		"url":       "postgres://reaper:" + url.UserPassword("reaper", trickyPassword).String()[len("reaper:"):] + "@db/reaper",
		"url query": "postgres://reaper@db/reaper?sslmode=disable&password=" + url.QueryEscape(trickyPassword),
		"key=value": "host=db user=reaper password='" + kvQuoted + "' dbname=reaper",
	} {
		for name, enc := range redacttest.Encodings(trickyPassword) {
			err := redactErr(fmt.Errorf("server said %s: %w", enc, errors.ErrUnsupported), dsn)
			redacttest.CheckNoLeak(t, form+"/"+name, err.Error(), trickyPassword)
			if !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("%s/%s: the redacted error lost what it is", form, name)
			}
		}
		if plain := errors.New("no secret here"); redactErr(plain, dsn) != plain {
			t.Errorf("%s: an error without the password was replaced", form)
		}
	}
}

func redactErr(err error, dsn string) error { return redactorOf(dsn).Error(err) }
