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
	size int64
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

// docCache keeps the latest pkgState of recently read packages, bounded by
// an approximate byte budget. Validity is checked by the caller after the
// access check (rev, repo), so entries never need explicit invalidation.
type docCache struct {
	mu    sync.Mutex
	m     map[store.PackageKey]*pkgState
	bytes int64
	max   int64
}

func newDocCache(maxBytes int64) *docCache {
	return &docCache{m: map[store.PackageKey]*pkgState{}, max: maxBytes}
}

func (c *docCache) get(k store.PackageKey) *pkgState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

// put stores st for k unless a newer state is already cached.
func (c *docCache) put(k store.PackageKey, st *pkgState) {
	var size int64
	for _, v := range st.doc.versions {
		size += int64(len(v.Meta)) * 4 // parsed metas plus up to two renderings
	}
	st.size = size + 4096
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		if old.rev > st.rev {
			return
		}
		c.bytes -= old.size
	}
	for c.bytes+st.size > c.max && len(c.m) > 0 {
		for ek, e := range c.m { // evict an arbitrary entry
			c.bytes -= e.size
			delete(c.m, ek)
			break
		}
	}
	c.m[k] = st
	c.bytes += st.size
}
