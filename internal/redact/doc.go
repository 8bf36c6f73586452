// Package redact removes secrets from text before it reaches a log, an error, a report or the
// state store. A server, a proxy or a library may echo a secret back in any encoding: raw,
// JSON-escaped (`\"`, `\/`, `\u002f`), HTML-escaped (`&amp;`, `&#x2F;`), URL-escaped (path or
// query form, `%2F`, `+` for a space, `%252F` twice over), base64 (either alphabet, at any
// alignment, so inside a Basic or AUTH PLAIN credential too) or hex, and several of these stacked.
// A Redactor finds every secret it was built with under each of these, in any mix of up to three
// text encodings and either letter case, and replaces the span that held it, as it was encoded,
// with [REDACTED].
//
// A secret is found wherever it occurs, inside a longer word too: a redactor cannot tell where a
// word ends in encoded text, and showing too little is the safe mistake. DSNSecrets lists what a
// PostgreSQL connection string holds that must be hidden.
//
// It imports nothing from the project, so every package may use it.
package redact
