package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/reaper-bmc/reaper/internal/inert"
	"github.com/reaper-bmc/reaper/internal/report"
)

func cmdReport(ctx context.Context, env Env, args []string) int {
	const synopsis = "list | show RUN [--format text|md|json|csv|html] | diff RUN1 RUN2  [--config F] [--dir DIR]"
	if len(args) == 0 {
		return usageErr(env, "report needs a subcommand: %s", synopsis)
	}
	sub := args[0]
	fs := newFlags(env, "report "+sub, synopsis)
	cfgFlag := configFlag(fs)
	dirFlag := fs.String("dir", "", "report directory (default: report.dir from the config)")
	format := fs.String("format", "text", "show: text, md, json, csv or html")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	dir, err := reportDir(env, *dirFlag, *cfgFlag)
	if err != nil {
		return fail(env, err)
	}
	rest := fs.Args()
	switch {
	case sub == "list" && len(rest) == 0:
		shared, ok, err := sharedRuns(ctx, env, *dirFlag, *cfgFlag)
		if err != nil {
			return fail(env, err)
		}
		return reportList(env, dir, shared, ok)
	case sub == "show" && len(rest) == 1:
		return reportShow(env, dir, rest[0], *format)
	case sub == "diff" && len(rest) == 2:
		return reportDiff(env, dir, rest[0], rest[1])
	}
	return usageErr(env, "usage: reaper report %s", synopsis)
}

// reportDir is --dir, or the config's report directory. Reading reports needs no credentials.
func reportDir(env Env, dirFlag, cfgFlag string) (string, error) {
	if dirFlag != "" {
		return dirFlag, nil
	}
	cfg, err := loadConfigNoSecrets(env, configPath(env, cfgFlag))
	if err != nil {
		return "", err
	}
	return cfg.ReportDir(), nil
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
		mode := "acting"
		if e.DryRun {
			mode = "dry-run"
		}
		cands := e.Counts[report.ActionWouldTerminate] + e.Counts[report.ActionMarked] + e.Counts[report.ActionBlocked]
		seq := "-" // written before runs were numbered
		if e.Seq > 0 {
			seq = strconv.FormatUint(e.Seq, 10)
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s", clip(e.RunID, 40), e.StartedAt.UTC().Format(time.RFC3339),
			clip(e.Command, 16), mode, clip(e.Result, 16), e.InventorySize, cands, e.Counts[report.ActionTerminated], seq)
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

func reportShow(env Env, dir, runID, format string) int {
	r, err := report.Load(dir, runID)
	if err != nil {
		return fail(env, err)
	}
	var write func(io.Writer, *report.Run) error
	switch format {
	case "text", "md":
		write = report.WriteMarkdown
	case "json":
		write = report.WriteJSON
	case "csv":
		write = report.WriteCSV
	case "html":
		write = report.WriteHTML
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

func reportDiff(env Env, dir, a, b string) int {
	ra, err := report.Load(dir, a)
	if err != nil {
		return fail(env, err)
	}
	rb, err := report.Load(dir, b)
	if err != nil {
		return fail(env, err)
	}
	if err := report.WriteDiff(env.Stdout, report.Diff(ra, rb)); err != nil {
		return fail(env, err)
	}
	return exitOK
}
