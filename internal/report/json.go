package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes r as indented JSON (report.json).
func WriteJSON(w io.Writer, r *Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// ReadJSON decodes a report.json document. It refuses a schema version newer than SchemaVersion.
func ReadJSON(rd io.Reader) (*Run, error) {
	var r Run
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("read json report: %w", err)
	}
	if r.SchemaVersion < 1 || r.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("read json report: unsupported schema_version %d (this reaper reads %d)",
			r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}
