package store_test

import (
	"context"
	"testing"

	"github.com/drok-dev/drok/internal/store"
)

type genIndex struct {
	store.Index
	gen uint64
}

func (g *genIndex) Generation() uint64 { return g.gen }

func (g *genIndex) UpdateQuiet(context.Context, func(store.Tx) error) error { return nil }

func TestGenCache(t *testing.T) {
	idx := &genIndex{}
	c := store.NewGenCache[string, int](idx, 2)
	g := c.Begin()
	c.Put("a", 1, g)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get after Put = %v, %v", v, ok)
	}
	idx.gen++ // a write started
	if _, ok := c.Get("a"); ok {
		t.Error("entry survived a write")
	}
	c.Put("b", 2, g) // computed before the write: dropped
	if _, ok := c.Get("b"); ok {
		t.Error("stale Put was stored")
	}
	g = c.Begin()
	c.Put("x", 1, g)
	c.Put("y", 2, g)
	c.Put("z", 3, g) // over the bound: the map starts afresh
	if _, ok := c.Get("x"); ok {
		t.Error("cache grew past its bound")
	}
	if v, ok := c.Get("z"); !ok || v != 3 {
		t.Errorf("newest entry lost: %v, %v", v, ok)
	}
	var plain store.Index = &struct{ store.Index }{}
	nc := store.NewGenCache[string, int](plain, 10)
	nc.Put("a", 1, nc.Begin())
	if _, ok := nc.Get("a"); ok {
		t.Error("a cache over a non-generational index must stay empty")
	}
}
