package oci

import (
	"container/list"
	"sync"
)

// lruBytes is a byte-bounded LRU of immutable byte slices.
type lruBytes struct {
	mu    sync.Mutex
	max   int
	size  int
	ll    *list.List
	items map[string]*list.Element
}

type lruEntry struct {
	key string
	val []byte
}

func newLRUBytes(max int) *lruBytes {
	return &lruBytes{max: max, ll: list.New(), items: map[string]*list.Element{}}
}

func (c *lruBytes) get(k string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*lruEntry).val, true
	}
	return nil, false
}

func (c *lruBytes) put(k string, v []byte) {
	if len(v) > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[k]; ok {
		return
	}
	c.items[k] = c.ll.PushFront(&lruEntry{k, v})
	c.size += len(v)
	for c.size > c.max {
		e := c.ll.Back()
		ent := e.Value.(*lruEntry)
		c.ll.Remove(e)
		delete(c.items, ent.key)
		c.size -= len(ent.val)
	}
}
