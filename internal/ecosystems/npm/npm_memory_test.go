package npm_test

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// bigTarball writes an npm tarball holding size bytes of incompressible
// data to a file and returns its path, length and dist fields.
func bigTarball(t *testing.T, name, version string, size int64) (path string, n int64, integrity, shasum string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "big.tgz")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	h1, h512 := sha1.New(), sha512.New()
	cw := &countWriter{w: io.MultiWriter(fh, h1, h512)}
	bw := bufio.NewWriterSize(cw, 1<<20)
	zw, _ := gzip.NewWriterLevel(bw, gzip.NoCompression)
	tw := tar.NewWriter(zw)
	pj, _ := json.Marshal(map[string]string{"name": name, "version": version})
	if err := tw.WriteHeader(&tar.Header{Name: "package/package.json", Mode: 0o644, Size: int64(len(pj)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.Write(pj)
	if err := tw.WriteHeader(&tar.Header{Name: "package/blob.bin", Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{1, 2, 3})
	if _, err := io.CopyN(tw, rng, size); err != nil {
		t.Fatal(err)
	}
	for _, c := range []io.Closer{tw, zw} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	return path, cw.n, "sha512-" + base64.StdEncoding.EncodeToString(h512.Sum(nil)), hex.EncodeToString(h1.Sum(nil))
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// streamedPublish returns a reader producing the npm publish document for
// the tarball at path without holding it in memory, in npm's key order.
func streamedPublish(name, version, path string, n int64, integrity, shasum string) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		manifest, _ := json.Marshal(map[string]any{
			"name": name, "version": version, "_id": name + "@" + version,
			"dist": map[string]string{"integrity": integrity, "shasum": shasum},
		})
		head := fmt.Sprintf(`{"_id":%q,"name":%q,"dist-tags":{"latest":%q},"versions":{%q:%s},"access":null,"_attachments":{%q:{"content_type":"application/octet-stream","data":"`,
			name, name, version, version, manifest, name+"-"+version+".tgz")
		if _, err := io.WriteString(pw, head); err != nil {
			return
		}
		fh, err := os.Open(path)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		defer fh.Close()
		enc := base64.NewEncoder(base64.StdEncoding, pw)
		if _, err := io.Copy(enc, fh); err != nil {
			pw.CloseWithError(err)
			return
		}
		_ = enc.Close()
		_, _ = io.WriteString(pw, `","length":`+strconv.FormatInt(n, 10)+`}}}`)
		pw.Close()
	}()
	return pr
}

// procStatus reads a kB value (VmHWM, VmRSS) of this process.
func procStatus(t *testing.T, key string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatalf("read /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("%s not in /proc/self/status", key)
	return 0
}

// TestNPMLargePublishMemory publishes a 100 MB tarball (16 MB with
// -short) through the in-process daemon and checks that the process's
// peak RSS stays under 3× the tarball size; a tarball-buffering
// implementation needs well over that (base64 text + decoded bytes).
// It is not parallel so that no other test disturbs the measurement.
func TestNPMLargePublishMemory(t *testing.T) {
	size := int64(100 << 20)
	if testing.Short() {
		size = 16 << 20
	}
	f := newFixture(t)
	path, n, integrity, shasum := bigTarball(t, "big", "1.0.0", size)
	runtime.GC()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Fatalf("reset peak RSS: %v", err)
	}
	base := procStatus(t, "VmRSS")
	start := time.Now()
	st, body, _ := f.do(t, http.MethodPut, "big", f.srv.AdminToken, streamedPublish("big", "1.0.0", path, n, integrity, shasum), nil)
	elapsed := time.Since(start)
	if st != http.StatusCreated {
		t.Fatalf("publish: %d %s", st, body)
	}
	peak := procStatus(t, "VmHWM")
	t.Logf("published %d MB in %v; RSS before %d MB, peak %d MB (growth %d MB)", n>>20, elapsed.Round(time.Millisecond), base>>20, peak>>20, (peak-base)>>20)
	if peak >= 3*n {
		t.Fatalf("peak RSS %d MB during a %d MB publish: want < %d MB", peak>>20, n>>20, 3*n>>20)
	}
	st, _, hdr := f.do(t, http.MethodHead, "big/-/big-1.0.0.tgz", f.srv.AdminToken, nil, nil)
	if st != http.StatusOK || hdr.Get("Content-Length") != strconv.FormatInt(n, 10) {
		t.Fatalf("HEAD tarball: %d length %s, want %d", st, hdr.Get("Content-Length"), n)
	}
}
