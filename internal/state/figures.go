package state

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// Figures is a list of bandwidth figures (bits per second), kept largest first. It is stored
// compactly: a JSON string holding base64 of the first figure and then each figure's difference
// from the one before, as zigzag varints (a day's 58 largest figures of a quiet machine take a
// byte or two each instead of up to 20). Any list round-trips exactly, sorted or not.
type Figures []int64

// MarshalJSON encodes the figures as a base64 string of zigzag varint differences.
func (f Figures) MarshalJSON() ([]byte, error) {
	buf := make([]byte, 0, len(f)*3)
	var prev int64
	for _, v := range f {
		buf = binary.AppendVarint(buf, prev-v) // wraps exactly; decoding wraps back
		prev = v
	}
	return json.Marshal(base64.RawStdEncoding.EncodeToString(buf))
}

// UnmarshalJSON decodes what MarshalJSON wrote; null decodes to nil.
func (f *Figures) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("figures: %w", err)
	}
	if s == nil {
		*f = nil
		return nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(*s)
	if err != nil {
		return fmt.Errorf("figures: %w", err)
	}
	out := Figures{}
	var prev int64
	for len(raw) > 0 {
		d, n := binary.Varint(raw)
		if n <= 0 {
			return fmt.Errorf("figures: malformed varint at byte %d", len(raw))
		}
		prev -= d
		out = append(out, prev)
		raw = raw[n:]
	}
	if len(out) == 0 {
		out = nil
	}
	*f = out
	return nil
}
