package inert

import (
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// JSON returns a writer that passes JSON text to w with every rune Text would escape, other than
// the whitespace between tokens, written as a \uXXXX escape. encoding/json already escapes C0
// controls but leaves DEL, C1 controls, bidi and other format characters raw; they can only occur
// inside strings, where the escape means the same rune, so the data is unchanged while a terminal
// shows them inert. Runes split across writes are handled.
func JSON(w io.Writer) io.Writer { return &jsonWriter{w: w} }

type jsonWriter struct {
	w       io.Writer
	pending []byte // the start of a rune cut off by the previous write
}

func (j *jsonWriter) Write(p []byte) (int, error) {
	buf := append(j.pending, p...)
	end := len(buf)
	for i := len(buf) - 1; i >= 0 && i >= len(buf)-utf8.UTFMax; i-- {
		if utf8.RuneStart(buf[i]) {
			if !utf8.FullRune(buf[i:]) {
				end = i
			}
			break
		}
	}
	out := make([]byte, 0, end+16)
	for i := 0; i < end; {
		r, size := utf8.DecodeRune(buf[i:end])
		if r >= 0x7f && size > 0 && !(r == utf8.RuneError && size == 1) && unsafe(r) {
			out = appendJSONEscape(out, r)
		} else {
			out = append(out, buf[i:i+size]...)
		}
		i += size
	}
	j.pending = append(j.pending[:0:0], buf[end:]...)
	if _, err := j.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

func appendJSONEscape(out []byte, r rune) []byte {
	if r > 0xffff {
		r1, r2 := utf16.EncodeRune(r)
		return fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
	}
	return fmt.Appendf(out, `\u%04x`, r)
}
