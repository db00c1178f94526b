package oci

import (
	"bytes"
	"testing"
)

func TestLRUBytes(t *testing.T) {
	c := newLRUBytes(100)
	c.put("a", bytes.Repeat([]byte("a"), 20))
	c.put("b", bytes.Repeat([]byte("b"), 20))
	c.put("huge", bytes.Repeat([]byte("h"), 30)) // over a quarter of the budget
	if _, ok := c.get("huge"); ok {
		t.Error("an entry over a quarter of the budget was cached")
	}
	c.get("a") // a is now the most recent
	for _, k := range []string{"c", "d", "e", "f"} {
		c.put(k, bytes.Repeat([]byte(k), 20))
	}
	if _, ok := c.get("b"); ok {
		t.Error("least recently used entry not evicted")
	}
	if v, ok := c.get("a"); !ok || len(v) != 20 {
		t.Error("recently used entry evicted")
	}
	if c.size > 100 {
		t.Errorf("size %d over budget", c.size)
	}
}
