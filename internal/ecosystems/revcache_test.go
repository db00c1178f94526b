package ecosystems

import (
	"testing"

	"github.com/drok-dev/drok/internal/store"
)

func TestRevCache(t *testing.T) {
	c := NewRevCache[string](10_000)
	for i := range 20 {
		c.Put(store.PackageKey{Name: string(rune('a' + i))}, "v", 1, 1500)
	}
	if c.bytes > c.max || len(c.m) == 0 || len(c.m) == 20 {
		t.Fatalf("cache holds %d entries, %d bytes (max %d)", len(c.m), c.bytes, c.max)
	}
	k := store.PackageKey{Name: "z"}
	c.Put(k, "new", 5, 100)
	c.Put(k, "old", 3, 100)
	if v, rev, ok := c.Get(k); !ok || v != "new" || rev != 5 {
		t.Fatalf("Get = %q, %d, %v; an older value replaced a newer one", v, rev, ok)
	}
	c.Put(k, "newer", 6, 100)
	if v, _, _ := c.Get(k); v != "newer" {
		t.Fatalf("Get = %q after a newer Put", v)
	}
	if _, _, ok := c.Get(store.PackageKey{Name: "missing"}); ok {
		t.Fatal("Get of a missing key reported ok")
	}
}
