package config

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "30s", want: 30 * time.Second},
		{in: "24h", want: day},
		{in: "168h", want: week},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "7d", want: week},
		{in: "2w", want: 2 * week},
		{in: "1w2d12h", want: week + 2*day + 12*time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "0.5w", want: 84 * time.Hour},
		{in: "0", want: 0},
		{in: "0s", want: 0},
		{in: "-1d", want: -day},
		{in: "+3d", want: 3 * day},
		{in: "", wantErr: `invalid duration "": empty`},
		{in: "-", wantErr: `invalid duration "-": empty`},
		{in: "30", wantErr: `invalid duration "30": missing unit (use s, m, h, d or w, as in 30s, 24h, 7d)`},
		{in: "7x", wantErr: `invalid duration "7x": unknown unit "x" (use ns, us, ms, s, m, h, d or w)`},
		{in: "7days", wantErr: `invalid duration "7days": unknown unit "days" (use ns, us, ms, s, m, h, d or w)`},
		{in: "d", wantErr: `invalid duration "d": expected a number`},
		{in: "1..5d", wantErr: `invalid duration "1..5d": bad number "1..5"`},
		{in: "1d 2h", wantErr: `invalid duration "1d 2h": unknown unit "d " (use ns, us, ms, s, m, h, d or w)`},
		{in: "100000000w", wantErr: `invalid duration "100000000w": out of range`},
		{in: "10000000000000h", wantErr: `invalid duration "10000000000000h": out of range`},
		{in: "15000w15000w", wantErr: `invalid duration "15000w15000w": out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseDuration(%q): got error %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDuration(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseDuration(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{30 * time.Second, "30s"},
		{time.Minute, "1m"},
		{90 * time.Minute, "1h30m"},
		{168 * time.Hour, "168h"},
		{time.Hour + time.Second, "1h0m1s"},
		{1500 * time.Millisecond, "1.5s"},
		{-time.Hour, "-1h"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			d := Duration(tt.in)
			if got := d.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			back, err := ParseDuration(d.String())
			if err != nil || back != tt.in {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v", d.String(), back, err, tt.in)
			}
		})
	}
}

func TestDurationInConfig(t *testing.T) {
	c := mustParse(t, "safety: { grace_period: 2d, commitment_retry_after: 1w }\nschedule_jitter: 0\n", nil, "")
	if got, want := c.Safety.GracePeriod.D(), 48*time.Hour; got != want {
		t.Errorf("grace_period: got %v, want %v", got, want)
	}
	if got, want := c.Safety.CommitmentRetryAfter.D(), 168*time.Hour; got != want {
		t.Errorf("commitment_retry_after: got %v, want %v", got, want)
	}
}

func TestDurationText(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("3d")); err != nil {
		t.Fatal(err)
	}
	out, err := d.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "72h"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := d.UnmarshalText([]byte("soon")); err == nil {
		t.Errorf("UnmarshalText(soon): got no error, want one")
	}
}
