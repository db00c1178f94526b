package npm_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// publishMany publishes n versions of name through raw npm publishes.
func publishMany(tb testing.TB, f *registryFixture, name string, n int) {
	tb.Helper()
	readme := bytes.Repeat([]byte("Lorem ipsum dolor sit amet. "), 40)
	for i := range n {
		v := fmt.Sprintf("1.%d.0", i)
		pj := map[string]any{"name": name, "version": v, "description": "benchmark package", "readme": string(readme),
			"dependencies": map[string]string{"a": "^1.0.0", "b": "~2.3.4"}, "license": "MIT"}
		tgz := makeTarball(tb, pj, map[string]string{"package/index.js": "module.exports = " + v})
		doc := publishDoc(name, v, tgz, func(_, m map[string]any) {
			for k, val := range pj {
				m[k] = val
			}
		})
		if st, body, _ := f.do(tb, http.MethodPut, name, f.srv.AdminToken, bytes.NewReader(doc), nil); st != http.StatusCreated {
			tb.Fatalf("publish %s: %d %s", v, st, body)
		}
	}
}

// TestNPMPackumentThroughput publishes a public 200-version package and
// measures abbreviated and full packument GETs per second (and one
// tarball) with concurrent keep-alive clients accepting gzip, like npm.
// It only reports the rates, since they depend on the machine's load;
// set DROK_NPM_MIN_GETS=N to fail below N per second. bench/npm compares
// against Verdaccio; TestPackumentCache checks the cache deterministically.
func TestNPMPackumentThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("throughput measurement skipped with -short")
	}
	f := newFixture(t)
	pub := "public"
	if _, err := f.srv.Client.CreateRepo(context.Background(), f.org, client.RepoEdit{Name: "hot", Visibility: &pub}); err != nil {
		t.Fatal(err)
	}
	publishMany(t, f, "hot", 200)
	minRate, _ := strconv.ParseFloat(os.Getenv("DROK_NPM_MIN_GETS"), 64)

	for _, tc := range []struct {
		name, path, accept, token string
	}{
		{"abbreviated anonymous", "hot", "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*", ""},
		{"abbreviated with token", "hot", "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*", f.srv.AdminToken},
		{"full with token", "hot", "application/json", f.srv.AdminToken},
		{"tarball with token", "hot/-/hot-1.100.0.tgz", "*/*", f.srv.AdminToken},
	} {
		rate, size := measureGETs(t, f.registry+tc.path, tc.accept, tc.token, 8, 1500*time.Millisecond)
		t.Logf("%-24s %7.0f GET/s  (%d bytes gzip on the wire)", tc.name, rate, size)
		if minRate > 0 && rate < minRate {
			t.Errorf("%s: %.0f GET/s, want at least %.0f", tc.name, rate, minRate)
		}
	}
}

func measureGETs(t *testing.T, url, accept, token string, workers int, d time.Duration) (float64, int) {
	tr := &http.Transport{MaxIdleConnsPerHost: workers, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	var count atomic.Int64
	var size atomic.Int64
	var failed atomic.Value
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Accept", accept)
				req.Header.Set("Accept-Encoding", "gzip")
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := hc.Do(req)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Store(resp.Status)
					return
				}
				size.Store(n)
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	if v := failed.Load(); v != nil {
		t.Fatalf("GET %s: %v", url, v)
	}
	return float64(count.Load()) / d.Seconds(), int(size.Load())
}
