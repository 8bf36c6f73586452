package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/reaper-bmc/reaper/internal/inert"
	"github.com/reaper-bmc/reaper/internal/policy"
	"github.com/reaper-bmc/reaper/internal/reconcile"
	"github.com/reaper-bmc/reaper/internal/zen"
	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

func inventoryCommand(cl *cli) *cobra.Command {
	var o inventoryOptions
	c := &cobra.Command{
		Use:   "inventory",
		Short: "list the fleet as reaper sees it (table, json, or a simulator fleet file)",
		Long: "List the fleet as reaper sees it: a table, the policy input documents (--format json, for\n" +
			"reaper policy eval), or a simulator fleet file (--format fleet) that reaper sim --fleet\n" +
			"serves, to replay a real fleet offline.",
		Args: wantArgs(),
		RunE: cl.run(func(ctx context.Context, env Env, _ []string) int { return cmdInventory(ctx, env, o) }),
	}
	configFlag(c.Flags(), &o.config)
	c.Flags().StringVar(&o.format, "format", "table", "table, json (policy input documents), or fleet (a simulator fleet file)")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(inventoryFormats, cobra.ShellCompDirectiveNoFileComp))
	return c
}

type inventoryOptions struct{ config, format string }

var inventoryFormats = []string{"table", "json", "fleet"}

func cmdInventory(ctx context.Context, env Env, o inventoryOptions) int {
	if !slices.Contains(inventoryFormats, o.format) {
		return usageErr(env, "--format must be table, json or fleet, got %q", o.format)
	}
	cfg, err := loadConfig(env, configPath(env, o.config), true)
	if err != nil {
		return fail(env, err)
	}
	log := newLogger(env, cfg.Log)
	client, err := newClient(cfg, log, nil)
	if err != nil {
		return fail(env, err)
	}
	list, err := client.ListInstances(ctx, scope(cfg))
	if err != nil {
		return fail(env, apiError("inventory", err))
	}
	switch o.format {
	case "fleet":
		err = zensim.FleetFromInstances(list).Write(inert.JSON(env.Stdout))
	case "json":
		docs := make([]policy.Instance, len(list))
		for i, in := range list {
			docs[i] = reconcile.PolicyInput(in, nil)
		}
		enc := json.NewEncoder(inert.JSON(env.Stdout))
		enc.SetIndent("", "  ")
		err = enc.Encode(docs)
	default:
		printInventory(env, list)
	}
	if err != nil {
		return fail(env, err)
	}
	return exitOK
}

// apiError adds what a user needs to know to the errors they can act on, after op.
func apiError(op string, err error) error {
	return fmt.Errorf("%s: %w", op, explainAPI(err))
}

// explainAPI prefixes an API error with what it means for the user and the config key to check:
// bad credentials, an endpoint that cannot be reached or does not answer in time, a listing that
// contradicts itself. A page that failed is not an inconsistent listing. Other errors, and nil,
// are returned as they are.
func explainAPI(err error) error {
	ne, isNet := errors.AsType[*zen.NetworkError](err)
	ie, isIntegrity := errors.AsType[*zen.IntegrityError](err)
	switch {
	case err == nil:
		return nil
	case zen.IsAuth(err):
		return fmt.Errorf("authentication failed: the API rejected the credentials "+
			"(check zenlayer.access_key_id and the secret, or the token, and this host's clock): %w", err)
	case isNet && ne.Timeout:
		return fmt.Errorf("the Zenlayer API did not answer within zenlayer.timeout (check zenlayer.endpoint and the network): %w", err)
	case isNet && ne.Reset:
		return fmt.Errorf("the connection to the Zenlayer API was cut off (check zenlayer.endpoint and any proxy): %w", err)
	case isNet:
		return fmt.Errorf("cannot reach the Zenlayer API (check zenlayer.endpoint): %w", err)
	case isIntegrity && ie.Inconsistent():
		return fmt.Errorf("the listing was inconsistent, so nothing was acted on: %w", err)
	}
	return err
}

func printInventory(env Env, list []zen.Instance) {
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tZONE\tTYPE\tSTATUS\tCHARGE\tCREATED\tTAGS")
	for _, in := range list {
		created := "-"
		if !in.CreatedAt.IsZero() {
			created = in.CreatedAt.UTC().Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clip(in.ID, 24), clip(in.Name, 32), clip(in.Zone, 16),
			clip(in.Type, 16), clip(string(in.Status), 16), clip(string(in.ChargeType), 16), created, clip(tagList(in.TagList.First()), 60))
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "%d instances\n", len(list))
}

func tagList(tags map[string]string) string {
	parts := make([]string, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ",")
}
