package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/reaper-bmc/reaper/internal/policy"
)

// The policy decision cache in the state store (state.DecisionCacheStore): an engine is warmed
// from the store before its first cycle, so that a restarted daemon, a new leader and a
// one-shot plan serve from the cache from their first cycle, and a cycle that may write the
// store saves it afterwards. The cache is derived data, valid for exactly one generation
// (policies, params, reaper build; see policy.Engine.CacheGeneration): a blob that is missing,
// of another generation or damaged is a cold cycle, never an error.
//
// Who saves: a cycle of `run` (the daemon and run --once), after proving its leadership on a
// shared store like every other write; and `plan` on bbolt, a store no other process has open
// while plan holds its lock (so repeated plans warm up). A plan on a shared store (PostgreSQL)
// writes nothing the leader keeps: it only reads the cache (planStore drops the save).

// warmCache fills rt's engine from the store, once per loaded config.
func (c *cycler) warmCache(rt *loaded) {
	rt.cacheOnce.Do(func() {
		params := rt.settings.Params
		gen, err := rt.engine.CacheGeneration(params)
		if err != nil {
			if !errors.Is(err, policy.ErrCacheOff) {
				c.log.Warn("decision cache not loaded: cold cycle", "error", err)
			}
			return
		}
		start := time.Now()
		blob, found, err := c.store.DecisionCache(gen)
		switch {
		case err != nil:
			c.log.Warn("decision cache not loaded: cold cycle", "error", err)
			return
		case !found:
			c.log.Debug("no saved decision cache for these policies, params and reaper build: cold cycle")
			return
		}
		n, err := rt.engine.ImportCache(params, blob)
		if err != nil {
			c.log.Warn("saved decision cache ignored: cold cycle", "error", err)
			return
		}
		c.log.Debug("decision cache loaded", "entries", n, "bytes", len(blob), "duration", time.Since(start))
	})
}

// saveCache writes rt's engine's cache to the store after a cycle: fenced on a shared store,
// never from a plan on a shared store. A failure is a warning: the next process starts cold.
func (c *cycler) saveCache(ctx context.Context, rt *loaded) {
	if _, plan := c.store.(planStore); plan {
		return
	}
	if c.fence != nil {
		if err := c.fence.Fence(context.WithoutCancel(ctx)); err != nil {
			c.log.Warn("decision cache not saved: leadership not proven", "error", err)
			return
		}
	}
	start := time.Now()
	gen, blob, err := rt.engine.ExportCache(rt.settings.Params)
	if err != nil {
		if !errors.Is(err, policy.ErrCacheOff) {
			c.log.Debug("decision cache not saved", "error", err) // ErrCacheUnchanged: the store has it
		}
		return
	}
	if err := c.store.PutDecisionCache(gen, blob); err != nil {
		c.log.Warn("decision cache not saved", "error", err)
		return
	}
	rt.engine.CacheSaved()
	c.log.LogAttrs(ctx, slog.LevelDebug, "decision cache saved", slog.Int("bytes", len(blob)), slog.Duration("duration", time.Since(start)))
}
