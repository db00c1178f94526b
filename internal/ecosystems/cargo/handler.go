package cargo

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

type handler struct {
	env   *ecosystems.Env
	index *ecosystems.RevCache[*indexFile]
	orgs  *store.GenCache[string, orgFacts]
}

func newHandler(env *ecosystems.Env) *handler {
	return &handler{env: env, index: ecosystems.NewRevCache[*indexFile](indexCacheBytes),
		orgs: store.NewGenCache[string, orgFacts](env.Pipeline.Index, 10000)}
}

// request is one Cargo request.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	pr    ecosystems.Principal
	org   string
	route Route
}

const badTokenMsg = "invalid, expired or revoked token: create a new one with `drok token create` and run `drok setup cargo`"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := &request{w: w, r: r, org: ecosystems.Org(r), route: ParseRoute(ecosystems.Rest(r))}
	var err error
	if q.route.Kind != RouteUnknown {
		if q.pr, err = ecosystems.PrincipalFrom(r.Context()); err != nil {
			h.fail(q, ecosystems.ErrBadToken)
			return
		}
	}
	m := r.Method
	get := m == http.MethodGet || m == http.MethodHead
	switch q.route.Kind {
	case RouteConfig:
		h.onlyGet(q, get, h.config)
	case RouteIndex:
		h.onlyGet(q, get, h.indexFile)
	case RouteSearch:
		h.onlyGet(q, get, h.search)
	case RouteDownload:
		h.onlyGet(q, get, h.download)
	case RoutePublish:
		if m != http.MethodPut {
			notAllowed(q, "PUT")
			return
		}
		h.publish(q)
	case RouteYank, RouteUnyank:
		want := http.MethodDelete
		if q.route.Kind == RouteUnyank {
			want = http.MethodPut
		}
		if m != want {
			notAllowed(q, want)
			return
		}
		h.yank(q, q.route.Kind == RouteYank)
	case RouteOwners:
		switch m {
		case http.MethodGet, http.MethodHead:
			h.owners(q)
		case http.MethodPut, http.MethodDelete:
			h.changeOwners(q, m == http.MethodPut)
		default:
			notAllowed(q, "GET, PUT, DELETE")
		}
	case RouteInvalid:
		h.fail(q, q.route.Err)
	default:
		if h.env.REST != nil {
			h.env.REST.ServeHTTP(w, r)
			return
		}
		writeErrors(w, http.StatusNotFound, "not found")
	}
}

func (h *handler) onlyGet(q *request, get bool, fn func(*request)) {
	if !get {
		notAllowed(q, "GET, HEAD")
		return
	}
	if q.route.Err != nil {
		h.fail(q, q.route.Err)
		return
	}
	fn(q)
}

func notAllowed(q *request, allow string) {
	q.w.Header().Set("Allow", allow)
	writeErrors(q.w, http.StatusMethodNotAllowed, "method not allowed")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":[{"detail":"internal server error"}]}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeErrors writes cargo's error body, whose detail cargo shows.
func writeErrors(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]string{{"detail": detail}}})
}

// fail writes err in cargo's format. Anonymous callers that would need
// to log in get 401 with a Cargo challenge when the org requires
// authentication (so cargo sends its token) and 404 otherwise.
func (h *handler) fail(q *request, err error) {
	status := ecosystems.HTTPStatus(err)
	msg := ecosystems.PublicMessage(err)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		status, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than the limit of %d bytes", mbe.Limit)
	case errors.Is(err, ecosystems.ErrBadToken):
		msg = badTokenMsg
	case errors.Is(err, ecosystems.ErrLoginRequired):
		if q.isWrite() || h.facts(q).authRequired {
			status = http.StatusUnauthorized
			msg = "authentication required: configure a token with `drok setup cargo` (or set CARGO_REGISTRIES_DROK_TOKEN)"
		} else {
			status, msg = http.StatusNotFound, notFoundMsg(q)
		}
	case status == http.StatusNotFound && !errors.As(err, new(notFound)):
		msg = notFoundMsg(q)
	case status == http.StatusInternalServerError && h.env.Log != nil:
		h.env.Log.Error("cargo request failed", "method", q.r.Method, "path", q.r.URL.Path, "err", err)
	}
	if status == http.StatusUnauthorized {
		q.w.Header().Set("WWW-Authenticate", `Cargo login_url="`+h.env.BaseURL+`"`)
	}
	writeErrors(q.w, status, msg)
}

func (q *request) isWrite() bool {
	switch q.route.Kind {
	case RoutePublish, RouteYank, RouteUnyank:
		return true
	case RouteOwners:
		return q.r.Method != http.MethodGet && q.r.Method != http.MethodHead
	}
	return false
}

// notFound is a "not found" whose message is safe and more precise than
// the generic one (a version of a visible crate).
type notFound string

func (e notFound) Error() string { return string(e) }
func (e notFound) Unwrap() error { return store.ErrNotFound }

func notFoundMsg(q *request) string {
	switch {
	case q.route.Kind == RouteConfig:
		return "no such registry"
	case q.route.Name != "":
		return fmt.Sprintf("crate %s not found", quote(q.route.Name))
	}
	return "not found"
}

// base is the registry root of org, without trailing slash.
func (h *handler) base(org string) string {
	return h.env.BaseURL + "/api/v1/packages/cargo/" + org
}
