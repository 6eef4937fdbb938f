// Package fleet is a test-only fleet simulator for the AWS Secrets Manager
// adapter: a loopback HTTP server that speaks the Secrets Manager JSON
// protocol for the calls adapters/awssm makes (GetSecretValue,
// BatchGetSecretValue and DescribeSecret), enforces a token bucket per API at the documented
// default quotas and answers ThrottlingException when a bucket is empty,
// plus a runner that starts N replicas in one process, each with its own
// aws-sdk-go-v2 client and awssm.Provider and its own connection pool (or,
// with Config.SharedConns, one pool shared by all: 10,000 pools do not fit
// in one process's file descriptors), and measures how long the fleet
// takes to load.
//
// Time may be scaled: with TimeScale k every quota is divided by k and
// every service time and backoff multiplied by k, so the simulation runs k
// times slower (k > 1) or faster (k < 1) than the world it models; results
// are reported in real-world time (measured time divided by k).
//
// Run the full table with `make fleet`; docs/fleet.md has the results.
package fleet

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The documented default quotas of Secrets Manager, per account and region
// (requests per second). BatchGetSecretValue's is not adjustable.
const (
	DefaultGetPerSecond      = 10000
	DefaultBatchPerSecond    = 100
	DefaultDescribePerSecond = 40000
	// BatchSize is the number of ids a BatchGetSecretValue call carries.
	BatchSize = 20
)

// Quotas are per-API request rates, in real-world requests per second.
type Quotas struct {
	GetPerSecond   float64 // GetSecretValue; default 10,000
	BatchPerSecond float64 // BatchGetSecretValue; default 100
	// DescribePerSecond is DescribeSecret's; default 40,000.
	DescribePerSecond float64
	// Burst is how much unused quota a bucket holds, as a time at the
	// quota's rate: a full bucket admits Burst*rate calls at once.
	// Default 1s.
	Burst time.Duration
}

func (q Quotas) withDefaults() Quotas {
	if q.GetPerSecond <= 0 {
		q.GetPerSecond = DefaultGetPerSecond
	}
	if q.BatchPerSecond <= 0 {
		q.BatchPerSecond = DefaultBatchPerSecond
	}
	if q.DescribePerSecond <= 0 {
		q.DescribePerSecond = DefaultDescribePerSecond
	}
	if q.Burst <= 0 {
		q.Burst = time.Second
	}
	return q
}

// ServerConfig configures a Server.
type ServerConfig struct {
	Quotas Quotas
	// ServiceTime is the real-world time the server takes to answer a
	// call it admits (a throttled call is answered at once). Default 20ms.
	ServiceTime time.Duration
	// TimeScale k runs the server k times slower than the world it models
	// (quotas divided by k, service times multiplied by k). Default 1.
	TimeScale float64
	// Secrets maps secret names to their SecretString.
	Secrets map[string]string
	// RecordCalls makes the server keep the time of every call (see
	// Calls), for the steady-state simulation's calls per second.
	RecordCalls bool
}

// Call is one call the server received (ServerConfig.RecordCalls).
type Call struct {
	Op        string // GetSecretValue, BatchGetSecretValue or DescribeSecret
	At        time.Time
	Throttled bool
}

// APICounts are the calls a server received for one API and how many of
// them it throttled.
type APICounts struct {
	Calls, Throttles int64
}

// Server is a quota-enforcing Secrets Manager endpoint on 127.0.0.1.
type Server struct {
	cfg     ServerConfig
	ln      net.Listener
	srv     *http.Server
	buckets map[string]*bucket
	counts  map[string]*apiCounters
	conns   atomic.Int64
	done    chan struct{}

	callsMu sync.Mutex
	calls   []Call // with ServerConfig.RecordCalls

	secretsMu sync.RWMutex
	secrets   map[string]version // the current version of each secret
	rotations int
}

// version is a secret's current version.
type version struct{ id, value string }

// Calls returns the calls received so far, in arrival order, when the
// server records them (ServerConfig.RecordCalls); else nil.
func (s *Server) Calls() []Call {
	s.callsMu.Lock()
	defer s.callsMu.Unlock()
	return slices.Clone(s.calls)
}

func (s *Server) record(op string, at time.Time, throttled bool) {
	if !s.cfg.RecordCalls {
		return
	}
	s.callsMu.Lock()
	s.calls = append(s.calls, Call{Op: op, At: at, Throttled: throttled})
	s.callsMu.Unlock()
}

type apiCounters struct{ calls, throttles atomic.Int64 }

// The operations the server speaks.
const (
	opGet      = "GetSecretValue"
	opBatch    = "BatchGetSecretValue"
	opDescribe = "DescribeSecret"
)

// StartServer starts a server on a free 127.0.0.1 port. Close it.
func StartServer(cfg ServerConfig) (*Server, error) {
	cfg.Quotas = cfg.Quotas.withDefaults()
	if cfg.ServiceTime <= 0 {
		cfg.ServiceTime = 20 * time.Millisecond
	}
	if cfg.TimeScale <= 0 {
		cfg.TimeScale = 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fleet: listen on loopback: %w", err)
	}
	k := cfg.TimeScale
	burst := cfg.Quotas.Burst.Seconds()
	s := &Server{
		cfg: cfg,
		ln:  ln,
		buckets: map[string]*bucket{
			opGet:      newBucket(cfg.Quotas.GetPerSecond/k, cfg.Quotas.GetPerSecond*burst),
			opBatch:    newBucket(cfg.Quotas.BatchPerSecond/k, cfg.Quotas.BatchPerSecond*burst),
			opDescribe: newBucket(cfg.Quotas.DescribePerSecond/k, cfg.Quotas.DescribePerSecond*burst),
		},
		counts:  map[string]*apiCounters{opGet: {}, opBatch: {}, opDescribe: {}},
		done:    make(chan struct{}),
		secrets: make(map[string]version, len(cfg.Secrets)),
	}
	for id, v := range cfg.Secrets {
		s.secrets[id] = version{id: versionID, value: v}
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: time.Minute,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		},
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// URL is the endpoint to give the SDK (BaseEndpoint or AWS_ENDPOINT_URL).
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the server and closes its connections.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
}

// Counts returns the calls and throttles per API so far.
func (s *Server) Counts() map[string]APICounts {
	out := make(map[string]APICounts, len(s.counts))
	for op, c := range s.counts {
		out[op] = APICounts{Calls: c.calls.Load(), Throttles: c.throttles.Load()}
	}
	return out
}

// Connections returns the connections accepted so far.
func (s *Server) Connections() int64 { return s.conns.Load() }

// ServeHTTP answers one Secrets Manager JSON-protocol request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	c, known := s.counts[op]
	if r.Method != http.MethodPost || !known {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "the fleet simulator does not speak "+op)
		return
	}
	c.calls.Add(1)
	now := time.Now()
	admitted := s.buckets[op].take(now)
	s.record(op, now, !admitted)
	if !admitted {
		c.throttles.Add(1)
		writeError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		return
	}
	time.Sleep(time.Duration(float64(s.cfg.ServiceTime) * s.cfg.TimeScale))
	switch op {
	case opGet:
		var in struct{ SecretId string }
		if err := json.Unmarshal(body, &in); err != nil {
			writeError(w, http.StatusBadRequest, "SerializationException", "bad request body")
			return
		}
		e, ok := s.entry(in.SecretId)
		if !ok {
			writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		writeJSON(w, e)
	case opBatch:
		var in struct{ SecretIdList []string }
		if err := json.Unmarshal(body, &in); err != nil || len(in.SecretIdList) == 0 || len(in.SecretIdList) > BatchSize {
			writeError(w, http.StatusBadRequest, "ValidationException", "SecretIdList must hold 1 to 20 ids")
			return
		}
		out := batchOutput{SecretValues: []secretEntry{}, Errors: []batchError{}}
		for _, id := range in.SecretIdList {
			if e, ok := s.entry(id); ok {
				out.SecretValues = append(out.SecretValues, e)
			} else {
				out.Errors = append(out.Errors, batchError{SecretId: id, ErrorCode: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret."})
			}
		}
		writeJSON(w, out)
	case opDescribe:
		var in struct{ SecretId string }
		if err := json.Unmarshal(body, &in); err != nil {
			writeError(w, http.StatusBadRequest, "SerializationException", "bad request body")
			return
		}
		e, ok := s.entry(in.SecretId)
		if !ok {
			writeError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
			return
		}
		writeJSON(w, describeOutput{ARN: e.ARN, Name: e.Name, VersionIdsToStages: map[string][]string{e.VersionId: {"AWSCURRENT"}}})
	}
}

type describeOutput struct {
	ARN                string
	Name               string
	VersionIdsToStages map[string][]string
}

// Rotate gives the secret id a new current version holding value, as a
// finished rotation does, and returns its VersionId. The server keeps only
// the current version of a secret: GetSecretValue ignores VersionId and
// VersionStage and answers with it (what the adapter asks for after a
// DescribeSecret, which names that version).
func (s *Server) Rotate(id, value string) string {
	s.secretsMu.Lock()
	defer s.secretsMu.Unlock()
	s.rotations++
	v := version{id: fmt.Sprintf("00000000-0000-4000-8000-%012d", s.rotations+1), value: value}
	s.secrets[id] = v
	return v.id
}

type secretEntry struct {
	ARN           string
	Name          string
	VersionId     string
	SecretString  string
	VersionStages []string
	CreatedDate   float64
}

type batchError struct {
	SecretId, ErrorCode, Message string
}

type batchOutput struct {
	SecretValues []secretEntry
	Errors       []batchError
}

// versionID is the first VersionId of every simulated secret.
const versionID = "00000000-0000-4000-8000-000000000001"

func (s *Server) entry(id string) (secretEntry, bool) {
	s.secretsMu.RLock()
	v, ok := s.secrets[id]
	s.secretsMu.RUnlock()
	if !ok {
		return secretEntry{}, false
	}
	return secretEntry{
		ARN:           "arn:aws:secretsmanager:us-east-1:000000000000:secret:" + id,
		Name:          id,
		VersionId:     v.id,
		SecretString:  v.value,
		VersionStages: []string{"AWSCURRENT"},
		CreatedDate:   1.7e9,
	}, true
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "InternalServiceError", "encode")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", "fleet")
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	b, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", "fleet")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// bucket is a token bucket: rate tokens a second, at most capacity, full
// at the start.
type bucket struct {
	mu       sync.Mutex
	rate     float64
	capacity float64
	tokens   float64
	last     time.Time
}

func newBucket(rate, capacity float64) *bucket {
	capacity = max(capacity, 1)
	return &bucket{rate: rate, capacity: capacity, tokens: capacity, last: time.Now()}
}

// take spends one token if there is one.
func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(b.capacity, b.tokens+dt*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
