package daemon

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/daemon/api"
	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/ecosystems"
)

func (s *Server) handler() http.Handler {
	for _, e := range registered() {
		s.pipeline.Register(e)
	}
	a := &api.API{Pipeline: s.pipeline, Tokens: s.tokens, Log: s.log, Version: Version, Webhooks: s.webhooks}
	env := &ecosystems.Env{BaseURL: s.BaseURL, Pipeline: s.pipeline, Log: s.log, REST: a.PackageRoutes()}
	a.Env = env

	mux := http.NewServeMux()
	a.Register(mux)
	packages := map[string]http.Handler{}
	for _, name := range ecosystems.All {
		h := env.REST
		if e, ok := s.pipeline.Ecosystems[name]; ok {
			h = e.Handler(env)
			if rm, ok := e.(ecosystems.RootMounted); ok {
				for _, pattern := range rm.RootPatterns() {
					mux.Handle(pattern, h)
				}
			}
		}
		mux.Handle("/api/v1/packages/"+name+"/{org}/", h)
		packages[name] = h
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		api.WriteJSON(w, http.StatusNotFound, client.Error{Message: fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)})
	})
	s.mux, s.packages = mux, packages
	return s.recoverer(s.authenticate(s.logRequests(s.limitBody(routePackages(packages, mux)))))
}

// packagesPrefix starts every ecosystem's package routes.
const packagesPrefix = "/api/v1/packages/"

// routePackages sends requests for /api/v1/packages/{eco}/{org}/… — the
// protocol reads that make up most of a registry's traffic — straight to
// the ecosystem's handler, with the org path value set as mux would set
// it, and everything else to mux. It takes only paths mux would route to
// the same handler without a redirect (clean, no escaped org, not
// CONNECT), which spares those requests mux's second lookup of an inexact
// match with a slash appended (see TestRoutePackagesAgreesWithMux).
func routePackages(packages map[string]http.Handler, mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, org, ok := packageRoute(packages, r); ok {
			r.SetPathValue("org", org)
			h.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// packageRoute returns the handler and org of r when routePackages may
// route it without mux.
func packageRoute(packages map[string]http.Handler, r *http.Request) (http.Handler, string, bool) {
	p := r.URL.EscapedPath()
	if !strings.HasPrefix(p, packagesPrefix) || r.Method == http.MethodConnect {
		return nil, "", false
	}
	eco, rest, ok := strings.Cut(p[len(packagesPrefix):], "/")
	if !ok {
		return nil, "", false
	}
	h := packages[eco]
	org, _, ok := strings.Cut(rest, "/")
	if h == nil || !ok || org == "" || strings.IndexByte(org, '%') >= 0 || !isClean(p) {
		return nil, "", false
	}
	return h, org, true
}

// isClean reports whether mux leaves p as it is: no empty, "." or ".."
// segments (a trailing slash is kept).
func isClean(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		seg := p[i+1:]
		if j := strings.IndexByte(seg, '/'); j >= 0 {
			seg = seg[:j]
			if seg == "" {
				return false
			}
		}
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// authenticate resolves the request's credential to a principal and
// stores it (or the authentication error) in the request context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := api.Credential(r)
		if secret == "" {
			// Anonymous: PrincipalFrom answers the zero principal for a
			// context without one, so the request is not copied.
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.tokens.Authenticate(r.Context(), secret)
		next.ServeHTTP(w, r.WithContext(ecosystems.WithPrincipal(r.Context(), p, err)))
	})
}

func (s *Server) limitBody(next http.Handler) http.Handler {
	var large []ecosystems.LargeBodies
	for _, e := range s.pipeline.Ecosystems {
		if lb, ok := e.(ecosystems.LargeBodies); ok {
			large = append(large, lb)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.cfg.MaxBodyBytes
		for _, lb := range large {
			if lb.LargeBody(r) {
				limit = s.cfg.MaxUploadBytes
				break
			}
		}
		if r.ContentLength > limit {
			api.WriteJSON(w, http.StatusRequestEntityTooLarge, client.Error{Message: fmt.Sprintf("request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, limit)})
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &idleBody{ReadCloser: http.MaxBytesReader(w, r.Body, limit),
				rc: http.NewResponseController(w), idle: s.cfg.IdleReadTimeout}
		}
		next.ServeHTTP(w, r)
	})
}

// idleBody fails a request body that sends nothing for idle: a stalled
// upload ends (and its temporary file is removed) instead of holding a
// connection and a file forever, while a slow but moving upload of any
// size still completes.
type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	return b.ReadCloser.Read(p)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// ReadFrom keeps sendfile(2) available to http.ServeContent through the
// wrapper.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := io.Copy(w.ResponseWriter, r)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController and http.ServeContent reach the
// underlying writer (sendfile via ReaderFrom).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request at debug level (errors at warn).
// It logs the path but never headers, so credentials never reach the log.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelDebug
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		if s.log.Enabled(r.Context(), level) {
			user := ""
			if p, _ := ecosystems.PrincipalFrom(r.Context()); !p.Anonymous() {
				user = p.User
			}
			s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "bytes", sw.bytes, "duration", time.Since(start), "user", user)
		}
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				api.WriteJSON(w, http.StatusInternalServerError, client.Error{Message: "internal server error"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}
