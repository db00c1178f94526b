package oci

import (
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/store"
	"github.com/drok-dev/drok/internal/store/blob"
)

func TestUploadSessions(t *testing.T) {
	bs, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	u := newUploads(bs)
	u.max = 2
	k := store.PackageKey{Ecosystem: "docker", Org: "acme", Name: "app"}
	a, err := u.start(k)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.start(k); err != nil {
		t.Fatal(err)
	}
	if _, err := u.start(k); !errors.Is(err, errTooManyUploads) {
		t.Fatalf("third session: %v", err)
	}
	if _, err := u.get(a.id, store.PackageKey{Ecosystem: "docker", Org: "acme", Name: "other"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session found through another repository: %v", err)
	}
	// a failing body leaves the session as it was
	if _, err := a.append(strings.NewReader("hello ")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.append(io.MultiReader(strings.NewReader("partial"), failing{})); err == nil {
		t.Fatal("failing body accepted")
	}
	if _, err := a.append(strings.NewReader("world")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(a.path); string(b) != "hello world" || a.size != 11 {
		t.Errorf("session holds %q (%d)", b, a.size)
	}
	if got := SHA256Of([]byte("hello world")).Hex; got != hexSum(a) {
		t.Errorf("running hash differs after a failed chunk")
	}
	a.updated = time.Now().Add(-2 * time.Hour)
	if n := u.expire(time.Hour); n != 1 {
		t.Errorf("expired %d sessions, want 1", n)
	}
	if _, err := os.Stat(a.path); !os.IsNotExist(err) {
		t.Errorf("expired session's file remains: %v", err)
	}
	if _, err := u.start(k); err != nil {
		t.Errorf("a slot was not freed: %v", err)
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func hexSum(s *session) string { return hex.EncodeToString(s.h.Sum(nil)) }
