package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/store"
	"github.com/drok-dev/drok/internal/store/blob"
)

func TestAdoptTempFile(t *testing.T) {
	root := t.TempDir()
	s, err := blob.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("a layer written over several requests")
	sum := sha256.Sum256(data)
	info := store.BlobInfo{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	write := func() string {
		f, err := s.CreateTemp("upload-*")
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
		f.Close()
		if filepath.Dir(f.Name()) != filepath.Join(root, "tmp") {
			t.Fatalf("temp file outside the store's temporary area: %s", f.Name())
		}
		return f.Name()
	}

	// wrong size and foreign paths are refused; the file stays the caller's
	p := write()
	if _, err := s.Adopt(p, store.BlobInfo{SHA256: info.SHA256, Size: 1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("wrong size: %v", err)
	}
	outside := filepath.Join(t.TempDir(), "x")
	os.WriteFile(outside, data, 0o600)
	if _, err := s.Adopt(outside, info); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("file outside the store: %v", err)
	}
	if _, err := s.Adopt(p, store.BlobInfo{SHA256: "nothex", Size: info.Size}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad digest: %v", err)
	}
	if _, err := s.Stat(info.SHA256); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused adoption stored the blob: %v", err)
	}

	st, err := s.Adopt(p, info)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(info.SHA256); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("blob visible before Commit")
	}
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
	rc, _, err := s.Open(info.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("adopted blob = %q", got)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("temp file still there after commit")
	}

	// committing the same bytes again refreshes the blob's time (the
	// garbage collector's grace window) and keeps one copy
	old := time.Now().Add(-48 * time.Hour)
	final := filepath.Join(root, "sha256", info.SHA256[:2], info.SHA256[2:4], info.SHA256)
	os.Chtimes(final, old, old)
	st2, err := s.Stage(context.Background(), bytes.NewReader(data), info.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := st2.Commit(); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(final)
	if time.Since(fi.ModTime()) > time.Minute {
		t.Errorf("deduplicated commit did not refresh the time: %v", fi.ModTime())
	}
	entries, _ := os.ReadDir(filepath.Join(root, "tmp"))
	if len(entries) != 0 {
		t.Errorf("%d temporary files left", len(entries))
	}
}
