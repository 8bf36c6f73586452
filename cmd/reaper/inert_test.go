package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reaper-bmc/reaper/internal/zen/zensim"
)

// hostile is a name and tag value that tries every way to act on a terminal: CSI (clear screen,
// colour), OSC (window title, hyperlink) ended by BEL and by ST, NUL, an 8-bit CSI, a
// right-to-left override and a zero-width space.
const hostile = "evil\x1b[2J\x1b[31mred\x1b]0;pwned\x07\x1b]8;;http://x\x1b\\link\x00nul\u009b2J\u202efdp.exe\u200b"

// rawForbidden are the pieces of hostile that must never reach a terminal unescaped. A lone ESC
// is allowed only in the colour logger's own SGR codes, so the test looks for the hostile
// sequences themselves.
var rawForbidden = []string{"\x1b[2J", "\x1b[31mred", "\x1b]", "\x07", "\x00", "\u009b", "\u202e", "\u200b"}

func hostileInstance(id string) zensim.FleetInstance {
	in := expiredInstance(id)
	in.Name = hostile
	in.Tags = map[string]string{"reaper-expires-at": "2020-01-01", "owner": hostile, hostile: "v",
		"reaper-ttl": hostile}
	return in
}

// TestTerminalOutputIsInert runs every command that prints fleet data to a terminal (the plan
// summary, inventory table, report list/show text/diff, policy eval, the logs in every format)
// against a fleet whose names and tags carry terminal escapes, and checks that none reaches
// stdout or stderr raw.
func TestTerminalOutputIsInert(t *testing.T) {
	_, url := startSim(t, []zensim.FleetInstance{hostileInstance("7700000000000000001"), healthyInstance("7700000000000000002")})
	path, dir := writeConfig(t, url, testSecret, "")
	outputs := map[string]result{}
	for _, format := range []string{"json", "text", "tty"} {
		cfg := strings.Replace(string(mustRead(t, path)), "log: {format: json", "log: {format: "+map[string]string{"tty": "auto"}[format]+format, 1)
		if format == "tty" {
			cfg = strings.Replace(string(mustRead(t, path)), "log: {format: json", "log: {format: auto", 1)
		}
		os.WriteFile(path, []byte(cfg), 0o600)
		outputs["plan "+format] = runSec(t, context.Background(), format == "tty", "plan", "--config", path)
	}
	outputs["inventory"] = reaper(t, "inventory", "--config", path)
	outputs["report list"] = reaper(t, "report", "list", "--config", path)
	outputs["report show"] = reaper(t, "report", "show", "latest", "--config", path)
	outputs["report show json"] = reaper(t, "report", "show", "latest", "--format", "json", "--config", path)
	outputs["inventory json"] = reaper(t, "inventory", "--format", "json", "--config", path)
	outputs["inventory fleet"] = reaper(t, "inventory", "--format", "fleet", "--config", path)
	runs, _ := os.ReadDir(filepath.Join(dir, "reports"))
	if len(runs) >= 2 {
		outputs["report diff"] = reaper(t, "report", "diff", runs[0].Name(), runs[len(runs)-1].Name(), "--config", path)
		outputs["report diff json"] = reaper(t, "report", "diff", runs[0].Name(), runs[len(runs)-1].Name(), "--format", "json", "--config", path)
		outputs["report diff md"] = reaper(t, "report", "diff", runs[0].Name(), runs[len(runs)-1].Name(), "--format", "md", "--config", path)
	}
	doc, _ := json.Marshal(map[string]any{"id": "1", "name": hostile, "status": "RUNNING",
		"tags": map[string]string{"reaper-expires-at": hostile, "reaper-ttl": hostile, hostile: hostile}})
	docPath := filepath.Join(dir, "instance.json")
	os.WriteFile(docPath, doc, 0o600)
	outputs["policy eval"] = reaper(t, "policy", "eval", "--instance", docPath)

	for name, r := range outputs {
		if r.code != exitOK {
			t.Errorf("%s: exit %d\n%s", name, r.code, r.stderr)
		}
		for stream, text := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
			for _, bad := range rawForbidden {
				if i := strings.Index(text, bad); i >= 0 {
					t.Errorf("%s %s holds %q raw: …%q…", name, stream, bad, text[max(0, i-40):min(len(text), i+40)])
				}
			}
		}
	}
	for _, name := range []string{"plan json", "inventory", "report show", "policy eval"} {
		if !strings.Contains(outputs[name].stdout, `\x1b[2J`) && !strings.Contains(outputs[name].stdout, `\\x1b\[2J`) {
			t.Errorf("%s: the hostile name is not shown as escapes:\n%s", name, outputs[name].stdout)
		}
	}
}
