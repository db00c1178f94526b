package blob

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

// CreateTemp implements store.TempAdopter.
func (s *Store) CreateTemp(pattern string) (*os.File, error) {
	f, err := os.CreateTemp(filepath.Join(s.root, tmpDir), pattern)
	if err != nil {
		return nil, fmt.Errorf("create temp blob: %w", err)
	}
	return f, nil
}

// Adopt implements store.TempAdopter. The file is fsynced before it can
// be committed.
func (s *Store) Adopt(path string, info store.BlobInfo) (store.Staged, error) {
	if !ValidDigest(info.SHA256) {
		return nil, fmt.Errorf("blob digest %q: %w", info.SHA256, store.ErrInvalid)
	}
	if filepath.Dir(path) != filepath.Join(s.root, tmpDir) {
		return nil, fmt.Errorf("adopt %s: not a temporary file of this store: %w", path, store.ErrInvalid)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("adopt temp blob: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() != info.Size {
		err = fmt.Errorf("temp blob has %d bytes, expected %d: %w", fi.Size(), info.Size, store.ErrInvalid)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("adopt temp blob: %w", err)
	}
	info.ModTime = time.Now()
	return &staged{s: s, tmp: path, info: info}, nil
}
