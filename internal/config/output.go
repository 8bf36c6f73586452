package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"

	"go.yaml.in/yaml/v3"
)

// Redacted returns the effective config as YAML, every key included, with each secret that is set
// shown as [redacted]. It is what `reaper validate --show` prints.
func (c *Config) Redacted() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Digest returns "sha256:" and the hex SHA-256 of the Redacted form: it identifies the effective
// config in reports without revealing any secret (it changes when a secret is added or removed,
// not when one changes).
func (c *Config) Digest() string {
	out, err := c.Redacted()
	if err != nil {
		// Redacted only fails on values YAML cannot encode, which no decoded config holds.
		out = []byte("unencodable: " + err.Error())
	}
	sum := sha256.Sum256(out)
	return "sha256:" + hex.EncodeToString(sum[:])
}
