// Package district is the district server: the one process a school
// district runs so that its schools' Qiao installations can enrol, sync
// and find each other.
//
// A Server owns a data directory with its TLS certificate (tls/, see
// tls.go) and its database — SQLite (district.db) by default, or
// PostgreSQL shared by several processes (db.go, dialect.go) — and serves
// over HTTPS: enrolment and signed requests (auth.go), sync (sync.go,
// syncdb.go), offline bundles (bundle.go), files (files.go), the
// status page (status.go) and live lessons across schools on the
// classroom relay (classroom.go); docs/sync-protocol.md and
// docs/classroom-protocol.md are the protocols. The
// package is pure Go and must not import the desktop application
// (qiao/app, qiao/ui) or fyne.
package district

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// DefaultListen is the address served when Config.Listen is empty: the
// loopback interface only, so that a server is reachable from the network
// only when its administrator chooses an address (e.g. 0.0.0.0:8443).
const DefaultListen = "127.0.0.1:8443"

// ShutdownTimeout bounds how long Serve waits for requests in flight once
// its context is done.
const ShutdownTimeout = 10 * time.Second

// Config is what a Server is built from.
type Config struct {
	DataDir string // directory for the server's state; created if missing
	Listen  string // TCP address for Listen; DefaultListen if empty

	// DatabaseURL chooses the database: empty for SQLite in DataDir
	// (district.db); postgres://user@host/db?... for PostgreSQL, which
	// several server processes may share (DataDir then holds only tls/).
	DatabaseURL string

	// The server serves HTTPS with the self-signed certificate in
	// DataDir/tls (created if missing) unless CertFile and KeyFile, given
	// together, name the administrator's PEM certificate and key.
	CertFile string
	KeyFile  string
	// Insecure serves plain HTTP without TLS: for tests on loopback only.
	Insecure bool

	// Lessons across schools (classroom.go): the relay takes ICE over UDP
	// on RTCUDPPort and ICE over TCP, the fallback where UDP is blocked,
	// on RTCTCPPort, both on the host of Listen; 0 picks a free port (the
	// qiao-district command defaults to the HTTPS port for UDP and the
	// next one for TCP), a negative RTCTCPPort turns ICE over TCP off.
	RTCUDPPort int
	RTCTCPPort int
	// RTCPublicIPs are the public addresses announced to classrooms when
	// the server sits behind 1:1 NAT.
	RTCPublicIPs []string
	// LessonIdle ends a lesson that has had nobody in it for this long;
	// 0 means DefaultLessonIdle.
	LessonIdle time.Duration
}

// Server is a district server.
type Server struct {
	cfg       Config
	mux       *http.ServeMux
	db        *DB
	now       func() time.Time
	lastPrune atomic.Int64 // unix seconds of the last nonce pruning
	ready     atomic.Bool
	cert      *tls.Certificate // served by Serve; nil with Config.Insecure

	enrolThrottle *throttle // failed enrolments per client address

	lessons *lessonHub  // the classroom relay and its open lessons (classroom.go)
	rollups rollupCache // the indicators' roll-up per term (rollup.go)
}

// New returns a server for cfg, creating its data directory and database
// if missing. Close it when done.
func New(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("district: no data directory given")
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("district: data directory: %w", err)
	}
	cert, err := serverCert(cfg)
	if err != nil {
		return nil, err
	}
	db, err := Open(context.Background(), cfg.DataDir, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), db: db, now: time.Now, enrolThrottle: newThrottle(enrolFailures, enrolWindow)}
	s.cert = cert
	if s.lessons, err = newLessonHub(cfg, db, func() time.Time { return s.now() }); err != nil {
		db.Close()
		return nil, err
	}
	s.routes()
	s.ready.Store(true)
	return s, nil
}

// routes registers the server's endpoints on its mux.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.statusRoutes(s.mux) // GET /status, /status.json (status.go)
	s.mux.HandleFunc("POST /v1/enrol", s.enrol)

	// Every other /v1 endpoint needs a signed request.
	api := http.NewServeMux()
	api.HandleFunc("GET /v1/whoami", s.whoami)
	api.HandleFunc("POST /v1/push", s.push)
	api.HandleFunc("GET /v1/pull", s.pull)
	api.HandleFunc("GET /v1/sync/state", s.syncState)
	api.HandleFunc("GET /v1/server-key", s.serverKey)
	files := s.newFileServer()
	api.HandleFunc("GET /v1/files/{hash}", files.get) // and HEAD
	api.HandleFunc("PUT /v1/files/{hash}", files.put)
	api.HandleFunc("POST /v1/lessons", s.openLessonHTTP) // lessons across schools (classroom.go)
	api.HandleFunc("GET /v1/lessons/{code}", s.lessonHTTP)
	api.HandleFunc("DELETE /v1/lessons/{code}", s.closeLessonHTTP)
	api.HandleFunc("GET /v1/lessons/{code}/ws", s.lessonWS)
	s.libraryRoutes(api)                                  // the library's review queue (library.go)
	api.HandleFunc("GET /v1/metrics/rank", s.metricsRank) // the school's rank (rollup_http.go)
	s.mux.Handle("/v1/", s.authenticate(api))
}

// DB returns the server's database.
func (s *Server) DB() *DB { return s.db }

// Close ends the open lessons, releases the relay's ports and closes the
// server's database. Call it after Serve has returned.
func (s *Server) Close() error {
	lerr := s.lessons.close()
	return errors.Join(s.db.Close(), lerr)
}

// RTCAddrs returns the addresses where the lesson relay takes ICE over UDP
// and over TCP (nil when off).
func (s *Server) RTCAddrs() (udp, tcp net.Addr) {
	return s.lessons.addrs()
}

// Config returns the configuration the server was built with, defaults
// filled in.
func (s *Server) Config() Config {
	return s.cfg
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler {
	return s.mux
}

// healthz answers 200 while the server is ready and 503 otherwise.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	noStore(w, "text/plain; charset=utf-8")
	if !s.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "unavailable")
		return
	}
	fmt.Fprintln(w, "ok")
}

// Listen opens the TCP listener for the configured address.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("district: cannot listen on %s: %w", s.cfg.Listen, err)
	}
	return ln, nil
}

// httpServer returns the http.Server that Serve runs. Handlers that
// stream (signalling) must lift WriteTimeout with http.ResponseController.
func (s *Server) httpServer() *http.Server {
	return &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		// A full 8 MiB batch takes about 17 minutes at 64 kbit/s; the app
		// sizes batches to take seconds, so 5 minutes only stops stalls.
		ReadTimeout:    5 * time.Minute,
		WriteTimeout:   5 * time.Minute,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
}

// Serve serves HTTPS (plain HTTP with Config.Insecure) on ln, which it
// closes, until ctx is done, then shuts down gracefully; it returns nil on
// a clean stop. It may be called once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := s.httpServer()
	if s.cert != nil {
		ln = tls.NewListener(ln, s.tlsConfig())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("district: serve: %w", err)
	case <-ctx.Done():
	}

	s.ready.Store(false)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		hs.Close()
	}
	// Shutdown does not wait for hijacked connections: end the lessons,
	// which closes their signalling WebSockets, and free the relay's ports.
	if lerr := s.lessons.close(); lerr != nil {
		slog.Warn("lesson relay close", "err", lerr)
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("district: shutdown: %w", err)
	}
	return nil
}
