package zensim

import (
	"errors"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"slices"
	"sync"
	"time"
)

// The paths the simulator serves, one per service (zenlayer-bmc-api.md §1.5).
const (
	Path    = "/api/v2/bmc" // Bare Metal Cloud
	PathZRM = "/api/v2/zrm" // resource tags
	PathZBC = "/api/v2/zbc" // billing
)

// The API versions the simulator accepts in X-ZC-Version: two for bmc, one each for zrm and zbc.
const (
	Version2026 = "2026-02-01"
	Version2022 = "2022-11-20"
	VersionZRM  = "2025-10-14"
	VersionZBC  = "2024-08-08"
)

// The service names sent in X-ZC-Service.
const (
	ServiceBMC = "bmc"
	ServiceZRM = "zrm"
	ServiceZBC = "zbc"
)

const maxBodyBytes = 1 << 20

// Server is the simulator. It implements http.Handler for POST /api/v2/bmc, /api/v2/zrm and
// /api/v2/zbc and is safe for concurrent use.
type Server struct {
	opts     Options
	verifier verifier

	mu        sync.Mutex
	byID      map[string]*SimInstance
	order     []*SimInstance      // the instances of byID, sorted by ID
	timed     map[string]struct{} // instances with a pending time-based transition
	calls     []Call
	seq       int
	faults    map[string]*Fault
	faultRand *rand.Rand
	idRand    *rand.Rand
	bucket    *tokenBucket
	hook      func(Call)

	// tagCreated is when each key=value tag came to exist in the account (DescribeResourceTags'
	// createdDate).
	tagCreated map[Tag]time.Time
	prices     PriceBook
	bills      []BillLine
}

// New returns a simulator with an empty fleet.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	seed := uint64(opts.Seed)
	return &Server{
		opts:       opts,
		verifier:   verifier{keys: opts.Keys, tokens: opts.Tokens, maxSkew: opts.MaxSkew},
		byID:       map[string]*SimInstance{},
		timed:      map[string]struct{}{},
		faults:     map[string]*Fault{},
		tagCreated: map[Tag]time.Time{},
		faultRand:  rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		idRand:     rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d)),
	}
}

// request is what an action handler sees.
type request struct {
	body      []byte
	now       time.Time
	requestID string
	fault     string // set by a handler that applied a fault itself (total count drift)
	// notTaken makes a write handler answer as if it succeeded without changing anything
	// (FaultNotTaken).
	notTaken bool
}

type actionFunc func(s *Server, req *request) (any, *apiError)

// service is one API service: its name in X-ZC-Service, the versions it accepts and its actions.
type service struct {
	name     string
	versions []string
	// actions maps X-ZC-Action to its handler. Handlers run with s.mu held.
	actions map[string]actionFunc
}

// services maps each served path to its service (zenlayer-bmc-api.md §1.5). Action names are
// unique across services, so faults and the call log key on the action alone.
var services = map[string]*service{
	Path: {name: ServiceBMC, versions: []string{Version2026, Version2022}, actions: map[string]actionFunc{
		"DescribeInstances":          (*Server).describeInstances,
		"TerminateInstance":          (*Server).terminateInstance,
		"DescribeInstanceTraffic":    (*Server).describeInstanceTraffic,
		"InquiryPriceCreateInstance": (*Server).inquiryPriceCreateInstance,
	}},
	PathZRM: {name: ServiceZRM, versions: []string{VersionZRM}, actions: map[string]actionFunc{
		"ModifyResourceTags":   (*Server).modifyResourceTags,
		"DescribeResourceTags": (*Server).describeResourceTags,
	}},
	PathZBC: {name: ServiceZBC, versions: []string{VersionZBC}, actions: map[string]actionFunc{
		"DescribeBillDetail":         (*Server).describeBillDetail,
		"DescribeMonthlyBillSummary": (*Server).describeMonthlyBillSummary,
	}},
}

// ServeHTTP handles one API call: it decides the answer under the lock, records the call, runs the
// OnCall hook, and only then writes the answer (so a hook's changes are visible before the client
// can send its next call).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, bodyErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
	}

	s.mu.Lock()
	now := s.opts.Now()
	s.applyTimeLocked(now)
	s.seq++
	c := Call{
		Seq:         s.seq,
		Time:        now,
		Action:      r.Header.Get("X-ZC-Action"),
		Service:     serviceName(r.URL.Path),
		Body:        body,
		InstanceIDs: instanceIDsIn(body),
		RequestID:   s.newRequestIDLocked(),
		Auth:        authScheme(r),
	}
	a := s.decideLocked(r, body, bodyErr, now, c.RequestID)
	c.HTTPStatus, c.Code, c.Fault = a.status, a.code, a.fault
	s.recordLocked(c)
	hook := s.hook
	s.mu.Unlock()

	s.opts.Logger.Debug("zensim call", "seq", c.Seq, "action", c.Action, "http_status", c.HTTPStatus,
		"code", c.Code, "request_id", c.RequestID, "auth", c.Auth, "fault", c.Fault)
	if hook != nil {
		hook(c.clone())
	}
	a.write(w, r)
}

// serviceName is the name of the service served at path, "" for a path not served.
func serviceName(path string) string {
	if svc, ok := services[path]; ok {
		return svc.name
	}
	return ""
}

// decideLocked runs the checks in the order a gateway would (method, path, body, credentials, rate
// limit, headers, permission), then faults, then the action.
func (s *Server) decideLocked(r *http.Request, body []byte, bodyErr error, now time.Time, rid string) answer {
	svc, e := s.gateLocked(r, bodyErr, body, now)
	if e != nil {
		return errorAnswer(rid, e)
	}
	action := r.Header.Get("X-ZC-Action")
	f, fired := s.fireFaultLocked(action, body, func(k FaultKind) bool { return k != FaultTotalCountDrift && k != FaultShortPage })
	notTaken := fired && f.Kind == FaultNotTaken
	if fired && !f.latencyOnly() && !f.Executed && !notTaken {
		return faultAnswer(f, rid, nil)
	}
	req := &request{body: body, now: now, requestID: rid, notTaken: notTaken}
	var a answer
	if resp, e := svc.actions[action](s, req); e != nil {
		a = errorAnswer(rid, e)
	} else {
		a = okAnswer(rid, resp)
	}
	a.fault = req.fault
	switch {
	case fired && f.latencyOnly():
		a.latency, a.fault = f.Latency, "latency"
	case notTaken:
		a.latency, a.fault = f.Latency, f.Kind.String()
	case fired:
		a = faultAnswer(f, rid, a.payload)
	}
	return a
}

// gateLocked checks everything that does not depend on the action, and returns the service the
// request's path names.
func (s *Server) gateLocked(r *http.Request, bodyErr error, body []byte, now time.Time) (*service, *apiError) {
	if r.Method != http.MethodPost {
		return nil, newAPIError(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "only POST is supported")
	}
	svc, ok := services[r.URL.Path]
	if !ok {
		return nil, newAPIError(http.StatusNotFound, "INVALID_PATH", "the path `%s` is not served", r.URL.Path)
	}
	if bodyErr != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(bodyErr, &tooLarge) {
			return nil, newAPIError(http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE", "the request body is too large")
		}
		return nil, invalidParameter("the request body could not be read")
	}
	if err := s.verifier.verify(r, body, now); err != nil {
		return nil, newAPIError(http.StatusUnauthorized, "AUTHFAILURE_SIGNATURE_FAILURE", "%s", err.Error())
	}
	if s.bucket != nil && !s.bucket.take(s.opts.RateClock()) {
		e := newAPIError(http.StatusTooManyRequests, "REQUEST_LIMIT_EXCEEDED", "request limit exceeded, retry later")
		if s.opts.RetryAfter {
			e.retryAfter = max(s.bucket.wait(), time.Second)
		}
		return nil, e
	}
	if e := checkHeaders(r, svc); e != nil {
		return nil, e
	}
	if s.deniedLocked(credential(r), svc.name) {
		return nil, operationDenied(CodeNoPermission, "the credential may not use the %s service", svc.name)
	}
	return svc, nil
}

// checkHeaders validates the action, version, service and content type headers against the
// service the path names. An action of another service is unknown here.
func checkHeaders(r *http.Request, svc *service) *apiError {
	action := r.Header.Get("X-ZC-Action")
	if action == "" {
		return newAPIError(http.StatusBadRequest, "INVALID_ACTION", "the X-ZC-Action header is required")
	}
	switch v := r.Header.Get("X-ZC-Version"); {
	case v == "":
		return newAPIError(http.StatusBadRequest, "INVALID_VERSION", "the X-ZC-Version header is required")
	case !slices.Contains(svc.versions, v):
		return newAPIError(http.StatusBadRequest, "INVALID_VERSION", "the version `%s` is not supported by %s", v, svc.name)
	}
	if name := r.Header.Get("X-ZC-Service"); name != "" && name != svc.name {
		return newAPIError(http.StatusBadRequest, "INVALID_SERVICE", "the service `%s` is not served here", name)
	}
	if _, ok := svc.actions[action]; !ok {
		return newAPIError(http.StatusBadRequest, "INVALID_ACTION", "the action `%s` is not supported by %s", action, svc.name)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return invalidParameter("only Content-Type application/json is supported")
	}
	return nil
}

// newRequestIDLocked returns "T" followed by an uppercase UUID-shaped hex string.
func (s *Server) newRequestIDLocked() string {
	hi, lo := s.idRand.Uint64(), s.idRand.Uint64()
	const hexdig = "0123456789ABCDEF"
	var b [37]byte
	b[0] = 'T'
	n := 1
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b[n] = '-'
			n++
		}
		word := hi
		shift := uint(60 - 4*i)
		if i >= 16 {
			word, shift = lo, uint(60-4*(i-16))
		}
		b[n] = hexdig[(word>>shift)&0xF]
		n++
	}
	return string(b[:n])
}
