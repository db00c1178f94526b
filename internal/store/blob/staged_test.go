package blob_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/drok-dev/drok/internal/store"
	"github.com/drok-dev/drok/internal/store/blob"
)

// TestReadStagedBeforeCommit: staged bytes can be read back (random
// access) before Commit, and are not visible in the store until then.
func TestReadStagedBeforeCommit(t *testing.T) {
	s, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Stage(context.Background(), bytes.NewReader([]byte("hello, staged world")), "")
	if err != nil {
		t.Fatal(err)
	}
	rs, ok := st.(store.ReadableStaged)
	if !ok {
		t.Fatal("blob store's staged blobs are not readable")
	}
	f, err := rs.OpenStaged()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := f.ReadAt(buf, 7); err != nil || string(buf) != "staged" {
		t.Fatalf("ReadAt: %q %v", buf, err)
	}
	all, _ := io.ReadAll(f)
	f.Close()
	if string(all) != "hello, staged world" {
		t.Fatalf("read %q", all)
	}
	if _, err := s.Stat(st.Info().SHA256); err == nil {
		t.Fatal("staged blob visible before Commit")
	}
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.OpenStaged(); err == nil {
		t.Error("OpenStaged after Commit succeeded")
	}
}
