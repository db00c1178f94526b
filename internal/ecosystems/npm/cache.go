package npm

import (
	"bytes"
	"compress/gzip"
	"strconv"
	"sync"

	"github.com/drok-dev/drok/internal/store"
)

// Document variants cached per package state.
const (
	variantFull = iota
	variantAbbreviated
	numVariants
)

// rendered is one encoded document, with a gzip copy for clients that
// accept it.
type rendered struct {
	body []byte
	gz   []byte
	etag string
}

// pkgState is a package as rendered at one revision. It is immutable once
// built except for the lazily rendered documents.
type pkgState struct {
	rev  int64
	repo string
	doc  *Packument

	once [numVariants]sync.Once
	docs [numVariants]*rendered
}

// matches reports whether st still describes pkg. Download counts are
// deliberately not part of it: they change on every counter flush (every
// few seconds on a busy registry) without a new revision, and checking
// them would re-render packuments and defeat If-None-Match for nothing an
// install uses. The "drok.downloads" figures in a cached packument
// therefore lag until the package next changes; the REST API reports
// current counts.
func (st *pkgState) matches(pkg store.Package) bool {
	return st.rev == pkg.Rev && st.repo == pkg.Repo
}

// render returns the encoded variant, building it once.
func (st *pkgState) render(variant int) *rendered {
	st.once[variant].Do(func() {
		var body []byte
		name := "full"
		if variant == variantAbbreviated {
			body = st.doc.Abbreviated()
			name = "corgi"
		} else {
			body = st.doc.Full()
		}
		r := &rendered{body: body, etag: `W/"npm-` + name + "-" + strconv.FormatInt(st.rev, 10) + `"`}
		if len(body) > 1024 {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			_, _ = zw.Write(body)
			if zw.Close() == nil {
				r.gz = buf.Bytes()
			}
		}
		st.docs[variant] = r
	})
	return st.docs[variant]
}

// stateSize estimates the memory st holds: parsed manifests plus up to
// two renderings of each.
func stateSize(st *pkgState) int64 {
	size := int64(4096)
	for _, v := range st.doc.versions {
		size += int64(len(v.Meta)) * 4
	}
	return size
}
