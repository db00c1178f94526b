package ecosystems

import "github.com/drok-dev/drok/internal/store"

// VersionResolver is implemented by ecosystems whose users name versions
// by something other than the version string (OCI: a tag for a manifest
// digest). The REST yank resolves the caller's reference through it.
type VersionResolver interface {
	// ResolveVersion returns the version ref names in pkg, or ref itself.
	ResolveVersion(pkg store.Package, ref string) string
}
