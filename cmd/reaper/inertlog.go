package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/reaper-bmc/reaper/internal/inert"
)

// inertHandler renders a record's message and every string attribute (keys, strings, errors and
// other values, in groups too) through inert.Text before its handler formats it, so fleet data
// logged by any package cannot act on the terminal: the colour handler writes ESC raw by design,
// and JSON leaves bidi and C1 characters as they are. Values that are already inert pass through
// untouched.
//
// The colour handler (tint) also turns the text `\x1b` inside any quoted value back into a raw
// ESC, so for it every literal `\x1b` (one inert.Text wrote, or one in the data) is written
// `\x1B`.
type inertHandler struct {
	slog.Handler
	colour bool // the handler is tint's colour handler
}

// newInertHandler wraps h; any handler other than slog's own JSON and text handlers is treated as
// the colour handler.
func newInertHandler(h slog.Handler) inertHandler {
	switch h.(type) {
	case *slog.JSONHandler, *slog.TextHandler:
		return inertHandler{Handler: h}
	}
	return inertHandler{Handler: h, colour: true}
}

func (h inertHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.text(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h inertHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = h.attr(a)
	}
	return inertHandler{h.Handler.WithAttrs(out), h.colour}
}

func (h inertHandler) WithGroup(name string) slog.Handler {
	return inertHandler{h.Handler.WithGroup(h.text(name)), h.colour}
}

// text is s made inert for h.
func (h inertHandler) text(s string) string {
	s = inert.Text(s)
	if h.colour {
		s = strings.ReplaceAll(s, `\x1b`, `\x1B`)
	}
	return s
}

// needs reports whether text would change s.
func (h inertHandler) needs(s string) bool {
	return !inert.Safe(s) || h.colour && strings.Contains(s, `\x1b`)
}

// attr returns a with its key and value inert; a value that needs no change keeps its kind (and a
// LogValuer stays unresolved, so handlers can still style it).
func (h inertHandler) attr(a slog.Attr) slog.Attr {
	a.Key = h.text(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if s := v.String(); h.needs(s) {
			a.Value = slog.StringValue(h.text(s))
		}
	case slog.KindGroup:
		group := v.Group()
		out := make([]slog.Attr, len(group))
		for i, g := range group {
			out[i] = h.attr(g)
		}
		a.Value = slog.GroupValue(out...)
	case slog.KindAny:
		if s := fmt.Sprintf("%+v", v.Any()); h.needs(s) {
			a.Value = slog.StringValue(h.text(s))
		}
	}
	return a
}
