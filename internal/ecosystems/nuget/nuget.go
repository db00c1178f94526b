// Package nuget implements the NuGet protocols on top of the shared
// ecosystems pipeline: the v3 feed (service index, push, unlist/relist,
// flat container, registrations, search, autocomplete, symbol packages)
// and, beside it, the v2 OData feed that nuget.exe 2.x, Chocolatey and
// PowerShellGet use.
//
// The feed of org ORG lives at BASE/api/v1/packages/nuget/ORG/: the v3
// service index is index.json below it, the v2 feed is the root itself.
// Package ids are case-insensitive (stored lower-case, shown as first
// pushed); versions are stored in NuGet's normalised form, lower-case.
//
// Unlisting (DELETE on the publish resource, or `drok package yank`) is a
// drok yank: the version leaves search and floating resolution
// (registration listed=false) but still restores by exact version.
// Versions the org's vulnerability policy blocks are shown unlisted too,
// and their files answer 403; registration leaves list the advisories of
// every flagged version in catalogEntry.vulnerabilities.
package nuget

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// Ecosystem is the NuGet protocol. It implements ecosystems.Ecosystem,
// ecosystems.FilePublisher and ecosystems.ErrorWriter.
type Ecosystem struct{}

var (
	_ ecosystems.Ecosystem     = (*Ecosystem)(nil)
	_ ecosystems.FilePublisher = (*Ecosystem)(nil)
	_ ecosystems.ErrorWriter   = (*Ecosystem)(nil)
)

// New returns the NuGet ecosystem.
func New() *Ecosystem { return &Ecosystem{} }

// Name returns "nuget".
func (e *Ecosystem) Name() string { return ecosystems.NuGet }

// Handler serves both NuGet feeds below /api/v1/packages/nuget/{org}/.
func (e *Ecosystem) Handler(env *ecosystems.Env) http.Handler {
	return &handler{env: env, views: newViewCache(viewCacheSize),
		lists: store.NewGenCache[listKey, listResult](env.Pipeline.Index, 1000),
		hot:   store.NewGenCache[hotKey, *rendered](env.Pipeline.Index, 100000)}
}

// Normalize validates a package id and returns it lower-case.
func (e *Ecosystem) Normalize(name string) (string, error) {
	n, err := NormalizeID(name)
	if err != nil {
		return "", fmt.Errorf("nuget: %w", err)
	}
	return n, nil
}

// ValidVersion accepts versions in drok's storage form: NuGet-normalised
// and lower-case.
func (e *Ecosystem) ValidVersion(v string) error {
	k, err := NormalizeVersion(v)
	if err != nil {
		return err
	}
	if k != v {
		return fmt.Errorf("%w %q: stored versions are normalised (%s)", ErrVersion, v, k)
	}
	return nil
}

// NormalizeVersion returns the storage form of a version as users write it.
func (e *Ecosystem) NormalizeVersion(v string) (string, error) { return NormalizeVersion(v) }

// Compare orders versions by NuGet's rules.
func (e *Ecosystem) Compare(a, b string) int { return CompareVersions(a, b) }

// Accepts reports whether filename is a .nupkg.
func (e *Ecosystem) Accepts(filename string) bool {
	return strings.HasSuffix(strings.ToLower(filename), ".nupkg")
}

// PublishFile publishes a .nupkg through the REST API; id and version come
// from its .nuspec (a file name of the form ID.VERSION.nupkg must agree).
func (e *Ecosystem) PublishFile(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, org, filename string, body io.Reader) (ecosystems.PublishResult, error) {
	return publishNupkg(ctx, env, pr, org, filename, body, false)
}
