package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/reaper-bmc/reaper/internal/metrics"

	opaversion "github.com/open-policy-agent/opa/v1/version"
)

func cmdVersion(ctx context.Context, env Env, args []string) int {
	fs := newFlags(env, "version", "")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	fmt.Fprintf(env.Stdout, "reaper %s\ncommit %s\ngo     %s %s/%s\nopa    %s\n",
		version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH, opaversion.Version)
	return exitOK
}

// buildInfo is what `reaper version` prints, for the reaper_build_info metric.
func buildInfo() metrics.BuildInfo {
	return metrics.BuildInfo{Version: version, Commit: commit, GoVersion: runtime.Version(), OPAVersion: opaversion.Version}
}
