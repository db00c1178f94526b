package blob_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/drok-dev/drok/internal/store"
	"github.com/drok-dev/drok/internal/store/blob"
	"github.com/drok-dev/drok/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.RunBlobs(t, func(t *testing.T) store.Blobs {
		s, err := blob.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpenReclaimsTempFiles(t *testing.T) {
	root := t.TempDir()
	if _, err := blob.Open(root); err != nil {
		t.Fatal(err)
	}
	stray := filepath.Join(root, "tmp", "put-123")
	if err := os.WriteFile(stray, []byte("half a layer"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := blob.Open(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Errorf("stray temp file survived a restart: %v", err)
	}
}
