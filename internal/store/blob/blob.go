// Package blob implements store.Blobs as content-addressed files:
// ROOT/sha256/ab/cd/<hex>. Writes stream to a temporary file while
// hashing, are fsynced and then renamed into place, so a reader never sees
// a partial blob and a crash leaves at most a stray temporary file, which
// Open removes on the next start.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

// Store is a filesystem blob store.
type Store struct {
	root string
}

const tmpDir = "tmp"

// Open prepares root (creating it) and removes temporary files left by a
// previous process.
func Open(root string) (*Store, error) {
	for _, d := range []string{root, filepath.Join(root, "sha256"), filepath.Join(root, tmpDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("blob store %s: %w", root, err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, tmpDir))
	if err != nil {
		return nil, fmt.Errorf("blob store %s: %w", root, err)
	}
	for _, e := range entries {
		_ = os.Remove(filepath.Join(root, tmpDir, e.Name()))
	}
	return &Store{root: root}, nil
}

// ValidDigest reports whether s is a lower-case sha256 hex string.
func ValidDigest(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (s *Store) path(digest string) (string, error) {
	if !ValidDigest(digest) {
		return "", fmt.Errorf("blob digest %q: %w", digest, store.ErrInvalid)
	}
	return filepath.Join(s.root, "sha256", digest[:2], digest[2:4], digest), nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read marks the source's errors with store.ErrIncomplete so that callers
// can tell a client that stopped sending from a failing disk.
func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("%w: %w", store.ErrIncomplete, err)
	}
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", store.ErrIncomplete, err)
	}
	return n, err
}

// staged is a received blob in the tmp directory.
type staged struct {
	s    *Store
	tmp  string
	info store.BlobInfo
	done bool
}

func (b *staged) Info() store.BlobInfo { return b.info }

var _ store.ReadableStaged = (*staged)(nil)

// OpenStaged implements store.ReadableStaged.
func (b *staged) OpenStaged() (store.StagedFile, error) {
	if b.done {
		return nil, errors.New("blob already committed or discarded")
	}
	f, err := os.Open(b.tmp)
	if err != nil {
		return nil, fmt.Errorf("open staged blob: %w", err)
	}
	return f, nil
}

func (b *staged) Discard() {
	if !b.done {
		os.Remove(b.tmp)
		b.done = true
	}
}

// Commit renames the staged file into place and fsyncs the directories it
// created, so an acknowledged blob survives a crash.
func (b *staged) Commit() error {
	if b.done {
		return errors.New("blob already committed or discarded")
	}
	final, _ := b.s.path(b.info.SHA256)
	if fi, err := os.Stat(final); err == nil && fi.Size() == b.info.Size {
		b.Discard() // deduplicated
		// Refresh the time so garbage collection's grace window protects
		// bytes that a publish in progress is about to reference again.
		now := time.Now()
		if os.Chtimes(final, now, now) == nil {
			b.info.ModTime = now
		} else {
			b.info.ModTime = fi.ModTime()
		}
		return nil
	}
	if err := b.s.mkdirs(filepath.Dir(final)); err != nil {
		b.Discard()
		return fmt.Errorf("blob dir: %w", err)
	}
	if err := os.Rename(b.tmp, final); err != nil {
		b.Discard()
		return fmt.Errorf("commit blob: %w", err)
	}
	b.done = true
	if err := syncDir(filepath.Dir(final)); err != nil {
		return fmt.Errorf("sync blob dir: %w", err)
	}
	return nil
}

// mkdirs creates dir (below the store root) and fsyncs the parent of
// every directory it creates.
func (s *Store) mkdirs(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir && parent != s.root {
		if err := s.mkdirs(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

// Stage implements store.Blobs.
func (s *Store) Stage(ctx context.Context, r io.Reader, want string) (store.Staged, error) {
	if want != "" && !ValidDigest(want) {
		return nil, fmt.Errorf("blob digest %q: %w", want, store.ErrInvalid)
	}
	tmp, err := os.CreateTemp(filepath.Join(s.root, tmpDir), "put-*")
	if err != nil {
		return nil, fmt.Errorf("create temp blob: %w", err)
	}
	fail := func(err error) (store.Staged, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err != nil {
		return fail(fmt.Errorf("write blob: %w", err))
	}
	digest := hex.EncodeToString(h.Sum(nil))
	if want != "" && want != digest {
		return fail(fmt.Errorf("content sha256 is %s, expected %s: %w", digest, want, store.ErrInvalid))
	}
	if err := tmp.Sync(); err != nil {
		return fail(fmt.Errorf("sync blob: %w", err))
	}
	if err := tmp.Close(); err != nil {
		return fail(fmt.Errorf("close blob: %w", err))
	}
	return &staged{s: s, tmp: tmp.Name(), info: store.BlobInfo{SHA256: digest, Size: n, ModTime: time.Now()}}, nil
}

// Put implements store.Blobs.
func (s *Store) Put(ctx context.Context, r io.Reader, want string) (store.BlobInfo, error) {
	st, err := s.Stage(ctx, r, want)
	if err != nil {
		return store.BlobInfo{}, err
	}
	if err := st.Commit(); err != nil {
		return store.BlobInfo{}, err
	}
	return st.Info(), nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open implements store.Blobs.
func (s *Store) Open(digest string) (store.BlobReader, store.BlobInfo, error) {
	p, err := s.path(digest)
	if err != nil {
		return nil, store.BlobInfo{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, store.BlobInfo{}, fmt.Errorf("blob %s: %w", digest, store.ErrNotFound)
		}
		return nil, store.BlobInfo{}, fmt.Errorf("open blob %s: %w", digest, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, store.BlobInfo{}, fmt.Errorf("stat blob %s: %w", digest, err)
	}
	return f, store.BlobInfo{SHA256: digest, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Stat implements store.Blobs.
func (s *Store) Stat(digest string) (store.BlobInfo, error) {
	p, err := s.path(digest)
	if err != nil {
		return store.BlobInfo{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return store.BlobInfo{}, fmt.Errorf("blob %s: %w", digest, store.ErrNotFound)
		}
		return store.BlobInfo{}, fmt.Errorf("stat blob %s: %w", digest, err)
	}
	return store.BlobInfo{SHA256: digest, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete implements store.Blobs.
func (s *Store) Delete(digest string) error {
	p, err := s.path(digest)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", digest, err)
	}
	return nil
}

// Walk implements store.Blobs.
func (s *Store) Walk(fn func(store.BlobInfo) error) error {
	return filepath.WalkDir(filepath.Join(s.root, "sha256"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !ValidDigest(d.Name()) || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return fn(store.BlobInfo{SHA256: d.Name(), Size: fi.Size(), ModTime: fi.ModTime()})
	})
}
