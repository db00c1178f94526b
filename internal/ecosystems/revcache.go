package ecosystems

import (
	"sync"

	"github.com/drok-dev/drok/internal/store"
)

// RevCache keeps one value per package (a rendered index page, a parsed
// document) together with the package revision it was built from, within
// an approximate byte budget. Callers check validity against the package
// record they just authorized (Package.Rev), so entries never need
// explicit invalidation; a value built from an older revision never
// replaces a newer one.
type RevCache[V any] struct {
	mu    sync.Mutex
	m     map[store.PackageKey]revEntry[V]
	bytes int64
	max   int64
}

type revEntry[V any] struct {
	v    V
	rev  int64
	size int64
}

// NewRevCache returns an empty cache holding about maxBytes.
func NewRevCache[V any](maxBytes int64) *RevCache[V] {
	return &RevCache[V]{m: map[store.PackageKey]revEntry[V]{}, max: maxBytes}
}

// Get returns the cached value of k and the revision it was built from.
func (c *RevCache[V]) Get(k store.PackageKey) (v V, rev int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e.v, e.rev, ok
}

// Put stores v, built from revision rev of k and weighing about size
// bytes, unless a newer revision is already cached. Arbitrary entries are
// evicted to stay within the budget.
func (c *RevCache[V]) Put(k store.PackageKey, v V, rev, size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok {
		if old.rev > rev {
			return
		}
		c.bytes -= old.size
		delete(c.m, k)
	}
	for c.bytes+size > c.max && len(c.m) > 0 {
		for ek, e := range c.m {
			c.bytes -= e.size
			delete(c.m, ek)
			break
		}
	}
	c.m[k] = revEntry[V]{v: v, rev: rev, size: size}
	c.bytes += size
}
