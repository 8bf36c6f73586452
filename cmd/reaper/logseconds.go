package main

import (
	"context"
	"log/slog"
	"strings"
)

// secondsHandler writes every duration attribute as seconds: a float value under the key with
// "_seconds" appended (duration becomes duration_seconds), in groups too. So logs read by
// machines (journald JSON, Loki) compare durations as numbers in one unit, as the metrics do,
// instead of JSON's nanoseconds or text's "1m30s", whichever package logged them.
type secondsHandler struct{ slog.Handler }

func (h secondsHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(inSeconds(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h secondsHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = inSeconds(a)
	}
	return secondsHandler{h.Handler.WithAttrs(out)}
}

func (h secondsHandler) WithGroup(name string) slog.Handler {
	return secondsHandler{h.Handler.WithGroup(name)}
}

// inSeconds returns a with a duration value as float seconds under a _seconds key.
func inSeconds(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindDuration:
		key := a.Key
		if !strings.HasSuffix(key, "_seconds") {
			key += "_seconds"
		}
		return slog.Float64(key, v.Duration().Seconds())
	case slog.KindGroup:
		group := v.Group()
		out := make([]slog.Attr, len(group))
		for i, g := range group {
			out[i] = inSeconds(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	}
	return a
}
