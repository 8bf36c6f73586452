// Package notify posts reaper's run events to a webhook: a generic JSON document or a
// Slack-compatible message. Sends are retried with capped exponential backoff on 5xx, 429 and
// network errors; 4xx and redirects are not retried. The webhook URL is a secret: it never appears
// in logs or errors, which show only its scheme and host (https://hooks.slack.com/…).
//
// A notification never fails a cycle: Send returns an error for the caller to log.
package notify
