package daemon_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
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

func npmTarball(t *testing.T, name, version string, padding int, extra ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	files := map[string]string{
		"package/package.json": fmt.Sprintf(`{"name":%q,"version":%q}`, name, version),
		"package/pad.txt":      strings.Repeat(fmt.Sprintf("%s@%s ", name, version), padding) + strings.Join(extra, ""),
	}
	for n, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// TestKill9DuringPublishes kills the daemon while publishes are in flight:
// every acknowledged publish must read back with its hash after a restart,
// the index must only reference blobs that exist, and temp files must be
// reclaimed (RELIABILITY 22).
func TestKill9DuringPublishes(t *testing.T) {
	dir := t.TempDir()
	cmd, url := daemontest.StartChild(t, dir)
	tok, err := os.ReadFile(filepath.Join(dir, daemon.AdminTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(url, strings.TrimSpace(string(tok)))
	if _, err := c.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	type ack struct{ name, version, sha string }
	var mu sync.Mutex
	var acked []ack
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("pkg-%d", w)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				version := fmt.Sprintf("1.0.%d", i)
				tgz := npmTarball(t, name, version, 2000)
				sum := sha256.Sum256(tgz)
				res, err := c.Publish(ctx, "acme", "npm", name+"-"+version+".tgz", bytes.NewReader(tgz))
				if err != nil {
					return // the daemon died under us
				}
				if res.Version != version {
					t.Errorf("publish answered %+v", res)
				}
				mu.Lock()
				acked = append(acked, ack{name, version, hex.EncodeToString(sum[:])})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 4 {
		t.Fatalf("only %d publishes acknowledged before the kill; test too short", len(acked))
	}

	_, url = daemontest.StartChild(t, dir)
	c = client.New(url, strings.TrimSpace(string(tok)))
	if entries, _ := os.ReadDir(filepath.Join(dir, daemon.BlobDir, "tmp")); len(entries) != 0 {
		t.Errorf("%d stray temp files survived the restart", len(entries))
	}
	for _, a := range acked {
		pkg, err := c.Package(ctx, "npm", "acme", a.name)
		if err != nil {
			t.Fatalf("acknowledged package %s lost: %v", a.name, err)
		}
		found := false
		for _, v := range pkg.Versions {
			if v.Version == a.version {
				found = len(v.Files) == 1 && v.Files[0].SHA256 == a.sha
			}
		}
		if !found {
			t.Errorf("acknowledged %s@%s missing or wrong after kill -9", a.name, a.version)
		}
	}
	// Every version the index knows (acknowledged or not) must be complete.
	for w := range 4 {
		name := fmt.Sprintf("pkg-%d", w)
		pkg, err := c.Package(ctx, "npm", "acme", name)
		if err != nil {
			continue
		}
		for _, v := range pkg.Versions {
			url := fmt.Sprintf("%s/api/v1/packages/npm/acme/%s/-/%s-%s.tgz", url, name, name, v.Version)
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer "+c.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			sum := sha256.Sum256(body)
			if resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != v.Files[0].SHA256 {
				t.Errorf("%s@%s: status %d, content hash mismatch after kill -9", name, v.Version, resp.StatusCode)
			}
		}
	}
	t.Logf("%d publishes acknowledged before kill -9; all read back", len(acked))
}
