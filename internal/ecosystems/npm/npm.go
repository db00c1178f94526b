// Package npm implements the npm registry protocol on top of the shared
// ecosystems pipeline.
package npm

import (
	"net/http"

	"github.com/drok-dev/drok/internal/ecosystems"
)

// Ecosystem is the npm protocol.
type Ecosystem struct{}

// New returns the npm ecosystem.
func New() *Ecosystem { return &Ecosystem{} }

// Name returns "npm".
func (e *Ecosystem) Name() string { return ecosystems.NPM }

// Handler serves the npm registry protocol.
func (e *Ecosystem) Handler(env *ecosystems.Env) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotImplemented)
		_, _ = w.Write([]byte(`{"error":"npm protocol is being implemented"}` + "\n"))
	})
}

// Normalize validates an npm package name.
func (e *Ecosystem) Normalize(name string) (string, error) { return name, nil }

// ValidVersion validates a version.
func (e *Ecosystem) ValidVersion(v string) error { return nil }

// Compare orders versions.
func (e *Ecosystem) Compare(a, b string) int { return 0 }
