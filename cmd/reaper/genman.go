package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// genManCommand is `reaper __gen-man DIR`, hidden: it writes one man page per command into DIR
// (`make man`). It lives in the binary so the pages come from the very command tree that parses
// the command line; a separate generator would need the tree in an importable package, and
// cmd/reaper only wires. The pages carry the date of SOURCE_DATE_EPOCH when it is set (for
// reproducible packages), else today's.
func genManCommand(cl *cli) *cobra.Command {
	return &cobra.Command{
		Use:    "__gen-man DIR",
		Short:  "write a man page per command into DIR (make man)",
		Hidden: true,
		Args:   wantArgs("DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cl.run(func(_ context.Context, env Env, args []string) int {
				date := env.now()
				if epoch := env.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
					sec, err := strconv.ParseInt(epoch, 10, 64)
					if err != nil {
						return fail(env, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", epoch))
					}
					date = time.Unix(sec, 0).UTC()
				}
				if err := os.MkdirAll(args[0], 0o755); err != nil {
					return fail(env, fmt.Errorf("man pages: %w", err))
				}
				header := &doc.GenManHeader{Section: "1", Date: &date, Source: "reaper " + version, Manual: "reaper manual"}
				if err := doc.GenManTree(cmd.Root(), header, args[0]); err != nil {
					return fail(env, fmt.Errorf("man pages: %w", err))
				}
				return exitOK
			})(cmd, args)
		},
	}
}
