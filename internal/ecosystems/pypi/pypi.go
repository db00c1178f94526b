// Package pypi implements the Python package index protocols on top of
// the shared ecosystems pipeline: the legacy upload API that twine uses,
// the simple repository API in HTML (PEP 503) and JSON (PEP 691/700) with
// PEP 592 yanks and PEP 658/714 metadata files, file downloads, and
// `drok package publish` of wheels and sdists.
//
// The index of org ORG lives at BASE/api/v1/packages/pypi/ORG/:
//
//	POST ORG/                          twine upload (multipart, :action=file_upload)
//	GET  ORG/simple/                   project list (only projects the caller can see)
//	GET  ORG/simple/{project}/         project page (other spellings redirect)
//	GET  ORG/files/{project}/{version}/{filename}[.metadata]
//	GET  ORG/pypi/{project}[/{version}]/json   warehouse-style JSON
//
// Authentication is HTTP Basic with user __token__ and a drok token as the
// password; pages a caller must log in for answer 401 with
// WWW-Authenticate: Basic, which makes pip retry with its credentials.
//
// What the index serves about a file (name, version, Requires-Python, the
// metadata file) comes from the archive itself (.dist-info/METADATA,
// PKG-INFO); the upload form only has to agree with it. A filename can be
// uploaded once: a different file under a used name is 409 forever, also
// after deletion, while a byte-identical retry succeeds.
//
// The org's plan and policy apply to every file of a version (the wheel
// or sdist and a wheel's metadata file): uploads past the storage limit
// are refused before anything is stored (413), downloads past the
// bandwidth limit are refused (429), and releases blocked for their
// advisories are marked yanked on the simple pages while their files
// answer 403. These refusals carry their message as the HTTP reason
// phrase, which is what pip and twine print.
package pypi

import (
	"fmt"
	"net/http"

	"github.com/drok-dev/drok/internal/ecosystems"
)

// Ecosystem is the PyPI protocol. It implements ecosystems.Ecosystem and
// ecosystems.FilePublisher.
type Ecosystem struct{}

var (
	_ ecosystems.Ecosystem         = (*Ecosystem)(nil)
	_ ecosystems.FilePublisher     = (*Ecosystem)(nil)
	_ ecosystems.VersionNormalizer = (*Ecosystem)(nil)
)

// New returns the PyPI ecosystem.
func New() *Ecosystem { return &Ecosystem{} }

// Name returns "pypi".
func (e *Ecosystem) Name() string { return ecosystems.PyPI }

// Handler serves the PyPI protocols below /api/v1/packages/pypi/{org}/.
// Paths the protocol does not claim go to env.REST.
func (e *Ecosystem) Handler(env *ecosystems.Env) http.Handler { return newHandler(env) }

// Normalize validates a project name (PEP 508) and returns its PEP 503
// normalised form.
func (e *Ecosystem) Normalize(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	return NormalizeName(name), nil
}

// ValidVersion accepts PEP 440 versions in their normalised form.
func (e *Ecosystem) ValidVersion(v string) error {
	n, err := ParseVersion(v)
	if err != nil {
		return err
	}
	if n != v {
		return fmt.Errorf("%w: %q is not normalised (use %q)", ErrVersion, v, n)
	}
	return nil
}

// NormalizeVersion returns the stored (PEP 440 normalised) form of a
// version as a user may type it, so `drok package yank pkg@1.0-1` finds
// 1.0.post1 (ecosystems.VersionNormalizer).
func (e *Ecosystem) NormalizeVersion(v string) (string, error) { return ParseVersion(v) }

// Compare orders versions by PEP 440.
func (e *Ecosystem) Compare(a, b string) int { return CompareVersions(a, b) }
