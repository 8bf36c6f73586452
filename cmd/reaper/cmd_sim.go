package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/config"
	"github.com/reaper-bmc/reaper/internal/safego"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// The simulator's credentials. They open nothing but a simulator on loopback.
const (
	simKeyID  = "REAPER-SIM-KEY"
	simSecret = "reaper-sim-secret"
)

func simCommand(cl *cli) *cobra.Command {
	var o simOptions
	c := &cobra.Command{
		Use:   "sim",
		Short: "run the Zenlayer simulator on loopback",
		Long: "Serve the Zenlayer Bare Metal Cloud simulator on a loopback address: the demo fleet, a\n" +
			"fleet file (--fleet, as reaper inventory --format fleet writes), or a generated fleet of\n" +
			"--size instances. It prints the endpoint and the simulator's credentials; stop it with\n" +
			"Ctrl-C.",
		Args: wantArgs(),
		RunE: cl.run(func(ctx context.Context, env Env, _ []string) int { return cmdSim(ctx, env, o) }),
	}
	c.Flags().StringVar(&o.fleetFile, "fleet", "", "fleet file (JSON) to serve; default: the demo fleet")
	_ = c.MarkFlagFilename("fleet", "json")
	c.Flags().IntVar(&o.size, "size", 0, "generate a realistic fleet of this many instances instead")
	c.Flags().Int64Var(&o.seed, "seed", 1, "seed for --size")
	c.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8700", "loopback address to listen on")
	return c
}

type simOptions struct {
	fleetFile, listen string
	size              int
	seed              int64
}

func cmdSim(ctx context.Context, env Env, o simOptions) int {
	if err := loopbackOnly(o.listen); err != nil {
		return usageErr(env, "--listen: %v", err)
	}
	now := env.now()
	fleet := zensim.DemoFleet(now)
	switch {
	case o.fleetFile != "" && o.size > 0:
		return usageErr(env, "--fleet and --size exclude each other")
	case o.fleetFile != "":
		f, err := zensim.LoadFleetFile(o.fleetFile)
		if err != nil {
			return fail(env, err)
		}
		warnUndocumented(env, o.fleetFile, f.Undocumented())
		fleet = f
	case o.size > 0:
		fleet = zensim.Generate(o.size, o.seed, now)
	}
	log := newLogger(env, config.Log{Level: "info", Format: "auto"})
	sim := zensim.New(zensim.Options{Now: env.now, Keys: map[string]string{simKeyID: simSecret}, Logger: log, MaxCalls: 10000})
	if err := sim.Load(fleet); err != nil {
		return fail(env, err)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fail(env, fmt.Errorf("listen %s: %w", o.listen, err))
	}
	fmt.Fprintf(env.Stdout, "Zenlayer BMC simulator with %d instances\n  endpoint:      http://%s\n  access key id: %s\n  secret:        %s (simulator only)\n",
		len(fleet.Instances), ln.Addr(), simKeyID, simSecret)
	fmt.Fprintln(env.Stdout, "Stop it with Ctrl-C.")
	return serveUntilDone(ctx, env, ln, sim, log)
}

func serveUntilDone(ctx context.Context, env Env, ln net.Listener, h http.Handler, log *slog.Logger) int {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	safego.Go("simulator server", func() { errc <- srv.Serve(ln) }, func(err error) { errc <- err })
	select {
	case err := <-errc:
		return fail(env, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("simulator shutdown", "error", err)
	}
	return exitOK
}

// loopbackOnly refuses to serve the simulator anywhere but loopback.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address: the simulator only listens on loopback", host)
	}
	return nil
}

// warnUndocumented tells the user which instances of a fleet file have a status or charge type
// outside the documented values: they are served as written (a replay keeps what the API said),
// but in a hand-written file they are more likely a typo.
func warnUndocumented(env Env, path string, lines []string) {
	if len(lines) == 0 {
		return
	}
	const show = 5
	more := ""
	if len(lines) > show {
		more = fmt.Sprintf(" (and %d more)", len(lines)-show)
		lines = lines[:show]
	}
	fmt.Fprintf(env.Stderr, "warning: %s: values outside the documented ones are served as written: %s%s\n",
		path, strings.Join(lines, "; "), more)
}
