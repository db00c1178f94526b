package store

import "sync"

// GenCache is a bounded in-memory map of derived data whose entries are
// valid only while the index generation they were computed at is current:
// any write transaction empties it. It is a no-op when the index is not
// Generational.
type GenCache[K comparable, V any] struct {
	idx Generational
	max int

	mu  sync.RWMutex
	gen uint64
	m   map[K]V
}

// NewGenCache returns a cache over idx holding at most max entries.
func NewGenCache[K comparable, V any](idx Index, max int) *GenCache[K, V] {
	g, _ := idx.(Generational)
	return &GenCache[K, V]{idx: g, max: max, m: map[K]V{}}
}

// Begin returns the generation to pass to Put; call it before reading the
// index to compute a value.
func (c *GenCache[K, V]) Begin() uint64 {
	if c.idx == nil {
		return 0
	}
	return c.idx.Generation()
}

// Get returns a current entry.
func (c *GenCache[K, V]) Get(k K) (V, bool) {
	var zero V
	if c.idx == nil {
		return zero, false
	}
	cur := c.idx.Generation()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.gen != cur {
		return zero, false
	}
	v, ok := c.m[k]
	return v, ok
}

// Put stores v, computed from an index read that started at generation
// gen; it is dropped when a write has happened since.
func (c *GenCache[K, V]) Put(k K, v V, gen uint64) {
	if c.idx == nil || c.idx.Generation() != gen {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || len(c.m) >= c.max {
		c.m = map[K]V{}
		c.gen = gen
	}
	c.m[k] = v
}
