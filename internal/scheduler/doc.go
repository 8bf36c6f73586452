// Package scheduler decides when reaper runs a cycle: it parses the cron
// schedule and time zone from the config, and runs one job at a time on that
// schedule with a cycle timeout and panic containment. Stopping cancels the
// running cycle's context and waits for the job to return; the caller bounds
// that wait (a second signal, systemd's TimeoutStopSec).
//
// The package uses robfig/cron's parser (5 fields or a descriptor such as
// "@hourly" or "@every 10m") but not cron.Cron: Runner is a small sequential
// loop of its own. A job never overlaps itself, because the next wait starts
// only after the job has returned; the runs that fell inside an overlong job
// are skipped and logged. A panic is recovered inside the loop and the next
// run is scheduled as usual. The robfig/cron v3.0.1 pitfall with job wrappers
// (Recover must wrap the job inside SkipIfStillRunning, otherwise one panic
// leaves the "still running" lock held and the job never runs again) cannot
// arise here, because no wrapper chain is used.
//
// Time zones and daylight saving time: a schedule is evaluated in wall-clock
// time of its time zone. When the clocks jump forward, run times inside the
// skipped hour do not exist and are not run (for example "30 2 * * *" in
// Europe/Berlin does not run on the spring-forward day). When the clocks go
// back, the repeated hour happens twice and a run inside it may run twice
// (the same spec runs at 02:30 CEST and again at 02:30 CET). Schedules in UTC,
// the default, have neither effect.
//
// Time is read from an injected Clock. FakeClock lets tests drive the loop
// without sleeping.
package scheduler
