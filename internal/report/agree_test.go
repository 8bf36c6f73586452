package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFormatsAgree writes a run in every format and checks that each tells the same story: the same
// instances, the same counts by action, the same candidates.
func TestFormatsAgree(t *testing.T) {
	for name, r := range map[string]*Run{"acting": sampleRun(t), "plan": planRun(t), "evil": evilRun(t, "a|b<c>\"d'e,f\ng")} {
		t.Run(name, func(t *testing.T) {
			runDir, err := Write(t.TempDir(), r, Formats)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			read := func(f string) []byte {
				b, err := os.ReadFile(filepath.Join(runDir, FileName(f)))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			want := r.Summary.ByAction

			var doc struct {
				Instances []struct {
					Action string `json:"action"`
				} `json:"instances"`
				Summary struct {
					ByAction   map[string]int `json:"by_action"`
					Candidates int            `json:"candidates"`
				} `json:"summary"`
			}
			if err := json.Unmarshal(read(FormatJSON), &doc); err != nil {
				t.Fatal(err)
			}
			jsonCounts := map[string]int{}
			for _, in := range doc.Instances {
				jsonCounts[in.Action]++
			}

			rows, err := csv.NewReader(bytes.NewReader(read(FormatCSV))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			csvCounts := map[string]int{}
			for _, row := range rows[1:] {
				csvCounts[row[6]]++
			}

			elements := parseHTML(t, string(read(FormatHTML)))
			htmlCounts, htmlSummary := map[string]int{}, map[string]int{}
			for i, e := range elements {
				if e.Name == "tr" && e.hasClass("instance") {
					htmlCounts[e.Attrs["data-action"]]++
				}
				if e.Name == "a" && e.hasClass("pick-action") {
					// The by-action row is td > a.pick-action, td > span.bar, td.num.
					cell := find(elements[i:], func(e htmlElement) bool { return e.Name == "td" && e.hasClass("num") })[0]
					n, err := strconv.Atoi(strings.TrimSpace(cell.Text))
					if err != nil {
						t.Fatalf("by-action count for %s: %v", e.Attrs["data-action"], err)
					}
					htmlSummary[e.Attrs["data-action"]] = n
				}
			}

			mdDoc := string(read(FormatMarkdown))
			mdCounts := map[string]int{}
			for _, row := range tableRows(markdownSection(mdDoc, "Counts by action")) {
				n, _ := strconv.Atoi(row[1])
				mdCounts[strings.ReplaceAll(row[0], `\_`, "_")] = n
			}
			mdCandidates := len(tableRows(markdownSection(mdDoc, "Candidates")))

			for format, got := range map[string]map[string]int{
				"json summary": doc.Summary.ByAction, "html summary": htmlSummary, "markdown summary": mdCounts,
			} {
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s by action (-want +got):\n%s", format, diff)
				}
			}
			for format, got := range map[string]map[string]int{"json instances": jsonCounts, "csv rows": csvCounts, "html rows": htmlCounts} {
				if diff := cmp.Diff(nonZero(want), got); diff != "" {
					t.Errorf("%s by action (-want +got):\n%s", format, diff)
				}
			}
			if mdCandidates != r.Summary.Candidates || doc.Summary.Candidates != r.Summary.Candidates {
				t.Errorf("candidates: markdown rows %d, json %d, want %d", mdCandidates, doc.Summary.Candidates, r.Summary.Candidates)
			}
			if len(doc.Instances) != len(r.Instances) || len(rows)-1 != len(r.Instances) {
				t.Errorf("instances: json %d, csv %d, want %d", len(doc.Instances), len(rows)-1, len(r.Instances))
			}
		})
	}
}

func nonZero(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}
