package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWriteJSONStreamsTheSameDocument checks that the instance-by-instance writer produces the
// document json.Marshal would, for a full run and for one without instances.
func TestWriteJSONStreamsTheSameDocument(t *testing.T) {
	full := sampleRun(t)
	empty := sampleRun(t)
	empty.Instances = nil
	for name, r := range map[string]*Run{"full": full, "no instances": empty} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJSON(&buf, r); err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("streamed JSON does not parse: %v\n%s", err, buf.String())
			}
			plain, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(plain, &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("streamed document differs (-marshal +streamed):\n%s", diff)
			}
			if n := len(got.(map[string]any)["instances"].([]any)); n != len(r.Instances) {
				t.Errorf("instances = %d, want %d", n, len(r.Instances))
			}
		})
	}
}
