package pypi

import (
	"fmt"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

var _ ecosystems.BlobReferencer = (*Ecosystem)(nil)

// BlobRefs keeps the PEP 658 metadata files of the wheels of live
// versions: they are blobs of their own that Version.Files does not list.
func (e *Ecosystem) BlobRefs(tx store.Tx, _ time.Time, _ time.Duration, keep func(string)) (int, error) {
	pkgs, err := tx.PackageList(store.PackageFilter{Ecosystem: ecosystems.PyPI})
	if err != nil {
		return 0, fmt.Errorf("list projects: %w", err)
	}
	for _, pkg := range pkgs {
		vs, err := tx.Versions(pkg.PackageKey)
		if err != nil {
			return 0, fmt.Errorf("versions of %s: %w", pkg.Name, err)
		}
		for _, v := range vs {
			if v.IsDeleted() {
				continue
			}
			for _, fm := range decodeVersionMeta(v.Meta).Files {
				if fm.MetadataSHA256 != "" {
					keep(fm.MetadataSHA256)
				}
			}
		}
	}
	return 0, nil
}
