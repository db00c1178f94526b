// Package cargo implements Cargo's alternate-registry protocol on top of
// the shared ecosystems pipeline: the sparse index (RFC 2789), the web API
// (publish, yank, unyank, owners, search, download) and `drok package
// publish` of .crate files.
//
// The registry of org ORG lives at BASE/api/v1/packages/cargo/ORG/. Users
// point cargo at it with `drok setup cargo`, which writes
//
//	[registries.drok]
//	index = "sparse+BASE/api/v1/packages/cargo/ORG/"
//	credential-provider = "cargo:token"
//
// to ~/.cargo/config.toml and the token to ~/.cargo/credentials.toml.
//
// Index entries are built from the publish metadata cargo sends, after
// checking that it agrees with the Cargo.toml inside the .crate (name,
// version, dependencies, features, links, rust-version). Crate names are
// compared as the public Rust registry compares them: ASCII case and '-'/'_' do not
// matter, so `Foo_Bar` and `foo-bar` are one package, and only the
// spelling first published is accepted afterwards. Versions are semver;
// two versions that differ only in build metadata conflict.
//
// A yank sets `"yanked": true` in the index: cargo no longer selects the
// version for new lock files, while a Cargo.lock that pins it still
// builds (downloads keep working).
//
// Versions the org's vulnerability policy blocks are written as yanked
// too, so new resolutions pick another version (an exact `=x.y.z`
// requirement on one fails to resolve); their .crate downloads are
// refused with 403 naming the advisories, so a Cargo.lock pinning one no
// longer builds. Downloads count against the monthly bandwidth limit
// (429 with Retry-After when exceeded) and a publish over the storage
// limit is refused with 413 before the crate is kept.
package cargo

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// Ecosystem is the Cargo protocol. It implements ecosystems.Ecosystem and
// ecosystems.FilePublisher.
type Ecosystem struct{}

var (
	_ ecosystems.Ecosystem     = (*Ecosystem)(nil)
	_ ecosystems.FilePublisher = (*Ecosystem)(nil)
	_ ecosystems.ErrorWriter   = (*Ecosystem)(nil)
)

// New returns the Cargo ecosystem.
func New() *Ecosystem { return &Ecosystem{} }

// Name returns "cargo".
func (e *Ecosystem) Name() string { return ecosystems.Cargo }

// Handler serves the sparse index and the web API below
// /api/v1/packages/cargo/{org}/. Paths the protocol does not claim go to
// env.REST.
func (e *Ecosystem) Handler(env *ecosystems.Env) http.Handler { return newHandler(env) }

// WriteError writes a refused download (vulnerability blocking: 403,
// bandwidth limit: 429) as cargo's {"errors": [{"detail": msg}]}, which
// cargo prints with the status. It implements ecosystems.ErrorWriter.
func (e *Ecosystem) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := ecosystems.HTTPStatus(err)
	if status == http.StatusInternalServerError {
		slog.Default().Error("cargo download failed", "path", r.URL.Path, "err", err)
	}
	writeErrors(w, status, ecosystems.PublicMessage(err))
}

// Normalize validates a crate name and returns its canonical form: ASCII
// lower case with '_' replaced by '-'.
func (e *Ecosystem) Normalize(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", fmt.Errorf("cargo: %w", err)
	}
	return Canonical(name), nil
}

// ValidVersion accepts semantic versions (build metadata allowed).
func (e *Ecosystem) ValidVersion(v string) error { return ValidateVersion(v) }

// Compare orders versions by semver precedence (build metadata breaks
// ties by string order so the order is total).
func (e *Ecosystem) Compare(a, b string) int { return CompareVersions(a, b) }

func (h *handler) key(org, name string) store.PackageKey {
	return store.PackageKey{Ecosystem: ecosystems.Cargo, Org: org, Name: Canonical(name)}
}
