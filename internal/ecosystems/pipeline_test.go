package ecosystems_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
	"github.com/drok-dev/drok/internal/store/blob"
	"github.com/drok-dev/drok/internal/store/bolt"
)

var ctx = context.Background()

type fakeEco struct{}

func (fakeEco) Name() string                         { return "npm" }
func (fakeEco) Handler(*ecosystems.Env) http.Handler { return http.NotFoundHandler() }
func (fakeEco) Normalize(n string) (string, error)   { return strings.ToLower(n), nil }
func (fakeEco) Compare(a, b string) int              { return strings.Compare(a, b) }
func (fakeEco) ValidVersion(v string) error {
	if v == "" || strings.ContainsAny(v, "/ ") {
		return store.ErrInvalid
	}
	return nil
}

type fixture struct {
	p     *ecosystems.Pipeline
	dir   string
	admin ecosystems.Principal
	ann   ecosystems.Principal // org member
}

func newFixture(t *testing.T, dir string) *fixture {
	t.Helper()
	idx, err := bolt.Open(filepath.Join(dir, "index.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	blobs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	p := ecosystems.NewPipeline(idx, blobs)
	p.Register(fakeEco{})
	err = idx.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Org("acme"); err == nil {
			return nil
		}
		_ = tx.PutUser(store.User{Name: "root", Admin: true})
		_ = tx.PutUser(store.User{Name: "ann"})
		_ = tx.PutRepo(store.Repo{Org: "acme", Name: "web", Visibility: store.Private, Collaborators: map[string]store.Permission{}})
		return tx.PutOrg(store.Org{Name: "acme", Members: map[string]store.Role{"root": store.RoleOwner, "ann": store.RoleMember}})
	})
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"package:read", "package:write", "admin"}
	return &fixture{p: p, dir: dir,
		admin: ecosystems.Principal{User: "root", SiteAdmin: true, Scopes: all},
		ann:   ecosystems.Principal{User: "ann", Scopes: all}}
}

func (f *fixture) file(t *testing.T, content string) store.File {
	t.Helper()
	info, err := f.p.Blobs.Put(ctx, bytes.NewReader([]byte(content)), "")
	if err != nil {
		t.Fatal(err)
	}
	return store.File{Name: "pkg.tgz", SHA256: info.SHA256, Size: info.Size}
}

var key = store.PackageKey{Ecosystem: "npm", Org: "acme", Name: "left-pad"}

func TestConcurrentPublishOneWinner(t *testing.T) {
	f := newFixture(t, t.TempDir())
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	var winner string
	for i := range 16 {
		content := strings.Repeat("x", i+1)
		file := f.file(t, content)
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.p.Publish(ctx, f.admin, ecosystems.PublishRequest{Key: key, Version: "1.0.0", Files: []store.File{file}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && !res.Retried:
				wins++
				winner = file.SHA256
			case errors.Is(err, store.ErrConflict):
				conflicts++
			default:
				t.Errorf("unexpected result %+v, %v", res, err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 15 {
		t.Fatalf("wins=%d conflicts=%d, want 1 and 15", wins, conflicts)
	}
	res, err := f.p.Resolve(ctx, f.admin, key)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Versions[0].Files[0].SHA256; got != winner {
		t.Errorf("stored %s, winner was %s", got, winner)
	}
	n := 0
	_ = f.p.Index.View(ctx, func(tx store.Tx) error {
		evs, _ := tx.EventsAfter(0, 0)
		n = len(evs)
		return nil
	})
	if n != 1 {
		t.Errorf("%d published events, want exactly 1", n)
	}
}

func TestIdenticalRetryAndTombstoneSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, dir)
	file := f.file(t, "v1")
	req := ecosystems.PublishRequest{Key: key, Version: "1.0.0", Files: []store.File{file}}
	if _, err := f.p.Publish(ctx, f.ann, req); err != nil {
		t.Fatal(err)
	}
	res, err := f.p.Publish(ctx, f.ann, req)
	if err != nil || !res.Retried {
		t.Fatalf("identical retry = %+v, %v; want success marked Retried", res, err)
	}
	other := req
	other.Files = []store.File{f.file(t, "different")}
	if _, err := f.p.Publish(ctx, f.ann, other); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("different bytes: %v, want ErrConflict", err)
	}
	if err := f.p.DeleteVersion(ctx, f.ann, key, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.Publish(ctx, f.ann, req); !errors.Is(err, store.ErrTombstoned) {
		t.Fatalf("republish after delete: %v, want ErrTombstoned", err)
	}
	// Restart: reopen the same directory.
	f.p.Index.Close()
	f2 := newFixture(t, dir)
	if _, err := f2.p.Publish(ctx, f2.ann, req); !errors.Is(err, store.ErrTombstoned) {
		t.Fatalf("republish after restart: %v, want ErrTombstoned", err)
	}
}

func TestInvalidPublishBurnsNothing(t *testing.T) {
	f := newFixture(t, t.TempDir())
	file := f.file(t, "x")
	if _, err := f.p.Publish(ctx, f.ann, ecosystems.PublishRequest{Key: key, Version: "bad version", Files: []store.File{file}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad version: %v", err)
	}
	reader := ecosystems.Principal{User: "ann", Scopes: []string{"package:read"}}
	if _, err := f.p.Publish(ctx, reader, ecosystems.PublishRequest{Key: key, Version: "1.0.0", Files: []store.File{file}}); !errors.Is(err, ecosystems.ErrDenied) {
		t.Fatalf("read token publish: %v, want ErrDenied", err)
	}
	if _, err := f.p.Resolve(ctx, f.admin, key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("package exists after refused publishes: %v", err)
	}
	if _, err := f.p.Publish(ctx, f.ann, ecosystems.PublishRequest{Key: key, Version: "1.0.0", Files: []store.File{file}}); err != nil {
		t.Fatalf("version burned by a refused publish: %v", err)
	}
}

func TestYankAndAutoLink(t *testing.T) {
	f := newFixture(t, t.TempDir())
	k := store.PackageKey{Ecosystem: "npm", Org: "acme", Name: "@acme/web"}
	if _, err := f.p.Publish(ctx, f.admin, ecosystems.PublishRequest{Key: k, Version: "1.0.0", Files: []store.File{f.file(t, "a")}}); err != nil {
		t.Fatal(err)
	}
	res, _ := f.p.Resolve(ctx, f.admin, k)
	if res.Package.Repo != "web" {
		t.Errorf("package not linked to the same-name repository: %q", res.Package.Repo)
	}
	// Linked to a private repo without collaborators: the member ann no longer sees it.
	if _, err := f.p.Resolve(ctx, f.ann, k); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("member sees a private package: %v", err)
	}
	v, err := f.p.Yank(ctx, f.admin, k, "1.0.0", true, "broken")
	if err != nil || !v.Yanked || v.YankReason != "broken" {
		t.Fatalf("yank = %+v, %v", v, err)
	}
	if _, err := f.p.Yank(ctx, f.admin, k, "9.9.9", true, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("yank of a missing version: %v", err)
	}
	v, err = f.p.Yank(ctx, f.admin, k, "1.0.0", false, "")
	if err != nil || v.Yanked {
		t.Fatalf("unyank = %+v, %v", v, err)
	}
}

func TestDeleteVersionsChecksRevision(t *testing.T) {
	f := newFixture(t, t.TempDir())
	for _, v := range []string{"1.0.0", "1.0.1"} {
		if _, err := f.p.Publish(ctx, f.ann, ecosystems.PublishRequest{Key: key, Version: v, Files: []store.File{f.file(t, v)}}); err != nil {
			t.Fatal(err)
		}
	}
	res, _ := f.p.Resolve(ctx, f.ann, key)
	rev := res.Package.Rev
	if err := f.p.DeleteVersions(ctx, f.ann, key, []string{"1.0.0"}, rev); err != nil {
		t.Fatal(err)
	}
	if err := f.p.DeleteVersions(ctx, f.ann, key, []string{"1.0.1"}, rev); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale revision: %v, want ErrConflict", err)
	}
	if err := f.p.DeleteVersions(ctx, f.ann, key, []string{"1.0.1", "9.9.9"}, -1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing version: %v, want ErrNotFound", err)
	}
	res, _ = f.p.Resolve(ctx, f.ann, key)
	if len(res.Live()) != 1 {
		t.Errorf("a failed multi-delete changed something: %d live versions", len(res.Live()))
	}
}

// TestAutoLinkOnlyOnCreate: a writer cannot move an existing unlinked
// package into a (public) repository by naming it in new metadata.
func TestAutoLinkOnlyOnCreate(t *testing.T) {
	f := newFixture(t, t.TempDir())
	_ = f.p.Index.Update(ctx, func(tx store.Tx) error {
		return tx.PutRepo(store.Repo{Org: "acme", Name: "pub", Visibility: store.Public,
			Collaborators: map[string]store.Permission{"ann": store.PermWrite}})
	})
	k := store.PackageKey{Ecosystem: "npm", Org: "acme", Name: "secret"}
	if _, err := f.p.Publish(ctx, f.ann, ecosystems.PublishRequest{Key: k, Version: "1.0.0", Files: []store.File{f.file(t, "s1")}}); err != nil {
		t.Fatal(err)
	}
	res, err := f.p.Publish(ctx, f.ann, ecosystems.PublishRequest{Key: k, Version: "1.0.1", Files: []store.File{f.file(t, "s2")}, RepoHint: "pub"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Package.Repo != "" {
		t.Errorf("existing package re-linked to %q by a publish", res.Package.Repo)
	}
	if _, err := f.p.Resolve(ctx, ecosystems.Principal{}, k); err == nil {
		t.Error("anonymous can read the org-only package")
	}
}
