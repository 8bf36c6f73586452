package zensim

import (
	"encoding/json"
	"slices"
	"time"
)

// Call is one request the simulator answered, recorded whether it succeeded, was refused or was
// faulted.
type Call struct {
	Seq     int       // 1-based, in arrival order
	Time    time.Time // simulator clock when the call was handled
	Action  string    // X-ZC-Action as sent
	Service string    // the service the path names (ServiceBMC, ServiceZRM, ServiceZBC); "" for another path
	Body    []byte    // the raw request body
	// InstanceIDs holds instanceId or instanceIds from the body, and resourceUuid (zrm) or
	// resourceId (zbc), which name an instance too; nil when there is none.
	InstanceIDs []string
	HTTPStatus  int    // what the client was answered; 0 when the connection was reset
	Code        string // error code; empty on success and for HTML or malformed answers
	RequestID   string
	Auth        string // the scheme presented: AuthHMAC, AuthBearer or AuthNone (see HTTPStatus for the verdict)
	Fault       string // the injected fault (FaultKind.String, or "latency"); empty if none
}

func (c Call) clone() Call {
	c.Body = slices.Clone(c.Body)
	c.InstanceIDs = slices.Clone(c.InstanceIDs)
	return c
}

// instanceIDsIn extracts instanceId, instanceIds, resourceUuid and resourceId from a request
// body, ignoring anything invalid.
func instanceIDsIn(body []byte) []string {
	var v struct {
		InstanceID   string   `json:"instanceId"`
		InstanceIDs  []string `json:"instanceIds"`
		ResourceUUID string   `json:"resourceUuid"`
		ResourceID   string   `json:"resourceId"`
	}
	_ = json.Unmarshal(body, &v)
	var ids []string
	for _, id := range []string{v.InstanceID, v.ResourceUUID, v.ResourceID} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return append(ids, v.InstanceIDs...)
}

func (s *Server) recordLocked(c Call) {
	s.calls = append(s.calls, c)
	if m := s.opts.MaxCalls; m > 0 && len(s.calls) > m {
		s.calls = slices.Delete(s.calls, 0, len(s.calls)-m)
	}
}

// Calls returns every recorded call, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		out[i] = c.clone()
	}
	return out
}

// TerminateCalls returns the recorded TerminateInstance calls, oldest first.
func (s *Server) TerminateCalls() []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Action == "TerminateInstance" {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the recorded calls. Sequence numbers keep counting.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// OnCall installs hook, called with each call after it is handled and before its answer is written.
// The hook may use the Server (Mutate, Remove, SetFault...); nil removes it.
func (s *Server) OnCall(hook func(c Call)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = hook
}
