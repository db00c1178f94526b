// Package storetest is the conformance suite every store implementation
// runs: RunIndex for store.Index, RunBlobs for store.Blobs.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

// RunIndex runs the index conformance suite; newIndex returns a fresh,
// empty index for each subtest.
func RunIndex(t *testing.T, newIndex func(t *testing.T) store.Index) {
	ctx := context.Background()
	t.Run("NotFound", func(t *testing.T) {
		idx := newIndex(t)
		err := idx.View(ctx, func(tx store.Tx) error {
			checks := []error{}
			_, err := tx.User("nobody")
			checks = append(checks, err)
			_, err = tx.Token("x")
			checks = append(checks, err)
			_, err = tx.TokenByHash([]byte("h"))
			checks = append(checks, err)
			_, err = tx.Org("o")
			checks = append(checks, err)
			_, err = tx.Repo("o", "r")
			checks = append(checks, err)
			_, err = tx.Package(store.PackageKey{Ecosystem: "npm", Org: "o", Name: "p"})
			checks = append(checks, err)
			_, err = tx.Version(store.PackageKey{Ecosystem: "npm", Org: "o", Name: "p"}, "1.0.0")
			checks = append(checks, err)
			for i, e := range checks {
				if !errors.Is(e, store.ErrNotFound) {
					t.Errorf("lookup %d: got %v, want ErrNotFound", i, e)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		idx := newIndex(t)
		now := time.Now().UTC().Truncate(time.Second)
		k := store.PackageKey{Ecosystem: "npm", Org: "acme", Name: "@acme/left-pad"}
		err := idx.Update(ctx, func(tx store.Tx) error {
			must(t, tx.PutUser(store.User{Name: "ann", Admin: true, Created: now}))
			must(t, tx.PutToken(store.Token{ID: "t1", User: "ann", Name: "ci", Scopes: []string{"package:read"}, Hash: []byte("hash1"), Created: now}))
			must(t, tx.PutOrg(store.Org{Name: "acme", Members: map[string]store.Role{"ann": store.RoleOwner}}))
			must(t, tx.PutRepo(store.Repo{Org: "acme", Name: "web", Visibility: store.Private}))
			must(t, tx.PutRepo(store.Repo{Org: "acmex", Name: "other", Visibility: store.Public}))
			must(t, tx.PutPackage(store.Package{PackageKey: k, Repo: "web", Rev: 1}))
			for _, v := range []string{"1.0.0", "0.9.0", "2.0.0-rc.1"} {
				must(t, tx.PutVersion(store.Version{PackageKey: k, Version: v, Files: []store.File{{Name: v + ".tgz", SHA256: strings.Repeat("a", 64)}}}))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = idx.View(ctx, func(tx store.Tx) error {
			u, err := tx.User("ann")
			if err != nil || !u.Admin || !u.Created.Equal(now) {
				t.Errorf("user = %+v, %v", u, err)
			}
			tok, err := tx.TokenByHash([]byte("hash1"))
			if err != nil || tok.ID != "t1" || tok.Name != "ci" {
				t.Errorf("token by hash = %+v, %v", tok, err)
			}
			toks, err := tx.Tokens("ann")
			if err != nil || len(toks) != 1 {
				t.Errorf("tokens = %v, %v", toks, err)
			}
			repos, err := tx.Repos("acme")
			if err != nil || len(repos) != 1 || repos[0].Name != "web" {
				t.Errorf("repos(acme) = %+v, %v (a prefix must not match acmex)", repos, err)
			}
			vs, err := tx.Versions(k)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				got = append(got, v.Version)
			}
			if strings.Join(got, ",") != "1.0.0,0.9.0,2.0.0-rc.1" {
				t.Errorf("versions in publish order = %v", got)
			}
			pkgs, err := tx.PackageList(store.PackageFilter{Org: "acme", Repo: "web"})
			if err != nil || len(pkgs) != 1 || pkgs[0].Name != k.Name {
				t.Errorf("packages = %+v, %v", pkgs, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("UpdateRollsBack", func(t *testing.T) {
		idx := newIndex(t)
		boom := errors.New("boom")
		err := idx.Update(ctx, func(tx store.Tx) error {
			must(t, tx.PutOrg(store.Org{Name: "gone"}))
			if _, err := tx.AppendEvent(store.Event{Type: store.EventPublished}); err != nil {
				t.Fatal(err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update returned %v, want boom", err)
		}
		_ = idx.View(ctx, func(tx store.Tx) error {
			if _, err := tx.Org("gone"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("org survived a failed transaction: %v", err)
			}
			if evs, _ := tx.EventsAfter(0, 10); len(evs) != 0 {
				t.Errorf("event survived a failed transaction: %v", evs)
			}
			return nil
		})
	})

	t.Run("PruneEvents", func(t *testing.T) {
		idx := newIndex(t)
		old := time.Now().Add(-48 * time.Hour)
		must(t, idx.Update(ctx, func(tx store.Tx) error {
			for i := range 5 {
				e := store.Event{Type: store.EventPublished, Version: fmt.Sprint(i), Time: old}
				if i >= 3 {
					e.Time = time.Now()
				}
				if _, err := tx.AppendEvent(e); err != nil {
					return err
				}
			}
			return nil
		}))
		cutoff := time.Now().Add(-time.Hour)
		must(t, idx.Update(ctx, func(tx store.Tx) error {
			// Only up to seq 2 (the cursor), although seq 3 is old too.
			n, err := tx.PruneEvents(2, cutoff)
			if n != 2 {
				t.Errorf("pruned %d events, want 2", n)
			}
			return err
		}))
		must(t, idx.Update(ctx, func(tx store.Tx) error {
			// Up to seq 5, but 4 and 5 are recent.
			n, err := tx.PruneEvents(5, cutoff)
			if n != 1 {
				t.Errorf("pruned %d events, want 1", n)
			}
			return err
		}))
		_ = idx.View(ctx, func(tx store.Tx) error {
			evs, err := tx.EventsAfter(0, 0)
			if err != nil || len(evs) != 2 || evs[0].Seq != 4 {
				t.Errorf("left %+v, %v; want events 4 and 5", evs, err)
			}
			return nil
		})
		must(t, idx.Update(ctx, func(tx store.Tx) error {
			seq, err := tx.AppendEvent(store.Event{Type: store.EventPublished})
			if seq != 6 {
				t.Errorf("next sequence %d, want 6 (never reused)", seq)
			}
			return err
		}))
	})

	t.Run("VersionUpdateKeepsOrder", func(t *testing.T) {
		idx := newIndex(t)
		k := store.PackageKey{Ecosystem: "pypi", Org: "o", Name: "p"}
		_ = idx.Update(ctx, func(tx store.Tx) error {
			must(t, tx.PutVersion(store.Version{PackageKey: k, Version: "1"}))
			must(t, tx.PutVersion(store.Version{PackageKey: k, Version: "2"}))
			must(t, tx.PutVersion(store.Version{PackageKey: k, Version: "1", Yanked: true}))
			return nil
		})
		_ = idx.View(ctx, func(tx store.Tx) error {
			vs, err := tx.Versions(k)
			if err != nil || len(vs) != 2 || vs[0].Version != "1" || !vs[0].Yanked {
				t.Errorf("versions after update = %+v, %v", vs, err)
			}
			return nil
		})
	})

	t.Run("OutboxConcurrent", func(t *testing.T) {
		idx := newIndex(t)
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = idx.Update(ctx, func(tx store.Tx) error {
					_, err := tx.AppendEvent(store.Event{Type: store.EventPublished, Version: fmt.Sprint(i)})
					return err
				})
			}()
		}
		wg.Wait()
		_ = idx.View(ctx, func(tx store.Tx) error {
			evs, err := tx.EventsAfter(0, 0)
			if err != nil || len(evs) != 16 {
				t.Fatalf("events = %d, %v", len(evs), err)
			}
			for i := 1; i < len(evs); i++ {
				if evs[i].Seq <= evs[i-1].Seq {
					t.Errorf("events out of order: %d after %d", evs[i].Seq, evs[i-1].Seq)
				}
			}
			tail, _ := tx.EventsAfter(evs[13].Seq, 10)
			if len(tail) != 2 {
				t.Errorf("EventsAfter tail = %d events, want 2", len(tail))
			}
			return nil
		})
	})

	runAux(t, newIndex)
}

// RunBlobs runs the blob store conformance suite.
func RunBlobs(t *testing.T, newBlobs func(t *testing.T) store.Blobs) {
	ctx := context.Background()
	data := []byte("hello, registry")
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])

	t.Run("PutOpen", func(t *testing.T) {
		b := newBlobs(t)
		info, err := b.Put(ctx, bytes.NewReader(data), "")
		if err != nil || info.SHA256 != digest || info.Size != int64(len(data)) {
			t.Fatalf("Put = %+v, %v", info, err)
		}
		again, err := b.Put(ctx, bytes.NewReader(data), digest)
		if err != nil || again.SHA256 != digest {
			t.Fatalf("second Put = %+v, %v", again, err)
		}
		rc, st, err := b.Open(digest)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if _, err := rc.Seek(7, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		rest, _ := io.ReadAll(rc)
		if string(rest) != "registry" || st.Size != int64(len(data)) {
			t.Errorf("read after seek = %q (size %d)", rest, st.Size)
		}
		n := 0
		if err := b.Walk(func(store.BlobInfo) error { n++; return nil }); err != nil || n != 1 {
			t.Errorf("Walk saw %d blobs, %v", n, err)
		}
	})

	t.Run("DigestMismatchStoresNothing", func(t *testing.T) {
		b := newBlobs(t)
		_, err := b.Put(ctx, bytes.NewReader(data), strings.Repeat("0", 64))
		if !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("Put with wrong digest = %v, want ErrInvalid", err)
		}
		if _, err := b.Stat(digest); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("blob stored despite mismatch: %v", err)
		}
	})

	t.Run("BadDigests", func(t *testing.T) {
		b := newBlobs(t)
		for _, d := range []string{"", "../../etc/passwd", strings.Repeat("A", 64), strings.Repeat("a", 63), "sha256:" + digest} {
			if _, _, err := b.Open(d); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Open(%q) = %v, want ErrInvalid", d, err)
			}
		}
	})

	t.Run("ReaderErrorStoresNothing", func(t *testing.T) {
		b := newBlobs(t)
		_, err := b.Put(ctx, io.MultiReader(bytes.NewReader(data), failingReader{}), "")
		if err == nil {
			t.Fatal("Put succeeded with a failing reader")
		}
		n := 0
		_ = b.Walk(func(store.BlobInfo) error { n++; return nil })
		if n != 0 {
			t.Errorf("%d blobs after a failed Put", n)
		}
	})

	t.Run("StageCommitDiscard", func(t *testing.T) {
		b := newBlobs(t)
		st, err := b.Stage(ctx, bytes.NewReader(data), digest)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Stat(digest); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("staged blob visible before Commit: %v", err)
		}
		st.Discard()
		if err := st.Commit(); err == nil {
			t.Error("Commit after Discard succeeded")
		}
		n := 0
		_ = b.Walk(func(store.BlobInfo) error { n++; return nil })
		if n != 0 {
			t.Errorf("%d blobs after Discard", n)
		}
		st, err = b.Stage(ctx, bytes.NewReader(data), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Commit(); err != nil {
			t.Fatal(err)
		}
		st.Discard() // after Commit: must not remove the committed blob
		if info, err := b.Stat(digest); err != nil || info.Size != int64(len(data)) {
			t.Errorf("committed blob = %+v, %v", info, err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		b := newBlobs(t)
		if _, err := b.Put(ctx, bytes.NewReader(data), ""); err != nil {
			t.Fatal(err)
		}
		if err := b.Delete(digest); err != nil {
			t.Fatal(err)
		}
		if err := b.Delete(digest); err != nil {
			t.Errorf("second delete: %v", err)
		}
		if _, _, err := b.Open(digest); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Open after delete = %v", err)
		}
	})
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
