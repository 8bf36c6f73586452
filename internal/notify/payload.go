package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The payload formats.
const (
	FormatGeneric = "generic" // reaper's own JSON document
	FormatSlack   = "slack"   // a Slack incoming-webhook message with blocks
)

// slackMaxInstances is how many instances a Slack message lists; the rest are counted.
const slackMaxInstances = 20

// slackMaxText is Slack's limit for the text of a section block.
const slackMaxText = 3000

type genericPayload struct {
	Kind      string            `json:"kind"`
	RunID     string            `json:"run_id"`
	DryRun    bool              `json:"dry_run"`
	Mode      string            `json:"mode,omitempty"`
	Title     string            `json:"title"`
	Text      string            `json:"text"`
	Instances []genericInstance `json:"instances"`
	At        time.Time         `json:"at"`
}

type genericInstance struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Action    string     `json:"action"`
	Reasons   []string   `json:"reasons"`
	DueAt     *time.Time `json:"due_at"`
	RequestID string     `json:"request_id"`
	// RecycleDeadline is present only on terminated instances that went to the recycle bin.
	RecycleDeadline *time.Time `json:"recycle_deadline,omitempty"`
}

func genericBody(e Event) ([]byte, error) {
	p := genericPayload{Kind: e.Kind, RunID: e.RunID, DryRun: e.DryRun, Mode: e.Mode, Title: e.Title, Text: e.Text,
		Instances: make([]genericInstance, 0, len(e.Instances)), At: e.At.UTC()}
	for _, in := range e.Instances {
		reasons := in.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		p.Instances = append(p.Instances, genericInstance{ID: in.ID, Name: in.Name, Action: in.Action,
			Reasons: reasons, DueAt: utc(in.DueAt), RequestID: in.RequestID, RecycleDeadline: utc(in.RecycleDeadline)})
	}
	return json.Marshal(p)
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

type slackPayload struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func mrkdwn(s string) *slackText { return &slackText{Type: "mrkdwn", Text: truncate(s, slackMaxText)} }

// slackBody builds a message: a section with the title, text and run, a section listing up to
// slackMaxInstances instances, and a context line counting the rest. All event text is escaped, so
// fleet data cannot mention @channel or forge links.
func slackBody(e Event) ([]byte, error) {
	mode := "acting"
	switch {
	case e.Mode != "":
		mode = "mode " + e.Mode
	case e.DryRun:
		mode = "dry run"
	}
	summary := "*" + slackEscape(e.Title) + "*"
	if e.Text != "" {
		summary += "\n" + slackEscape(e.Text)
	}
	summary += fmt.Sprintf("\n_run %s · %s · %s_", slackCode(e.RunID), mode, e.At.UTC().Format("2006-01-02 15:04 UTC"))
	p := slackPayload{Text: slackEscape(e.Title), Blocks: []slackBlock{{Type: "section", Text: mrkdwn(summary)}}}

	shown := e.Instances
	if len(shown) > slackMaxInstances {
		shown = shown[:slackMaxInstances]
	}
	if len(shown) > 0 {
		lines := make([]string, len(shown))
		for i, in := range shown {
			lines[i] = slackLine(in)
		}
		p.Blocks = append(p.Blocks, slackBlock{Type: "section", Text: mrkdwn(strings.Join(lines, "\n"))})
	}
	if more := len(e.Instances) - len(shown); more > 0 {
		p.Blocks = append(p.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn",
			Text: fmt.Sprintf("…and %d more; see the run's report", more)}}})
	}
	return json.Marshal(p)
}

// slackLine is one instance, kept under 140 characters so 20 fit in a section.
func slackLine(in EventInstance) string {
	parts := []string{slackCode(in.ID)}
	if in.Name != "" {
		parts = append(parts, "*"+slackEscape(flat(truncate(in.Name, 40)))+"*")
	}
	line := "• " + strings.Join(parts, " ") + " " + slackEscape(flat(in.Action))
	if len(in.Reasons) > 0 {
		line += ": " + slackEscape(flat(truncate(strings.Join(in.Reasons, "; "), 60)))
	}
	if in.DueAt != nil {
		line += " (due " + in.DueAt.UTC().Format("2006-01-02 15:04 UTC") + ")"
	}
	if in.RecycleDeadline != nil {
		line += " (recycle bin until " + in.RecycleDeadline.UTC().Format("2006-01-02 15:04 UTC") + ")"
	}
	if in.RequestID != "" {
		line += " request " + slackCode(truncate(in.RequestID, 40))
	}
	return line
}

// slackEscape escapes the three characters Slack's mrkdwn reserves for links and mentions and
// flattens newlines.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", " ").Replace(s)
}

// flat puts s on one line.
func flat(s string) string { return strings.NewReplacer("\n", " ", "\r", " ", "\t", " ").Replace(s) }

// slackCode formats s as inline code; backticks in s would end the code span, so they are dropped.
func slackCode(s string) string {
	s = flat(strings.ReplaceAll(s, "`", ""))
	if s == "" {
		return "`-`"
	}
	return "`" + slackEscape(s) + "`"
}

// truncate shortens s to at most n runes, ending with "…" when it cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
