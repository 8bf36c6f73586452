package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/inert"
	"github.com/reaper-bmc/reaper/internal/report"
)

// reportCommand is `reaper report list|show|diff`. --config and --dir belong to all three.
func reportCommand(cl *cli) *cobra.Command {
	var cfgFlag, dirFlag, format string
	// sub runs a subcommand's body with the report directory.
	var trendRuns int
	sub := func(body func(ctx context.Context, env Env, dir string, args []string) int) func(*cobra.Command, []string) error {
		return cl.run(func(ctx context.Context, env Env, args []string) int {
			dir, n, err := reportDir(env, dirFlag, cfgFlag)
			if err != nil {
				return fail(env, err)
			}
			trendRuns = n
			return body(ctx, env, dir, args)
		})
	}
	show := &cobra.Command{
		Use:   "show RUN",
		Short: "print one report; RUN is a run ID, a unique prefix of one, or latest",
		Args:  wantArgs("RUN"),
		RunE: sub(func(_ context.Context, env Env, dir string, args []string) int {
			return reportShow(env, dir, args[0], format, trendRuns)
		}),
	}
	show.Flags().StringVar(&format, "format", "text", "text, md, json, csv or html")
	var diffFormat string
	diff := &cobra.Command{
		Use:   "diff RUN1 RUN2",
		Short: "what changed between two runs: transitions and the monthly cost they move",
		Args:  wantArgs("RUN1", "RUN2"),
		RunE: sub(func(_ context.Context, env Env, dir string, args []string) int {
			return reportDiff(env, dir, args[0], args[1], diffFormat)
		}),
	}
	diff.Flags().StringVar(&diffFormat, "format", "text", "text, md or json")
	_ = diff.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "md", "json"}, cobra.ShellCompDirectiveNoFileComp))
	_ = show.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "md", "json", "csv", "html"}, cobra.ShellCompDirectiveNoFileComp))
	c := cl.group("report", "read past reports (list, show RUN, diff RUN1 RUN2); needs no credentials or lock",
		&cobra.Command{
			Use:   "list",
			Short: "list the runs, newest first",
			Args:  wantArgs(),
			RunE: sub(func(ctx context.Context, env Env, dir string, _ []string) int {
				shared, ok, err := sharedRuns(ctx, env, dirFlag, cfgFlag)
				if err != nil {
					return fail(env, err)
				}
				return reportList(env, dir, shared, ok)
			}),
		},
		show,
		diff,
	)
	configFlag(c.PersistentFlags(), &cfgFlag)
	c.PersistentFlags().StringVar(&dirFlag, "dir", "", "report directory (default: report.dir from the config)")
	return c
}

// reportDir is --dir, or the config's report directory, and how many runs the trend of `report
// show` covers: the config's report.trend_runs, or its default with --dir and no --config.
// Reading reports needs no credentials.
func reportDir(env Env, dirFlag, cfgFlag string) (dir string, trendRuns int, err error) {
	if dirFlag != "" && cfgFlag == "" {
		return dirFlag, report.DefaultTrendRuns, nil
	}
	cfg, err := loadConfigNoSecrets(env, configPath(env, cfgFlag))
	if err != nil {
		return "", 0, err
	}
	if dirFlag != "" {
		return dirFlag, cfg.Report.TrendRuns, nil
	}
	return cfg.ReportDir(), cfg.Report.TrendRuns, nil
}

// reportList prints the runs newest first: by the sequence the state store gave them, never by
// time (see report.List). With the bbolt backend it reads only the report files and needs no
// state lock; with a shared state (withShared) it lists the runs of every node, with a NODE
// column, and marks those whose report is on another node.
func reportList(env Env, dir string, shared []report.Entry, withShared bool) int {
	entries, err := report.List(dir)
	if err != nil {
		return fail(env, err)
	}
	if withShared {
		entries = report.Merge(entries, shared)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	header := "RUN\tSTARTED\tCOMMAND\tMODE\tRESULT\tINVENTORY\tCANDIDATES\tTERMINATED\tSEQ"
	if withShared {
		header += "\tNODE"
	}
	fmt.Fprintln(tw, header)
	remote := 0
	for _, e := range entries {
		mode := e.ModeLabel()
		seq := "-" // written before runs were numbered
		if e.Seq > 0 {
			seq = strconv.FormatUint(e.Seq, 10)
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s", clip(e.RunID, 40), e.StartedAt.UTC().Format(time.RFC3339),
			clip(e.Command, 16), mode, clip(e.Result, 16), e.InventorySize, e.OpenCandidates(), e.Counts[report.ActionTerminated], seq)
		if withShared {
			node := clip(e.Node, 32)
			if e.Remote {
				node += " *"
				remote++
			}
			row += "\t" + node
		}
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
	if remote > 0 {
		fmt.Fprintf(env.Stdout, "* the report of this run is not in %s: reports are files on the node that ran the run; "+
			"`reaper report show RUN` there\n", dir)
	}
	if len(entries) == 0 {
		fmt.Fprintf(env.Stdout, "no reports in %s\n", dir)
	}
	return exitOK
}

// reportShow prints one stored report. The md (text) and html formats show the trend over the runs
// before it, as the files the run wrote did.
func reportShow(env Env, dir, runID, format string, trendRuns int) int {
	r, err := report.Load(dir, runID)
	if err != nil {
		return fail(env, err)
	}
	var write func(io.Writer, *report.Run) error
	switch format {
	case "text", "md":
		write = func(w io.Writer, r *report.Run) error { return report.WriteStoredMarkdown(w, dir, r, trendRuns) }
	case "json":
		write = report.WriteJSON
	case "csv":
		write = report.WriteCSV
	case "html":
		write = func(w io.Writer, r *report.Run) error { return report.WriteStoredHTML(w, dir, r, trendRuns) }
	default:
		return usageErr(env, "--format must be text, md, json, csv or html, got %q", format)
	}
	out := env.Stdout
	if format == "json" {
		out = inert.JSON(out) // same data; bidi and C1 characters as \u escapes
	}
	if err := write(out, r); err != nil {
		return fail(env, err)
	}
	return exitOK
}

// reportDiff prints what changed between two stored runs, as text, Markdown or JSON.
func reportDiff(env Env, dir, a, b, format string) int {
	write := report.WriteDiff
	out := env.Stdout
	switch format {
	case "text":
	case "md":
		write = report.WriteDiffMarkdown
	case "json":
		write = report.WriteDiffJSON
		out = inert.JSON(out) // same data; bidi and C1 characters as \u escapes
	default:
		return usageErr(env, "--format must be text, md or json, got %q", format)
	}
	ra, err := report.Load(dir, a)
	if err != nil {
		return fail(env, err)
	}
	rb, err := report.Load(dir, b)
	if err != nil {
		return fail(env, err)
	}
	if err := write(out, report.Diff(ra, rb)); err != nil {
		return fail(env, err)
	}
	return exitOK
}
