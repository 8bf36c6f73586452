// Package config owns reaper's configuration: the schema, its defaults, a strict YAML decode that
// names every bad key with its line, secrets loaded from files or the environment, and one
// validation pass that reports every problem at once.
//
// Loading runs in a fixed order: defaults, then the file (strict: unknown keys are errors), then
// the environment for what the file left empty (ZENLAYER_ACCESS_KEY_ID, ZENLAYER_ACCESS_KEY_SECRET,
// ZENLAYER_TOKEN), then secret files, then validation. Secrets are never written inline in the
// file; they live in files (systemd credentials work through ${CREDENTIALS_DIRECTORY}) or in the
// environment, and they are held in the Secret type, which prints as [redacted] everywhere.
package config
