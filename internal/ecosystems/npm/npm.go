// Package npm implements the npm registry protocol on top of the shared
// ecosystems pipeline: packuments (full and abbreviated), tarballs,
// publish, deprecate, unpublish, dist-tags, whoami, token login, search
// and the audit endpoints, plus `drok package publish` of .tgz files.
//
// The registry of org ORG lives at BASE/api/v1/packages/npm/ORG/. Users
// point npm at it with `drok setup npm`, which writes
//
//	registry=BASE/api/v1/packages/npm/ORG/
//	//HOST:PORT/api/v1/packages/npm/ORG/:_authToken=TOKEN
//
// into .npmrc. `npm login` cannot trade a password for a token here: it
// answers 401 with instructions unless npm already sends a valid drok
// token, which is then echoed back.
//
// The version manifests the registry serves are built from the tarball's
// own package/package.json (normalised as the npm client does when it
// publishes), never from the publish document, so what npm installs from
// (dependencies, bin, scripts, ...) is what the package declares.
//
// Yanked versions (drok's REST yank) are rendered as deprecated with the
// yank reason and never as "latest", so ranges avoid them while exact
// installs still work. Versions the org's vulnerability policy blocks are
// rendered as deprecated with the advisory message (appended to any
// deprecation they have), so ranges avoid them too; their tarballs are
// refused with 403. POST -/npm/v1/security/advisories/bulk reports the
// advisories drok matched, so `npm audit` lists them.
//
// Tarball downloads go through the pipeline's admission (blocking and the
// monthly bandwidth limit: 429 with Retry-After); a publish over the
// storage limit is refused with 413 before the tarball is kept.
package npm

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/drok-dev/drok/internal/ecosystems"
)

// Ecosystem is the npm protocol. It implements ecosystems.Ecosystem and
// ecosystems.FilePublisher.
type Ecosystem struct{}

var (
	_ ecosystems.Ecosystem     = (*Ecosystem)(nil)
	_ ecosystems.FilePublisher = (*Ecosystem)(nil)
	_ ecosystems.ErrorWriter   = (*Ecosystem)(nil)
)

// New returns the npm ecosystem.
func New() *Ecosystem { return &Ecosystem{} }

// Name returns "npm".
func (e *Ecosystem) Name() string { return ecosystems.NPM }

// Handler serves the npm registry protocol below
// /api/v1/packages/npm/{org}/. Paths the protocol does not claim go to
// env.REST.
func (e *Ecosystem) Handler(env *ecosystems.Env) http.Handler {
	return &handler{env: env, cache: ecosystems.NewRevCache[*pkgState](cacheBytes), searches: ecosystems.NewRevCache[*searchEntry](searchCacheSize)}
}

// WriteError writes a refused download (vulnerability blocking: 403,
// bandwidth limit: 429) as npm's {"error": msg}, which npm shows after
// the status line. It implements ecosystems.ErrorWriter.
func (e *Ecosystem) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := ecosystems.HTTPStatus(err)
	if status == http.StatusInternalServerError {
		slog.Default().Error("npm download failed", "path", r.URL.Path, "err", err)
	}
	writeError(w, status, ecosystems.PublicMessage(err))
}

// Normalize validates an npm package name (see ValidateName) and returns
// it unchanged: npm names are already canonical (lower-case).
func (e *Ecosystem) Normalize(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", fmt.Errorf("npm: %w", err)
	}
	return name, nil
}

// ValidVersion accepts strict semantic versions only.
func (e *Ecosystem) ValidVersion(v string) error { return ValidateVersion(v) }

// Compare orders versions by semver precedence.
func (e *Ecosystem) Compare(a, b string) int { return CompareVersions(a, b) }
