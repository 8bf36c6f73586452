package scheduler

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct{ spec, tz string }{
		{"*/30 * * * *", "UTC"},
		{"0 9 * * 1-5", "Europe/Berlin"},
		{"@every 10m", "UTC"},
		{"@hourly", ""},
		{"@daily", "Asia/Hong_Kong"},
		{"@midnight", "UTC"},
		{"@weekly", "UTC"},
		{"@monthly", "UTC"},
		{"@yearly", "UTC"},
		{"  15 3 * * *  ", "America/Los_Angeles"},
	}
	for _, tt := range tests {
		t.Run(tt.spec+"/"+tt.tz, func(t *testing.T) {
			s, err := Parse(tt.spec, tt.tz)
			if err != nil {
				t.Fatalf("Parse(%q, %q): %v", tt.spec, tt.tz, err)
			}
			if !strings.Contains(s.String(), strings.TrimSpace(tt.spec)) {
				t.Errorf("String() = %q, want it to contain the spec", s.String())
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, spec, tz string
		wantKey        string
		wantValue      string
	}{
		{"empty spec", "", "UTC", "schedule", ""},
		{"four fields", "* * * *", "UTC", "schedule", "* * * *"},
		{"six fields (seconds)", "0 * * * * *", "UTC", "schedule", "0 * * * * *"},
		{"minute out of range", "61 * * * *", "UTC", "schedule", "61 * * * *"},
		{"unknown descriptor", "@fortnightly", "UTC", "schedule", "@fortnightly"},
		{"bad every", "@every soon", "UTC", "schedule", "@every soon"},
		{"cron tz prefix", "CRON_TZ=UTC * * * * *", "UTC", "schedule", "CRON_TZ=UTC * * * * *"},
		{"tz prefix without space", "TZ=UTC", "UTC", "schedule", "TZ=UTC"},
		{"never runs", "0 0 30 2 *", "UTC", "schedule", "0 0 30 2 *"},
		{"unknown time zone", "@hourly", "Mars/Olympus_Mons", "timezone", "Mars/Olympus_Mons"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.spec, tt.tz)
			var perr *ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%q, %q) error = %v, want a *ParseError", tt.spec, tt.tz, err)
			}
			if perr.Key != tt.wantKey || perr.Value != tt.wantValue {
				t.Errorf("got key %q value %q, want key %q value %q", perr.Key, perr.Value, tt.wantKey, tt.wantValue)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.wantKey+" ") || !strings.Contains(msg, `"`+tt.wantValue+`"`) {
				t.Errorf("message %q does not name key %q and value %q", msg, tt.wantKey, tt.wantValue)
			}
		})
	}
}

func TestMustParsePanicsOnError(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse did not panic on a bad spec")
		}
	}()
	MustParse("nonsense", "UTC")
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestScheduleNext(t *testing.T) {
	tests := []struct {
		name, spec, tz string
		from, want     string
	}{
		{"every half hour", "*/30 * * * *", "UTC", "2026-11-26T08:10:00Z", "2026-11-26T08:30:00Z"},
		{"strictly after", "*/30 * * * *", "UTC", "2026-11-26T08:30:00Z", "2026-11-26T09:00:00Z"},
		{"hourly", "@hourly", "UTC", "2026-11-26T08:10:00Z", "2026-11-26T09:00:00Z"},
		{"daily in Hong Kong", "@daily", "Asia/Hong_Kong", "2026-11-26T08:00:00Z", "2026-11-26T16:00:00Z"},
		{"weekdays skip the weekend", "0 9 * * 1-5", "UTC", "2026-11-27T10:00:00Z", "2026-11-30T09:00:00Z"},
		{"every 10m keeps whole seconds", "@every 10m", "UTC", "2026-11-26T08:10:30.5Z", "2026-11-26T08:20:30Z"},
		{"local spec in Berlin", "0 6 * * *", "Europe/Berlin", "2026-11-26T08:00:00Z", "2026-11-27T05:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := MustParse(tt.spec, tt.tz)
			got := s.Next(utc(tt.from))
			if want := utc(tt.want); !got.Equal(want) {
				t.Errorf("Next(%s) = %s, want %s", tt.from, got.UTC().Format(time.RFC3339), tt.want)
			}
		})
	}
}

func TestZeroScheduleNeverRuns(t *testing.T) {
	var s Schedule
	if got := s.Next(utc("2026-11-26T08:00:00Z")); !got.IsZero() {
		t.Errorf("Next = %s, want zero time", got)
	}
	if got := s.MinInterval(utc("2026-11-26T08:00:00Z")); got != 0 {
		t.Errorf("MinInterval = %s, want 0", got)
	}
	if got := s.String(); got != "" {
		t.Errorf("String = %q, want empty", got)
	}
}

func TestMinInterval(t *testing.T) {
	from := utc("2026-11-26T08:10:00Z")
	tests := []struct {
		spec string
		want time.Duration
	}{
		{"*/30 * * * *", 30 * time.Minute},
		{"@every 10m", 10 * time.Minute},
		{"@hourly", time.Hour},
		{"0 9,17 * * *", 8 * time.Hour},
		{"0 9 * * 1-5", 24 * time.Hour},
		{"@weekly", 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			if got := MustParse(tt.spec, "UTC").MinInterval(from); got != tt.want {
				t.Errorf("MinInterval = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestDaylightSavingTime pins the documented behaviour of local-time
// schedules in Europe/Berlin: 2026-03-29 02:00 CET jumps to 03:00 CEST, and
// 2026-10-25 03:00 CEST falls back to 02:00 CET.
func TestDaylightSavingTime(t *testing.T) {
	tests := []struct {
		name string
		spec string
		from string
		want []string // successive runs, UTC
	}{
		{
			name: "run in the skipped hour does not happen",
			spec: "30 2 * * *",
			// From 03:00 CET on the 28th: 02:30 CEST on the 30th, none on the 29th.
			from: "2026-03-28T02:00:00Z",
			want: []string{"2026-03-30T00:30:00Z"},
		},
		{
			name: "hourly skips the missing hour",
			spec: "0 * * * *",
			// From 01:30 CET: 03:00 CEST, then 04:00 CEST.
			from: "2026-03-29T00:30:00Z",
			want: []string{"2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"},
		},
		{
			name: "run in the repeated hour happens twice",
			spec: "30 2 * * *",
			from: "2026-10-24T22:00:00Z", // 00:00 CEST on the 25th
			want: []string{
				"2026-10-25T00:30:00Z", // 02:30 CEST
				"2026-10-25T01:30:00Z", // 02:30 CET
				"2026-10-26T01:30:00Z", // 02:30 CET next day
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := MustParse(tt.spec, "Europe/Berlin")
			at := utc(tt.from)
			for i, w := range tt.want {
				at = s.Next(at)
				if want := utc(w); !at.Equal(want) {
					t.Fatalf("run %d = %s, want %s", i, at.UTC().Format(time.RFC3339), w)
				}
			}
		})
	}

	t.Run("repeated hour shortens the min interval", func(t *testing.T) {
		s := MustParse("30 2 * * *", "Europe/Berlin")
		if got, want := s.MinInterval(utc("2026-10-20T00:00:00Z")), time.Hour; got != want {
			t.Errorf("MinInterval = %s, want %s", got, want)
		}
	})
}
