package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

type handler struct {
	env       *ecosystems.Env
	tokens    *tokenService
	uploads   *uploads
	manifests *manifestCache
	service   string
}

func newHandler(env *ecosystems.Env) *handler {
	service := "drok"
	if u, err := url.Parse(env.BaseURL); err == nil && u.Host != "" {
		service = u.Host
	}
	return &handler{env: env, tokens: newTokenService(env.Pipeline.Index), uploads: newUploads(env.Pipeline.Blobs),
		manifests: newManifestCache(16 << 20), service: service}
}

// ociError is an error with its OCI error code and HTTP status.
type ociError struct {
	status int
	code   string
	err    error
	detail any
	// scope is added to the challenge of a 401 (a mount source).
	scope string
}

func (e *ociError) Error() string { return e.err.Error() }
func (e *ociError) Unwrap() error { return e.err }

func oerr(status int, code string, err error) error {
	return &ociError{status: status, code: code, err: err}
}

var errImmutableTag = errors.New("immutable tag")

// ServeHTTP routes /v2/ requests (and hands the REST package routes to
// env.REST), after resolving registry tokens and checking their scopes.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/v2") {
		if r.Method == http.MethodDelete {
			h.restDelete(w, r)
			return
		}
		h.env.REST.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	rt, err := ParseRoute(r.URL.Path)
	if err != nil {
		status, code := http.StatusBadRequest, "NAME_INVALID"
		if errors.Is(err, ErrNoRoute) {
			status, code = http.StatusNotFound, "NAME_UNKNOWN"
		}
		h.fail(w, r, rt, oerr(status, code, err))
		return
	}
	if rt.Org != "" {
		if err := ecosystems.ValidAccountName("org", rt.Org); err != nil {
			h.fail(w, r, rt, oerr(http.StatusNotFound, "NAME_UNKNOWN", fmt.Errorf("repository %s/%s: %w", rt.Org, rt.Image, store.ErrNotFound)))
			return
		}
	}
	r = h.withRegistryToken(r)
	if act := neededScope(r.Method, rt.Kind); act != "" && !scopeAllows(r.Context(), act, rt.name()) {
		// Answer what the principal itself would get (404 for an invisible
		// repository, 403...), and 401 with the challenge only when the
		// principal may do it but the token was issued for less.
		need := ecosystems.Read
		if act == "push" {
			need = ecosystems.Write
		}
		p, err := h.principal(r)
		if err == nil {
			err = h.authorize(r.Context(), p, need, rt)
		}
		if err == nil {
			err = oerr(http.StatusUnauthorized, "UNAUTHORIZED",
				fmt.Errorf("the registry token does not grant %s on %s; ask /v2/token for that scope", act, rt.name()))
		}
		h.fail(w, r, rt, err)
		return
	}
	switch rt.Kind {
	case RoutePing:
		h.ping(w, r, rt)
	case RouteToken:
		h.token(w, r)
	case RouteCatalog:
		h.catalog(w, r, rt)
	case RouteTags:
		h.tagsList(w, r, rt)
	case RouteManifest:
		h.manifest(w, r, rt)
	case RouteBlob:
		h.blob(w, r, rt)
	case RouteUploadStart:
		h.uploadStart(w, r, rt)
	case RouteUpload:
		h.upload(w, r, rt)
	case RouteReferrers:
		h.referrers(w, r, rt)
	default:
		h.fail(w, r, rt, oerr(http.StatusNotFound, "NAME_UNKNOWN", errors.New("no such endpoint")))
	}
}

func (rt Route) key() store.PackageKey {
	return store.PackageKey{Ecosystem: ecosystems.Docker, Org: rt.Org, Name: rt.Image}
}

func (rt Route) name() string { return rt.Org + "/" + rt.Image }

// principal returns the caller: a drok token (Bearer or Basic, resolved
// by the daemon) or a registry token issued by /v2/token (resolved by
// withRegistryToken).
func (h *handler) principal(r *http.Request) (ecosystems.Principal, error) {
	return ecosystems.PrincipalFrom(r.Context())
}

type scopeKey struct{}

// withRegistryToken resolves a registry token the daemon could not (it
// only knows drok tokens): the request then carries the token's
// principal and the scopes it grants.
func (h *handler) withRegistryToken(r *http.Request) *http.Request {
	_, err := ecosystems.PrincipalFrom(r.Context())
	if err == nil || !errors.Is(err, ecosystems.ErrBadToken) {
		return r
	}
	raw := bearer(r)
	if !looksLikeJWT(raw) {
		return r
	}
	p, access, err := h.tokens.verify(r.Context(), raw)
	ctx := ecosystems.WithPrincipal(r.Context(), p, err)
	if err == nil {
		ctx = context.WithValue(ctx, scopeKey{}, access)
	}
	return r.WithContext(ctx)
}

// neededScope is the token action a request needs: pull to read, push
// to change, "" for routes outside one repository.
func neededScope(method string, kind int) string {
	switch kind {
	case RoutePing, RouteToken, RouteCatalog:
		return ""
	}
	if method == http.MethodGet || method == http.MethodHead {
		return "pull"
	}
	return "push"
}

// scopeAllows reports whether the request's registry token (if it bears
// one) grants act on repository name. Drok tokens are not scoped.
func scopeAllows(ctx context.Context, act, name string) bool {
	access, scoped := ctx.Value(scopeKey{}).([]accessEntry)
	if !scoped {
		return true
	}
	for _, e := range access {
		if e.Type != "repository" || e.Name != name {
			continue
		}
		for _, a := range e.Actions {
			if a == act || a == "*" || (act == "push" && a == "delete") {
				return true
			}
		}
	}
	return false
}

func bearer(r *http.Request) string {
	scheme, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if strings.EqualFold(scheme, "bearer") {
		return strings.TrimSpace(rest)
	}
	return ""
}

// needsMethod answers 405 when r's method is not one of methods.
func (h *handler) needsMethod(w http.ResponseWriter, r *http.Request, rt Route, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	h.fail(w, r, rt, oerr(http.StatusMethodNotAllowed, "UNSUPPORTED", fmt.Errorf("method %s is not allowed here", r.Method)))
	return false
}

func (h *handler) ping(w http.ResponseWriter, r *http.Request, rt Route) {
	p, err := h.principal(r)
	if err == nil && p.Anonymous() {
		err = ecosystems.ErrLoginRequired
	}
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("{}"))
}

// challenge is the WWW-Authenticate value for route rt.
func (h *handler) challenge(r *http.Request, rt Route) string {
	c := fmt.Sprintf(`Bearer realm="%s/v2/token",service="%s"`, h.env.BaseURL, h.service)
	switch {
	case rt.Org != "":
		act := "pull"
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			act = "pull,push"
		}
		c += fmt.Sprintf(`,scope="repository:%s:%s"`, rt.name(), act)
		if from := r.URL.Query().Get("from"); from != "" && rt.Kind == RouteUploadStart && validRepoName(from) {
			c = strings.TrimSuffix(c, `"`) + fmt.Sprintf(` repository:%s:pull"`, from)
		}
	case rt.Kind == RouteCatalog:
		c += `,scope="registry:catalog:*"`
	}
	return c
}

func validRepoName(s string) bool {
	org, img, ok := strings.Cut(s, "/")
	return ok && ecosystems.ValidAccountName("org", org) == nil && ValidateImageName(img) == nil
}

type errorBody struct {
	Errors []errorEntry `json:"errors"`
}

type errorEntry struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

// fail writes err as an OCI error document.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, rt Route, err error) {
	status, code := http.StatusInternalServerError, "UNKNOWN"
	var oe *ociError
	var detail any
	switch {
	case errors.As(err, &oe):
		status, code, detail = oe.status, oe.code, oe.detail
	case errors.Is(err, ecosystems.ErrBadToken), errors.Is(err, ecosystems.ErrLoginRequired):
		status, code = http.StatusUnauthorized, "UNAUTHORIZED"
	case errors.Is(err, store.ErrQuota):
		// DENIED rather than SIZE_INVALID (a length mismatch): clients
		// print "DENIED: storage limit exceeded: …" and do not retry.
		status, code = http.StatusRequestEntityTooLarge, "DENIED"
	case errors.Is(err, ecosystems.ErrBandwidth):
		status, code = http.StatusTooManyRequests, "TOOMANYREQUESTS"
		ecosystems.SetRetryAfter(w, err)
	case errors.Is(err, ecosystems.ErrDenied):
		status, code = http.StatusForbidden, "DENIED"
	case errors.Is(err, ErrDigestInvalid):
		status, code = http.StatusBadRequest, "DIGEST_INVALID"
	case errors.Is(err, ErrNameInvalid):
		status, code = http.StatusBadRequest, "NAME_INVALID"
	case errors.Is(err, ErrTagInvalid):
		status, code = http.StatusBadRequest, "TAG_INVALID"
	case errors.Is(err, ErrManifestInvalid):
		status, code = http.StatusBadRequest, "MANIFEST_INVALID"
	case errors.Is(err, ErrRangeInvalid):
		status, code = http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID"
	case errors.Is(err, errImmutableTag):
		status, code = http.StatusConflict, "DENIED"
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
		switch rt.Kind {
		case RouteManifest:
			code = "MANIFEST_UNKNOWN"
		case RouteBlob:
			code = "BLOB_UNKNOWN"
		case RouteUpload:
			code = "BLOB_UPLOAD_UNKNOWN"
		default:
			code = "NAME_UNKNOWN"
		}
	default:
		status = ecosystems.HTTPStatus(err)
		switch status {
		case http.StatusBadRequest:
			code = "BLOB_UPLOAD_INVALID"
			if rt.Kind == RouteManifest {
				code = "MANIFEST_INVALID"
			}
		case http.StatusConflict:
			code = "DENIED"
		case http.StatusRequestEntityTooLarge:
			code = "SIZE_INVALID"
		case http.StatusUnauthorized:
			code = "UNAUTHORIZED"
		case http.StatusForbidden:
			code = "DENIED"
		}
	}
	msg := err.Error()
	if status >= 500 {
		h.env.Log.Error("oci request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal server error"
	}
	if status == http.StatusUnauthorized {
		c := h.challenge(r, rt)
		if oe != nil && oe.scope != "" && !strings.Contains(c, oe.scope) {
			c = strings.TrimSuffix(c, `"`) + " " + oe.scope + `"`
		}
		w.Header().Set("WWW-Authenticate", c)
	}
	writeJSON(w, status, "application/json", errorBody{Errors: []errorEntry{{Code: code, Message: msg, Detail: detail}}})
}

func writeJSON(w http.ResponseWriter, status int, ct string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// authorize checks act on the repository of rt for the request's caller.
func (h *handler) authorize(ctx context.Context, p ecosystems.Principal, act ecosystems.Action, rt Route) error {
	return h.env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		return ecosystems.Authorize(tx, p, act, rt.key())
	})
}

// caller returns the principal and checks act on rt in one step.
func (h *handler) caller(r *http.Request, act ecosystems.Action, rt Route) (ecosystems.Principal, error) {
	p, err := h.principal(r)
	if err != nil {
		return p, err
	}
	return p, h.authorize(r.Context(), p, act, rt)
}
