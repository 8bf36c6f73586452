package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/metrics"

	opaversion "github.com/open-policy-agent/opa/v1/version"
)

func versionCommand(cl *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print version, commit, Go and OPA versions (also: reaper --version)",
		Args:  wantArgs(),
		RunE:  cl.run(cmdVersion),
	}
}

func cmdVersion(ctx context.Context, env Env, args []string) int {
	fmt.Fprint(env.Stdout, versionText())
	return exitOK
}

// versionText is what `reaper version` and `reaper --version` print.
func versionText() string {
	return fmt.Sprintf("reaper %s\ncommit %s\ngo     %s %s/%s\nopa    %s\n",
		version, commit, runtime.Version(), runtime.GOOS, runtime.GOARCH, opaversion.Version)
}

// buildInfo is what `reaper version` prints, for the reaper_build_info metric.
func buildInfo() metrics.BuildInfo {
	return metrics.BuildInfo{Version: version, Commit: commit, GoVersion: runtime.Version(), OPAVersion: opaversion.Version}
}
