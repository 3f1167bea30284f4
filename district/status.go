package district

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Version is the server's version, shown on the status page; the
// qiao-district command sets it.
var Version = ""

//go:embed status.html
var statusHTML string

var statusTmpl = template.Must(template.New("status").Funcs(template.FuncMap{
	"when": func(now, unix int64) string {
		if unix == 0 {
			return "never"
		}
		return time.Unix(unix, 0).Format("2006-01-02 15:04") + " (" + age(now-unix) + ")"
	},
	"date": func(unix int64) string {
		if unix == 0 {
			return ""
		}
		return time.Unix(unix, 0).Format("2006-01-02")
	},
	"clock": func(unix int64) string {
		if unix == 0 {
			return ""
		}
		return time.Unix(unix, 0).Format("2006-01-02 15:04:05")
	},
	"zone": func(unix int64) string { return time.Unix(unix, 0).Format("MST (UTC-07:00)") },
	"ago": func(now, unix int64) string {
		if unix == 0 {
			return "never"
		}
		return age(now - unix)
	},
	// short is the end of an id: a UUIDv7 starts with its time, so devices
	// enrolled together share their first digits.
	"short": func(id string) string { return id[max(0, len(id)-8):] },
}).Parse(statusHTML))

// age formats a duration in seconds as a rough age: "45s ago", "3h ago".
func age(secs int64) string {
	d := time.Duration(secs) * time.Second
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", secs)
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}

// statusPage serves the status page and its JSON twin to the district's
// technician. Loopback clients get it without a password (unless the
// admin asked for one there too); remote clients need HTTP Basic auth with
// the password set by "qiao-district status password", and are refused
// outright while none is set. Only the connection's address counts:
// forwarding headers (X-Forwarded-For) are ignored, as anyone can send them.
type statusPage struct {
	s       *Server
	started time.Time
	verify  chan struct{} // one slow hash at a time

	mu sync.Mutex
	ok [sha256.Size]byte // digest of the last stored hash and password that matched
}

// statusRoutes registers GET /status and GET /status.json on mux.
func (s *Server) statusRoutes(mux *http.ServeMux) {
	p := &statusPage{s: s, started: time.Now(), verify: make(chan struct{}, 1)}
	mux.Handle("GET /status", p.guard(p.html))
	mux.Handle("GET /status.json", p.guard(p.json))
	mux.Handle("GET /status/indicators", p.admit(p.indicators)) // the roll-up (rollup_http.go)
	mux.Handle("GET /status/indicators.xlsx", p.admit(p.indicatorsXLSX))
}

// isLoopback reports whether remoteAddr (an http.Request's RemoteAddr) is
// a loopback address.
func isLoopback(remoteAddr string) bool {
	ap, err := netip.ParseAddrPort(remoteAddr)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

const statusRealm = `Basic realm="qiao-district status", charset="UTF-8"`

// guard admits a request to the status page or answers why not.
func (p *statusPage) guard(next func(http.ResponseWriter, *http.Request, Status)) http.Handler {
	return p.admit(func(w http.ResponseWriter, r *http.Request) {
		st, err := p.s.db.Status(r.Context(), p.s.now())
		if err != nil {
			slog.Error("status", "err", err)
			statusText(w, http.StatusInternalServerError, "The server could not read its status.")
			return
		}
		st.Version, st.Started = Version, p.started.Unix()
		noStore(w, "")
		next(w, r, st)
	})
}

// admit lets a request to the status pages through to next, or answers why not.
func (p *statusPage) admit(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		acc, err := p.s.db.StatusAccess(r.Context())
		if err != nil {
			slog.Error("status access", "err", err)
			statusText(w, http.StatusInternalServerError, "The server could not read its status settings.")
			return
		}
		local := isLoopback(r.RemoteAddr)
		switch {
		case local && !acc.PasswordLoopback:
		case acc.PasswordHash == "":
			slog.Warn("status page refused", "remote", r.RemoteAddr, "reason", "no password set")
			statusText(w, http.StatusForbidden, "The status page is served to remote clients only with a password, and none is set.\n"+
				"Open it on the server itself (http(s)://127.0.0.1:PORT/status) or through an SSH tunnel,\n"+
				"or set a password on the server with: qiao-district status password --data DIR")
			return
		default:
			_, pw, ok := r.BasicAuth()
			if !ok || !p.checkPassword(r.Context(), acc.PasswordHash, pw) {
				if ok {
					slog.Warn("status page refused", "remote", r.RemoteAddr, "reason", "wrong password")
				}
				w.Header().Set("WWW-Authenticate", statusRealm)
				statusText(w, http.StatusUnauthorized, "The status page needs the password set with \"qiao-district status password\" (any user name).")
				return
			}
		}
		next(w, r)
	})
}

// checkPassword checks password against the stored hash. The last match
// is remembered (as a digest), so that a browser resending it with every
// request does not pay the slow hash each time; other attempts take turns.
func (p *statusPage) checkPassword(ctx context.Context, hash, password string) bool {
	key := sha256.Sum256([]byte(hash + "\x00" + password))
	p.mu.Lock()
	hit := subtle.ConstantTimeCompare(key[:], p.ok[:]) == 1
	p.mu.Unlock()
	if hit {
		return true
	}
	select {
	case p.verify <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	ok := checkStatusPassword(hash, password)
	<-p.verify
	if ok {
		p.mu.Lock()
		p.ok = key
		p.mu.Unlock()
	}
	return ok
}

func statusText(w http.ResponseWriter, status int, msg string) {
	noStore(w, "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}

func (p *statusPage) html(w http.ResponseWriter, r *http.Request, st Status) {
	var buf bytes.Buffer
	if err := statusTmpl.Execute(&buf, st); err != nil {
		slog.Error("status page", "err", err)
		statusText(w, http.StatusInternalServerError, "The server could not render its status page.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// No scripts, no outside resources; only the page's own inline style.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.Write(buf.Bytes())
}

func (p *statusPage) json(w http.ResponseWriter, r *http.Request, st Status) {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		statusText(w, http.StatusInternalServerError, "The server could not encode its status.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(b, '\n'))
}
