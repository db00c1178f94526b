package oci_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon"
	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
)

// TestMain lets the test binary act as a daemon child process, so that a
// test can kill -9 a real daemon.
func TestMain(m *testing.M) {
	daemontest.RunChild()
	os.Exit(m.Run())
}

// TestKill9DuringPushes is RELIABILITY 22 for OCI: a daemon killed with
// SIGKILL while images are pushed keeps every acknowledged manifest and
// its blobs readable with their digests after a restart, and stray
// temporary files are reclaimed.
func TestKill9DuringPushes(t *testing.T) {
	dir := t.TempDir()
	cmd, base := daemontest.StartChild(t, dir)
	tokb, err := os.ReadFile(filepath.Join(dir, daemon.AdminTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(string(tokb))
	if _, err := client.New(base, tok).CreateOrg(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	g := reg{base: base}
	type acked struct{ tag, manifest, body string }
	var mu sync.Mutex
	var done []acked
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m, ok := tryImage(g, tok, fmt.Sprintf("w%d-%d %s", w, i, strings.Repeat("x", 20000)))
				if !ok {
					return
				}
				tag := fmt.Sprintf("t%d-%d", w, i)
				r, err := tryPut(g, tok, tag, m)
				if err != nil {
					return
				}
				if r == 201 {
					mu.Lock()
					done = append(done, acked{tag, sha(m), string(m)})
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(800 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	close(stop)
	wg.Wait()
	if len(done) == 0 {
		t.Fatal("no push was acknowledged before the kill")
	}
	_, base = daemontest.StartChild(t, dir)
	g = reg{base: base}
	for _, a := range done {
		r := g.do(t, "GET", "/v2/acme/crash/manifests/"+a.tag, tok, nil, nil)
		if r.status != 200 || sha([]byte(r.body)) != a.manifest {
			t.Errorf("acknowledged %s: %d", a.tag, r.status)
			continue
		}
		var cfg struct {
			Config struct{ Digest string } `json:"config"`
		}
		_ = jsonUnmarshal([]byte(a.body), &cfg)
		if b := g.do(t, "GET", "/v2/acme/crash/blobs/"+cfg.Config.Digest, tok, nil, nil); b.status != 200 || sha([]byte(b.body)) != cfg.Config.Digest {
			t.Errorf("blob of acknowledged %s: %d", a.tag, b.status)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "blobs", "tmp")); len(entries) != 0 {
		t.Errorf("%d temporary files survived the restart", len(entries))
	}
	t.Logf("%d acknowledged pushes survived kill -9", len(done))
}
