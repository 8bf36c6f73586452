// Package policies holds reaper's bundled Rego policies (reaper.expiry, reaper.idle,
// reaper.tags, reaper.failed, reaper.keep, reaper.snooze), the helper library they share (reaper.lib), their
// Rego unit tests (*_test.rego) and the defaults of their params (params.json).
//
// The files are embedded in FS. The policy engine loads FS when policies.dir is empty: it
// evaluates every *.rego file except *_test.rego, which serve `reaper policy test`.
package policies

import (
	"embed"
	"encoding/json"
	"fmt"
)

// FS holds the bundled policies, their tests and params.json.
//
//go:embed *.rego params.json
var FS embed.FS

// ParamsFile is the name of the params defaults file in FS.
const ParamsFile = "params.json"

// DefaultParams returns a fresh copy of the bundled params defaults (params.json), nested by
// policy: {"idle": {...}, "tags": {...}, "failed": {...}}. Numbers are json.Number. The
// config's policies.params is deep-merged over these (see policy.MergeParams).
func DefaultParams() map[string]any {
	params, err := decodeParams()
	if err != nil {
		// params.json is embedded at build time and covered by a test.
		panic(err)
	}
	return params
}

func decodeParams() (map[string]any, error) {
	f, err := FS.Open(ParamsFile)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", ParamsFile, err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	var params map[string]any
	if err := dec.Decode(&params); err != nil {
		return nil, fmt.Errorf("decode %s: %w", ParamsFile, err)
	}
	return params, nil
}
