package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/reaper-bmc/reaper/internal/leader"
	"github.com/reaper-bmc/reaper/internal/reconcile"
)

// campaigner is leadership as the commands use it; *leader.Leader implements it.
type campaigner interface {
	Acquire(ctx context.Context) error
	Leading() (bool, string)
	Fence(ctx context.Context) error
	Release(ctx context.Context)
	// Session is the leadership session's backend PID (0 when it does not lead): an approval is
	// taken fenced on it.
	Session() uint32
}

// sharedState is a state store that several reapers share, so one of them must lead;
// *pgstate.Store implements it. A bbolt store does not: its single-writer lock keeps every other
// reaper out, so the reaper that opened it always leads.
type sharedState interface {
	ConnConfig() *pgx.ConnConfig
	Schema() string
}

// newLeadership returns the leadership for store: nil when the store is not shared.
func newLeadership(store any, node string, log *slog.Logger, onChange func(bool)) (campaigner, error) {
	s, ok := store.(sharedState)
	if !ok {
		return nil, nil
	}
	l, err := leader.New(leader.Options{Conn: s.ConnConfig(), Schema: s.Schema(), Node: node, OnChange: onChange, Logger: log})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// leadOnce takes leadership for one command that may act (run --once, apply): nil, nil when the store is not shared;
// an error naming the leader's node when another reaper leads. The caller releases it.
func leadOnce(ctx context.Context, command string, store any, node string, log *slog.Logger) (campaigner, error) {
	lead, err := newLeadership(store, node, log, nil)
	if err != nil || lead == nil {
		return nil, err
	}
	if err := lead.Acquire(ctx); err != nil {
		var held *leader.HeldError
		if errors.As(err, &held) {
			return nil, fmt.Errorf("%s needs leadership of the shared state: %w (plan needs none)", command, err)
		}
		return nil, err
	}
	return lead, nil
}

// fencer returns lead as the reconciler's Fencer: nil (no fencing) without leadership.
func fencer(lead campaigner) reconcile.Fencer {
	if lead == nil {
		return nil
	}
	return lead
}

// campaign is the daemon's check before each cycle (and once at start): true when it leads,
// campaigning if it does not; false when it stands by. A change of standing is logged once.
func (d *daemon) campaign(ctx context.Context) bool {
	if d.lead == nil {
		return true
	}
	err := d.lead.Acquire(ctx)
	d.mu.Lock()
	before := d.campaignErr
	d.campaignErr = err
	d.mu.Unlock()
	if err == nil {
		return true
	}
	if before == nil || before.Error() != err.Error() {
		var held *leader.HeldError
		if errors.As(err, &held) {
			d.log.Info("standing by", "reason", err.Error())
		} else {
			d.log.Error("cannot campaign for leadership; standing by", "error", err)
		}
	}
	return false
}

// standby is /readyz while this reaper does not lead: ready when another reaper leads (this one
// is ready to take over), not ready when it cannot tell (the database is out of reach, or it
// lost leadership and has not campaigned since). ok reports whether it stands by at all.
func (d *daemon) standby() (standing bool, ready bool, why string) {
	if d.lead == nil {
		return false, false, ""
	}
	leading, reason := d.lead.Leading()
	if leading {
		return false, false, ""
	}
	d.mu.Lock()
	err := d.campaignErr
	d.mu.Unlock()
	var held *leader.HeldError
	if errors.As(err, &held) {
		return true, true, "standby: " + held.Error()
	}
	return true, false, reason
}
