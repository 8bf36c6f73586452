package zen

import (
	"fmt"
	"log/slog"
	"strings"
)

// IntegrityKind names the way an inventory failed its integrity checks.
type IntegrityKind string

// The integrity failures ListInstances, Pages and DescribeInstances detect. Any of them means the
// inventory is not trustworthy and nothing may be acted on.
const (
	IntegrityPageFailed       IntegrityKind = "page_failed"       // a page failed after retries
	IntegrityTotalChanged     IntegrityKind = "total_changed"     // totalCount differs between pages
	IntegrityDuplicateID      IntegrityKind = "duplicate_id"      // an instanceId was seen twice
	IntegrityEmptyID          IntegrityKind = "empty_id"          // an instance without an instanceId
	IntegrityCountMismatch    IntegrityKind = "count_mismatch"    // instances seen differ from totalCount
	IntegrityShortPage        IntegrityKind = "short_page"        // a page before the last was not full
	IntegrityOutOfScope       IntegrityKind = "out_of_scope"      // an instance outside the requested filter
	IntegrityImplausibleTotal IntegrityKind = "implausible_total" // totalCount negative or absurdly large
	IntegrityUnexpectedID     IntegrityKind = "unexpected_id"     // DescribeInstances returned an ID not asked for
	IntegritySecretInID       IntegrityKind = "secret_in_id"      // an instanceId holds a credential
)

// IntegrityError says an inventory listing cannot be trusted: a page failed, the API contradicted
// itself, or the data broke an invariant. The caller must not act on any part of the listing.
// Inconsistent tells a failed page from the API contradicting itself.
type IntegrityError struct {
	Kind          IntegrityKind
	Reason        string // what went wrong, in words
	Zone          string // the listing's zone filter, "" for all zones
	ResourceGroup string // the listing's resource group filter, "" for all
	Page          int    // 1-based page number, 0 when not tied to a page
	InstanceID    string // the instance concerned, when there is one
	Err           error  // the page's error for IntegrityPageFailed
}

// Error returns the reason and where in the listing it happened. Only the kinds other than
// IntegrityPageFailed are called integrity failures: a page that failed (refused, 5xx, timeout,
// an undecodable field) is described by its own error.
func (e *IntegrityError) Error() string {
	var where []string
	if e.Zone != "" {
		where = append(where, "zone "+e.Zone)
	}
	if e.ResourceGroup != "" {
		where = append(where, "resource group "+e.ResourceGroup)
	}
	if e.Page > 0 {
		where = append(where, fmt.Sprintf("page %d", e.Page))
	}
	// A page that failed is not an integrity finding, and its error names the package already.
	s := "zen: inventory integrity: " + e.Reason
	switch {
	case e.Kind == IntegrityPageFailed && e.Err != nil:
		s = e.Reason
	case e.Kind == IntegrityPageFailed:
		s = "zen: " + e.Reason
	}
	if len(where) > 0 {
		s += " (" + strings.Join(where, ", ") + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying page error, so errors.As still finds an APIError inside.
func (e *IntegrityError) Unwrap() error { return e.Err }

// LogValue renders the error as a group of snake_case attributes; a failed page's own error is
// nested under "error", as it logs itself.
func (e *IntegrityError) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("kind", string(e.Kind)),
		slog.String("reason", e.Reason),
		slog.String("zone", e.Zone),
		slog.String("resource_group", e.ResourceGroup),
		slog.Int("page", e.Page),
		slog.String("instance_id", e.InstanceID),
	}
	if e.Err != nil {
		attrs = append(attrs, slog.Any("error", e.Err))
	}
	return slog.GroupValue(attrs...)
}

// Inconsistent reports whether the listing failed because the API contradicted itself or the data
// broke an invariant, rather than because a page could not be fetched or decoded.
func (e *IntegrityError) Inconsistent() bool { return e.Kind != IntegrityPageFailed }
