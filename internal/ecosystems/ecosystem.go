// Package ecosystems holds what every package protocol shares: the
// Ecosystem contract, the one access check (Authorize), and the publish /
// resolve pipeline that enforces immutability, tombstones, yanks, tags and
// the event outbox in single index transactions.
//
// Protocol packages (npm, pypi, ...) parse and render their native formats
// and call the Pipeline; they never touch bbolt directly.
package ecosystems

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/drok-dev/drok/internal/store"
)

// Ecosystem identifiers used in URLs, the REST API and the CLI.
const (
	NPM    = "npm"
	PyPI   = "pypi"
	Cargo  = "cargo"
	Docker = "docker"
	Maven  = "maven"
	NuGet  = "nuget"
)

// All lists every ecosystem identifier.
var All = []string{NPM, PyPI, Cargo, Docker, Maven, NuGet}

// Ecosystem is one package protocol.
type Ecosystem interface {
	// Name is the identifier (npm, pypi, ...).
	Name() string
	// Handler serves the native protocol. It is mounted at
	// /api/v1/packages/{name}/{org}/; Env.Rest returns the escaped path
	// below that prefix.
	Handler(env *Env) http.Handler
	// Normalize validates a package name and returns its canonical form.
	Normalize(name string) (string, error)
	// ValidVersion validates a version string.
	ValidVersion(v string) error
	// Compare orders two valid versions by the ecosystem's rules.
	Compare(a, b string) int
}

// Env is what an ecosystem handler gets from the daemon.
type Env struct {
	// BaseURL is the externally visible server URL, without trailing slash.
	BaseURL string
	// Pipeline publishes, resolves and serves packages.
	Pipeline *Pipeline
	// Log is the daemon's structured logger.
	Log *slog.Logger
	// REST serves the generic drok package routes (details, version delete)
	// for paths the native protocol does not claim.
	REST http.Handler
}

// Org returns the {org} path value of a request routed by the daemon.
func Org(r *http.Request) string { return r.PathValue("org") }

// Rest returns the still-escaped request path below
// /api/v1/packages/{eco}/{org}/ (no leading slash).
func Rest(r *http.Request) string {
	p := r.URL.EscapedPath()
	const prefix = "/api/v1/packages/"
	if !strings.HasPrefix(p, prefix) {
		return ""
	}
	p = p[len(prefix):]
	for range 2 { // skip {eco}/ and {org}/
		i := strings.IndexByte(p, '/')
		if i < 0 {
			return ""
		}
		p = p[i+1:]
	}
	return p
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,38}$`)

// ValidAccountName checks user, org and repository names: lower-case
// letters, digits and '-', at most 39 characters, starting with a letter
// or digit. Such names are safe in URLs and paths.
func ValidAccountName(kind, name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: %s name %q must be 1-39 lower-case letters, digits or '-', starting with a letter or digit", store.ErrInvalid, kind, name)
	}
	return nil
}

// HTTPStatus maps pipeline and store errors to an HTTP status code.
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrBadToken), errors.Is(err, ErrLoginRequired):
		return http.StatusUnauthorized
	case errors.Is(err, ErrDenied):
		return http.StatusForbidden
	case errors.Is(err, ErrBandwidth):
		return http.StatusTooManyRequests
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrQuota):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrTooLarge), errors.As(err, new(*http.MaxBytesError)):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, store.ErrIncomplete):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// ErrTooLarge reports a request body over the configured limit.
var ErrTooLarge = errors.New("request body too large")

// PublicMessage returns an error message safe to show a client: internal
// errors are replaced by a generic text (details go to the log).
func PublicMessage(err error) string {
	if HTTPStatus(err) == http.StatusInternalServerError {
		return "internal server error"
	}
	return err.Error()
}

// RootMounted is implemented by ecosystems whose protocol lives at fixed
// paths of the server rather than below /api/v1/packages/{name}/{org}/
// (OCI: /v2/). The daemon mounts the ecosystem's handler at each pattern
// as well.
type RootMounted interface {
	// RootPatterns are http.ServeMux patterns, e.g. "/v2/".
	RootPatterns() []string
}

// FilePublisher is implemented by ecosystems whose artifacts can be
// published from one file through the REST API (`drok package publish`).
type FilePublisher interface {
	// Accepts reports whether filename looks like this ecosystem's artifact.
	Accepts(filename string) bool
	// PublishFile reads the artifact from body (its metadata comes from the
	// archive itself) and publishes it into org for pr.
	PublishFile(ctx context.Context, env *Env, pr Principal, org, filename string, body io.Reader) (PublishResult, error)
}
