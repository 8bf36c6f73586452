package zensim

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// answerForm is how an answer goes on the wire.
type answerForm int

const (
	formJSON      answerForm = iota // the payload as JSON
	formHTML                        // a proxy's HTML page
	formTruncated                   // the payload's JSON cut in half, status 200
	formReset                       // headers and half the body, then the connection is dropped
)

// answer is a decided response, written after the state lock is released.
type answer struct {
	status     int // 0 for a reset connection
	code       string
	requestID  string
	retryAfter time.Duration
	payload    any
	form       answerForm
	latency    time.Duration
	fault      string
}

func okAnswer(requestID string, response any) answer {
	return answer{status: http.StatusOK, requestID: requestID, payload: envelope{RequestID: requestID, Response: response}}
}

func errorAnswer(requestID string, e *apiError) answer {
	return answer{
		status:     e.status,
		code:       e.code,
		requestID:  requestID,
		retryAfter: e.retryAfter,
		payload:    wireError{RequestID: requestID, Code: e.code, Message: e.message},
	}
}

const proxyPage = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
	"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

const jsonContentType = "application/json; charset=utf-8"

// write sends the answer after its latency; it gives up if the request's context ends first.
func (a answer) write(w http.ResponseWriter, r *http.Request) {
	if a.latency > 0 {
		t := time.NewTimer(a.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	switch a.form {
	case formHTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, proxyPage)
	case formTruncated:
		b := a.marshal()
		w.Header().Set("Content-Type", jsonContentType)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b[:len(b)/2])
	case formReset:
		writeReset(w, a.marshal())
	default:
		b := a.marshal()
		w.Header().Set("Content-Type", jsonContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		if a.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((a.retryAfter+time.Second-1)/time.Second)))
		}
		w.WriteHeader(a.status)
		_, _ = w.Write(b)
	}
}

func (a answer) marshal() []byte {
	b, err := json.Marshal(a.payload)
	if err != nil { // our wire structs always marshal; keep the client's decoder honest anyway
		b, _ = json.Marshal(wireError{RequestID: a.requestID, Code: "INTERNAL_SERVER_ERROR", Message: "encode answer"})
	}
	return b
}

// writeReset announces body and sends half of it, then drops the connection (with an RST where
// possible). Without a hijackable connection it declares the full length and writes half, which makes
// net/http close the connection after the handler returns.
func writeReset(w http.ResponseWriter, body []byte) {
	half := body[:len(body)/2]
	if hj, ok := w.(http.Hijacker); ok {
		conn, buf, err := hj.Hijack()
		if err == nil {
			defer conn.Close()
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_, _ = fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", jsonContentType, len(body))
			_, _ = buf.Write(half)
			_ = buf.Flush()
			return
		}
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(half)
}
