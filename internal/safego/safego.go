// Package safego contains panics of goroutines. Go's runtime ends the whole process with exit
// status 2 when any goroutine panics, and exit 2 means "usage" to reaper and "do not restart"
// to its systemd unit. Every goroutine reaper starts runs its body through Call (or Go), so a
// panic becomes a *PanicError returned to whoever waits for that goroutine: the cycle aborts
// with no action and the command exits 1, naming where it happened. Run spreads n jobs over k
// such goroutines and stops them all at the first failure, a panic included.
//
// The package is a leaf that imports only the standard library, so the leaves that start
// goroutines (zen, policy, enrich, scheduler, metrics) may share it without importing each
// other, and cmd/reaper and the scheduler recognise the one error type with errors.As.
package safego

import (
	"fmt"
	"log/slog"
	"runtime/debug"
)

// PanicError is a panic recovered from a goroutine: an internal error (a bug in reaper or a
// library), never a property of the fleet or the configuration.
type PanicError struct {
	// Where names the goroutine ("zen page worker", "policy evaluation of instance 42").
	Where string
	// Value is the value given to panic.
	Value any
	// Stack is the panicking goroutine's stack, for the bug report.
	Stack []byte
}

// Error names the place and the panic value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("internal error in %s: panic: %v", e.Where, e.Value)
}

// LogValue renders the error as a group of snake_case attributes: where, and the panic value as
// text. The stack is left out, as it is of Error: it is for the bug report.
func (e *PanicError) LogValue() slog.Value {
	return slog.GroupValue(slog.String("where", e.Where), slog.String("panic", fmt.Sprint(e.Value)))
}

// Unwrap returns the panic value when it is an error, for errors.Is and errors.As.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Call runs fn on the calling goroutine and returns a *PanicError if it panics, nil otherwise.
func Call(where string, fn func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Where: where, Value: v, Stack: debug.Stack()}
		}
	}()
	fn()
	return nil
}

// Go runs fn on a new goroutine. If fn panics, failed is called on that goroutine with the
// *PanicError; it must hand the error to whoever waits for the goroutine.
func Go(where string, fn func(), failed func(error)) {
	go func() {
		if err := Call(where, fn); err != nil {
			failed(err)
		}
	}()
}
