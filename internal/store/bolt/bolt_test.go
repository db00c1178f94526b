package bolt_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/store"
	"github.com/drok-dev/drok/internal/store/bolt"
	"github.com/drok-dev/drok/internal/store/storetest"
)

func open(t *testing.T, path string) *bolt.Index {
	t.Helper()
	idx, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

func TestConformance(t *testing.T) {
	storetest.RunIndex(t, func(t *testing.T) store.Index {
		return open(t, filepath.Join(t.TempDir(), "index.db"))
	})
}

func TestSecondOpenFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	open(t, path)
	start := time.Now()
	_, err := bolt.Open(path, 100*time.Millisecond)
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second open = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second open took %v", d)
	}
}
