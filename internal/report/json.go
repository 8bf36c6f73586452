package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// instancesKey is how the instances array opens in the indented header.
var instancesKey = []byte(`"instances": []`)

// WriteJSON writes r as indented JSON (report.json). The instances are written one at a time,
// so a large report costs memory for one instance, not for the whole document, and each by
// rowWriter, which writes what json.MarshalIndent would without its reflection and passes.
func WriteJSON(w io.Writer, r *Run) error {
	header := r.header()
	hb, err := json.MarshalIndent(header, "", "  ")
	if err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	at := bytes.LastIndex(hb, instancesKey)
	if at < 0 {
		return fmt.Errorf("write json report: no instances key in the header")
	}
	ew := &errWriter{w: w}
	ew.write(hb[:at+len(instancesKey)-1]) // up to and including the '['
	rw := &rowWriter{prefix: "    "}
	for i, in := range r.All() {
		rw.buf = rw.buf[:0]
		if i > 0 {
			rw.buf = append(rw.buf, ',')
		}
		rw.buf = append(rw.buf, "\n    "...)
		if err := rw.instance(in); err != nil {
			return fmt.Errorf("write json report: instance %s: %w", in.ID, err)
		}
		ew.write(rw.buf)
		if ew.err != nil {
			break
		}
	}
	if r.Len() > 0 {
		ew.write([]byte("\n  "))
	}
	ew.write(hb[at+len(instancesKey)-1:])
	ew.write([]byte("\n"))
	if ew.err != nil {
		return fmt.Errorf("write json report: %w", ew.err)
	}
	return nil
}

// errWriter keeps the first write error, so a sequence of writes checks once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
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
