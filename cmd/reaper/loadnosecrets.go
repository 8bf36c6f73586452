package main

import (
	"fmt"
	"strings"

	"github.com/reaper-bmc/reaper/internal/config"
)

// loadConfigNoSecrets loads and validates the config without reading its secret files, for the
// commands that need no secret (report, policy eval, state): a secret they cannot read, under an
// unset ${CREDENTIALS_DIRECTORY} or not readable by the operator, never fails them.
func loadConfigNoSecrets(env Env, path string) (*config.Config, error) {
	cfg, err := config.LoadWithoutSecrets(path, env.Getenv)
	if err != nil {
		if msg := strings.TrimSpace(err.Error()); !strings.Contains(msg, "\n") {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		return nil, fmt.Errorf("config %s:\n%w", path, indent(err))
	}
	return cfg, nil
}
