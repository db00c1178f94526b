// Package oci implements the OCI distribution API (v1.1) and the Docker
// registry token flow on top of the shared ecosystems pipeline.
//
// Images live at BASE/v2/{org}/{image}/… (nested image names allowed).
// In drok's model an image is a package of the "docker" ecosystem named
// {image} in {org}; every manifest is a version whose version string is
// its digest ("sha256:…") and whose one file holds the exact manifest
// bytes; tags are the package's tags (tag → digest). A yanked manifest is
// left out of tags/list but still pulls by tag or digest.
//
// Blobs are stored once (content addressed by sha256) and linked to each
// repository they were pushed to or mounted into: a blob is readable
// through a repository only when it is linked there. Links live in the
// index's Aux area (namespace "oci"). Upload sessions are temporary files
// in the blob store's temporary area plus an in-memory record; they end
// when committed, cancelled, or collected as abandoned.
package oci

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// Ecosystem is the OCI/Docker protocol. It implements
// ecosystems.Ecosystem, ecosystems.RootMounted and
// ecosystems.FilePublisher.
type Ecosystem struct {
	mu sync.Mutex
	h  *handler
}

var (
	_ ecosystems.Ecosystem     = (*Ecosystem)(nil)
	_ ecosystems.RootMounted   = (*Ecosystem)(nil)
	_ ecosystems.ErrorWriter   = (*Ecosystem)(nil)
	_ ecosystems.ContentLister = (*Ecosystem)(nil)
)

// New returns the OCI ecosystem.
func New() *Ecosystem { return &Ecosystem{} }

// Name returns "docker".
func (e *Ecosystem) Name() string { return ecosystems.Docker }

// RootPatterns mounts the handler at /v2/ (and /v2 for clients that
// ping without the slash).
func (e *Ecosystem) RootPatterns() []string { return []string{"/v2/", "/v2"} }

// Handler serves the distribution API at /v2/ and the generic REST
// routes below /api/v1/packages/docker/{org}/. One handler (and one set
// of upload sessions) exists per Ecosystem.
func (e *Ecosystem) Handler(env *ecosystems.Env) http.Handler {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.h == nil || e.h.env != env {
		e.h = newHandler(env)
	}
	return e.h
}

// Normalize validates an image name (below the org) and returns it.
func (e *Ecosystem) Normalize(name string) (string, error) {
	if err := ValidateImageName(name); err != nil {
		return "", fmt.Errorf("docker: %w", err)
	}
	return name, nil
}

// ValidVersion accepts manifest digests (the version strings of images).
func (e *Ecosystem) ValidVersion(v string) error {
	if _, err := ParseDigest(v); err != nil {
		return fmt.Errorf("docker: version must be a manifest digest: %w", err)
	}
	return nil
}

// Compare orders digests lexically (manifests have no inherent order).
func (e *Ecosystem) Compare(a, b string) int { return strings.Compare(a, b) }

// ResolveVersion maps a tag to the manifest digest it points at, so
// `drok package yank docker ORG/IMAGE TAG` yanks that manifest.
func (e *Ecosystem) ResolveVersion(pkg store.Package, ref string) string {
	if d, ok := pkg.Tags[ref]; ok && !strings.Contains(ref, ":") {
		return d
	}
	return ref
}

// LargeBody reports blob uploads (POST, PATCH and PUT below
// /v2/…/blobs/uploads/): they stream to a temporary file, so the daemon's
// upload limit applies rather than its general body limit.
func (e *Ecosystem) LargeBody(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || !strings.HasPrefix(r.URL.Path, "/v2/") {
		return false
	}
	rt, err := ParseRoute(r.URL.Path)
	return err == nil && (rt.Kind == RouteUpload || rt.Kind == RouteUploadStart)
}

// WriteError renders err as an OCI error document (errcode JSON):
// 429 TOOMANYREQUESTS with Retry-After for the bandwidth limit, 403
// DENIED naming the advisories for a blocked manifest, 413 DENIED for
// the storage limit.
func (e *Ecosystem) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	rt, _ := ParseRoute(r.URL.Path)
	if h := e.handler(); h != nil {
		h.fail(w, r, rt, err)
		return
	}
	ecosystems.SetRetryAfter(w, err)
	status := ecosystems.HTTPStatus(err)
	code := "UNKNOWN"
	switch status {
	case http.StatusTooManyRequests:
		code = "TOOMANYREQUESTS"
	case http.StatusForbidden, http.StatusRequestEntityTooLarge:
		code = "DENIED"
	case http.StatusNotFound:
		code = "NAME_UNKNOWN"
	}
	writeJSON(w, status, "application/json", errorBody{Errors: []errorEntry{{Code: code, Message: ecosystems.PublicMessage(err)}}})
}

// Contents returns the package URLs listed by the SBOMs attached to
// manifest version v (see sbom.go), for advisory matching.
func (e *Ecosystem) Contents(v store.Version) []string {
	if len(v.Meta) == 0 {
		return nil
	}
	m, err := decodeMeta(v)
	if err != nil {
		return nil
	}
	return m.Packages
}
