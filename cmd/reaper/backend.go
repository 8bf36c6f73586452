package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/report"
	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/state/pgstate"
)

// What holds a bbolt state directory's lock, as its PID file names it (state.WithHolder): apply
// queues an approval only for a running daemon (holderDaemon), the one reaper that takes it.
const (
	holderDaemon  = "the reaper daemon"
	holderOnce    = "reaper run --once"
	holderPlan    = "reaper plan"
	holderApply   = "reaper apply"
	holderMigrate = "reaper state migrate"
	holderState   = "reaper state"
)

// openBackend opens the state store of kind (config.BackendBbolt or BackendPostgres) as cfg
// describes it: bbolt in state_dir, under its single-writer lock (naming holder as what holds
// it), or the postgres schema. Runs it records carry this node's name.
func openBackend(ctx context.Context, cfg *config.Config, kind string, now func() time.Time, holder string) (state.Backend, error) {
	node := nodeName(cfg)
	if kind != config.BackendPostgres {
		s, err := state.Open(cfg.StateDir, state.WithNow(now), state.WithNode(node), state.WithHolder(holder))
		if err != nil {
			return nil, stateError(err)
		}
		return s, nil
	}
	return openPostgres(ctx, cfg, pgstate.WithNow(now))
}

// openPostgres opens the postgres schema cfg names, with opts.
func openPostgres(ctx context.Context, cfg *config.Config, opts ...pgstate.Option) (*pgstate.Store, error) {
	pg := cfg.State.Postgres
	if pg.DSN == "" {
		return nil, errors.New("open state: state.postgres.dsn_file is not set or was not read")
	}
	s, err := pgstate.Open(ctx, pgstate.Config{DSN: pg.DSN.Reveal(), Schema: pg.Schema, Node: nodeName(cfg)}, opts...)
	if err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	return s, nil
}

// nodeName is state.node_name, or the hostname.
func nodeName(cfg *config.Config) string {
	if cfg.State.NodeName != "" {
		return cfg.State.NodeName
	}
	h, _ := os.Hostname()
	return h
}

// describeBackend names the store of kind for messages, never with the DSN.
func describeBackend(cfg *config.Config, kind string) string {
	if kind == config.BackendPostgres {
		return fmt.Sprintf("the postgres schema %q", cfg.State.Postgres.Schema)
	}
	return "the bbolt store in " + cfg.StateDir
}

// sharedRuns reads the runs of every node from the state when the config puts it on postgres
// (ok is false otherwise, and when --dir names a report directory: then only its files count).
func sharedRuns(ctx context.Context, env Env, dirFlag, cfgFlag string) (entries []report.Entry, ok bool, err error) {
	if dirFlag != "" {
		return nil, false, nil
	}
	path := configPath(env, cfgFlag)
	cfg, err := loadConfigNoSecrets(env, path)
	if err != nil || cfg.State.Backend != config.BackendPostgres {
		return nil, false, err
	}
	if cfg, err = loadConfig(env, path, false); err != nil {
		return nil, false, err
	}
	store, err := openPostgres(ctx, cfg, pgstate.WithoutMigrations())
	if errors.Is(err, pgstate.ErrNoSchema) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer store.Close()
	runs, err := store.Runs(0)
	if err != nil {
		return nil, false, err
	}
	for _, r := range runs {
		entries = append(entries, report.Entry{RunID: r.ID, Seq: r.Seq, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
			Command: r.Command, DryRun: r.DryRun, Result: r.Result, InventorySize: r.InventorySize, Counts: r.Counts, Node: r.Node})
	}
	return entries, true, nil
}
