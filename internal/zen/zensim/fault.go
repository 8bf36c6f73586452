package zensim

import (
	"net/http"
	"time"
)

// FaultKind is how a faulty answer looks on the wire.
type FaultKind int

// The fault kinds.
const (
	// FaultError answers with Fault.HTTPStatus and Fault.Code as an API JSON error.
	FaultError FaultKind = iota
	// FaultHTML answers with a proxy's HTML error page (502 unless Fault.HTTPStatus is set).
	FaultHTML
	// FaultMalformedJSON answers 200 with a JSON body cut in half.
	FaultMalformedJSON
	// FaultReset hijacks the connection, sends the headers and part of the body, and closes it.
	FaultReset
	// FaultTotalCountDrift makes DescribeInstances or DescribeBillDetail report totalCount+1 on
	// pages after the first. It only matches calls of those actions with pageNum > 1.
	FaultTotalCountDrift
	// FaultNotTaken makes a write accept and not take: TerminateInstance checks the request and
	// the instance as usual and answers 200 with a request ID, but the instance stays as it was
	// (a RUNNING instance stays RUNNING). Reads are served normally.
	FaultNotTaken
	// FaultShortPage makes DescribeBillDetail answer a page with its last line left out (the
	// totals unchanged), as a server that loses a line would. It only matches DescribeBillDetail
	// calls whose page has at least one line.
	FaultShortPage
)

// String returns the kind's snake_case name, as recorded in Call.Fault.
func (k FaultKind) String() string {
	switch k {
	case FaultError:
		return "error"
	case FaultHTML:
		return "html"
	case FaultMalformedJSON:
		return "malformed_json"
	case FaultReset:
		return "reset"
	case FaultTotalCountDrift:
		return "total_count_drift"
	case FaultNotTaken:
		return "not_taken"
	case FaultShortPage:
		return "short_page"
	default:
		return "unknown"
	}
}

// Fault describes injected misbehaviour for an action (or every action).
//
// A fault fires on the next Count matching calls when Count > 0 (then it clears itself); otherwise
// with probability ErrorRate (seeded) when ErrorRate > 0; otherwise on every matching call. A call it
// fires on gets Latency added and then the Kind's answer. A FaultError with no HTTPStatus, no Code
// and a positive Latency only adds latency: the call is served normally.
type Fault struct {
	ErrorRate  float64
	HTTPStatus int    // default 500 (429: REQUEST_LIMIT_EXCEEDED, 503: SERVICE_TEMPORARY_UNAVAILABLE)
	Code       string // default derived from HTTPStatus, else INTERNAL_SERVER_ERROR
	// Latency is a real delay added before answering; it ends early if the request's context ends.
	Latency time.Duration
	Kind    FaultKind
	Count   int
	// Skip serves the first Skip matching calls normally; the fault applies from the next one
	// (a listing's second page, say).
	Skip int
	// Executed makes the action take effect before the faulty answer is sent, so the client cannot
	// tell whether it happened (a TerminateInstance whose answer was lost). Default: the faulty
	// answer replaces the action, which does not happen.
	Executed bool
	// Match, when set, limits the fault to the calls whose request body it accepts (one price
	// key, one instance); Skip and Count count only those. A call it rejects is served as if the
	// fault were not installed: the fault for every action, if any, applies to it.
	Match func(body []byte) bool
}

// latencyOnly reports whether the fault only slows calls down.
func (f Fault) latencyOnly() bool {
	return f.Kind == FaultError && f.HTTPStatus == 0 && f.Code == "" && f.Latency > 0
}

// errorStatusCode returns the status and code of a FaultError answer.
func (f Fault) errorStatusCode() (int, string) {
	status, code := f.HTTPStatus, f.Code
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if code == "" {
		switch status {
		case http.StatusTooManyRequests:
			code = "REQUEST_LIMIT_EXCEEDED"
		case http.StatusServiceUnavailable:
			code = "SERVICE_TEMPORARY_UNAVAILABLE"
		default:
			code = "INTERNAL_SERVER_ERROR"
		}
	}
	return status, code
}

// SetFault installs f for action ("" means every action). An action's own fault takes precedence
// over the one for every action. It replaces any earlier fault for the same action.
func (s *Server) SetFault(action string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[action] = &f
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// fireFaultLocked decides whether the fault that applies to action fires on this call, whose
// request body is body. match filters which kinds the caller handles. A fired Count fault is
// consumed.
func (s *Server) fireFaultLocked(action string, body []byte, match func(FaultKind) bool) (Fault, bool) {
	key := action
	f, ok := s.faults[key]
	if ok && f.Match != nil && !f.Match(body) {
		ok = false
	}
	if !ok {
		key = ""
		f, ok = s.faults[key]
		if ok && f.Match != nil && !f.Match(body) {
			ok = false
		}
	}
	if !ok || !match(f.Kind) {
		return Fault{}, false
	}
	if f.Skip > 0 {
		f.Skip--
		return Fault{}, false
	}
	switch {
	case f.Count > 0:
		fired := *f
		f.Count--
		if f.Count == 0 {
			delete(s.faults, key)
		}
		return fired, true
	case f.ErrorRate > 0:
		if s.faultRand.Float64() < f.ErrorRate {
			return *f, true
		}
		return Fault{}, false
	default:
		return *f, true
	}
}

// faultAnswer turns a fired fault into the answer the client sees. payload is the action's own
// answer when the fault is Executed (used by FaultMalformedJSON and FaultReset), else nil.
func faultAnswer(f Fault, requestID string, payload any) answer {
	a := answer{requestID: requestID, latency: f.Latency, fault: f.Kind.String(), payload: payload}
	if payload == nil {
		a.payload = envelope{RequestID: requestID, Response: emptyResponse{RequestID: requestID}}
	}
	switch f.Kind {
	case FaultHTML:
		a.status = http.StatusBadGateway
		if f.HTTPStatus != 0 {
			a.status = f.HTTPStatus
		}
		a.form = formHTML
	case FaultMalformedJSON:
		a.status = http.StatusOK
		a.form = formTruncated
	case FaultReset:
		a.status = 0
		a.form = formReset
	default:
		status, code := f.errorStatusCode()
		a = errorAnswer(requestID, newAPIError(status, code, "injected fault"))
		a.latency, a.fault = f.Latency, f.Kind.String()
	}
	return a
}
