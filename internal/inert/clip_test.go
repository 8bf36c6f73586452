package inert

import "testing"

func TestClip(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "vm-1", 8, "vm-1"},
		{"exact", "abcd", 4, "abcd"},
		{"cut", "abcdef", 4, "abc…"},
		{"one line", "a\n b\t\tc", 10, "a b c"},
		{"escape before cut", "a\x1b[31mb", 6, `a\x1b…`},
		{"runes not bytes", "ääää", 3, "ää…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clip(tt.in, tt.n); got != tt.want {
				t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}
