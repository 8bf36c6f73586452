package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/inert"
)

const mailTime = "2006-01-02 15:04 UTC"

// DigestText renders a digest as plain text: the same facts as the report's entries. Fleet text
// goes through inert.Text, so a terminal mail reader shows control characters instead of obeying
// them.
func DigestText(d Digest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nOwner: %s\nRun: %s (mode %s), %s\n", d.Subject(), inert.Text(d.Owner), inert.Text(d.RunID),
		inert.Text(d.Mode), d.At.UTC().Format(mailTime))
	for _, s := range d.sections() {
		fmt.Fprintf(&b, "\n%s (%d)\n", s.Title, len(s.Items))
		for _, in := range s.Items {
			fmt.Fprintf(&b, "\n- %s %s (zone %s, type %s)\n", inert.Text(in.ID), inert.Text(in.Name), inert.Text(in.Zone), inert.Text(in.Type))
			for _, r := range in.Reasons {
				fmt.Fprintf(&b, "    reason: %s\n", inert.Text(r))
			}
			writeTime(&b, "due", in.DueAt)
			writeTime(&b, "terminated", in.TerminatedAt)
			writeTime(&b, "in the recycle bin until", in.RecycleDeadline)
		}
	}
	b.WriteString("\n")
	for _, l := range d.howTo() {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func writeTime(b *strings.Builder, label string, t *time.Time) {
	if t != nil {
		fmt.Fprintf(b, "    %s: %s\n", label, t.UTC().Format(mailTime))
	}
}

var digestHTML = template.Must(template.New("digest").Funcs(template.FuncMap{
	"when": func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(mailTime)
	},
}).Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.D.Subject}}</title></head>
<body style="font-family: sans-serif">
<h2>{{.D.Subject}}</h2>
<p>Owner <b>{{.D.Owner}}</b> · run <code>{{.D.RunID}}</code> (mode {{.D.Mode}}) · {{when .At}}</p>
{{range .Sections}}<h3>{{.Title}} ({{len .Items}})</h3>
<table border="1" cellpadding="4" cellspacing="0">
<tr><th>ID</th><th>Name</th><th>Zone</th><th>Type</th><th>Reasons</th><th>Due</th><th>Terminated</th><th>Recycle bin until</th></tr>
{{range .Items}}<tr><td><code>{{.ID}}</code></td><td>{{.Name}}</td><td>{{.Zone}}</td><td>{{.Type}}</td><td>{{range .Reasons}}{{.}}<br>{{end}}</td><td>{{when .DueAt}}</td><td>{{when .TerminatedAt}}</td><td>{{when .RecycleDeadline}}</td></tr>
{{end}}</table>
{{end}}<ul>{{range .HowTo}}<li>{{.}}</li>{{end}}</ul>
</body></html>
`))

// DigestHTML renders a digest as an HTML page; html/template escapes every value, after
// inert.Text has made invisible characters visible.
func DigestHTML(d Digest) (string, error) {
	d = inertDigest(d)
	at := d.At
	var b bytes.Buffer
	err := digestHTML.Execute(&b, struct {
		D        Digest
		At       *time.Time
		Sections []section
		HowTo    []string
	}{d, &at, d.sections(), d.howTo()})
	return b.String(), err
}

// mailMessage builds the RFC 5322 message of a digest: multipart/alternative with a plain-text
// and an HTML part, both quoted-printable UTF-8. Headers hold only the configured sender, the
// checked recipient address, counts and times.
func mailMessage(from, to string, d Digest) ([]byte, error) {
	page, err := DigestHTML(d)
	if err != nil {
		return nil, fmt.Errorf("render html: %w", err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct{ ctype, text string }{
		{"text/plain; charset=utf-8", DigestText(d)},
		{"text/html; charset=utf-8", page},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(part.text)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(d.RunID + "\x00" + to))
	var m bytes.Buffer
	for _, h := range [][2]string{
		{"From", "<" + from + ">"},
		{"To", "<" + to + ">"},
		{"Subject", mime.QEncoding.Encode("utf-8", d.Subject())},
		{"Date", d.At.UTC().Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(sum[:16]) + "@reaper>"},
		{"Auto-Submitted", "auto-generated"},
		{"MIME-Version", "1.0"},
		{"Content-Type", `multipart/alternative; boundary="` + mw.Boundary() + `"`},
	} {
		fmt.Fprintf(&m, "%s: %s\r\n", h[0], h[1])
	}
	m.WriteString("\r\n")
	m.Write(body.Bytes())
	return m.Bytes(), nil
}

// inertDigest returns d with every fleet string passed through inert.Text.
func inertDigest(d Digest) Digest {
	d.Owner, d.RunID, d.Mode = inert.Text(d.Owner), inert.Text(d.RunID), inert.Text(d.Mode)
	items := func(in []DigestItem) []DigestItem {
		out := make([]DigestItem, len(in))
		for i, x := range in {
			x.ID, x.Name, x.Zone, x.Type = inert.Text(x.ID), inert.Text(x.Name), inert.Text(x.Zone), inert.Text(x.Type)
			rs := make([]string, len(x.Reasons))
			for k, r := range x.Reasons {
				rs[k] = inert.Text(r)
			}
			x.Reasons = rs
			out[i] = x
		}
		return out
	}
	d.Marked, d.Reminders, d.Terminated = items(d.Marked), items(d.Reminders), items(d.Terminated)
	return d
}
