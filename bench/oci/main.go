//go:build linux

// Command oci benchmarks drok's OCI registry side by side with the
// distribution/distribution registry (filesystem storage) on loopback:
// pulling a 256 MiB blob, pushing the image that holds it with crane,
// manifest GETs per second, and drok's RSS growth during a 1 GiB push.
//
// Run it from the repository root with bench/oci/run.sh (which installs
// the pinned registry and crane when missing).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/drok-dev/drok/bench/internal/benchkit"
)

var (
	registryBin = flag.String("registry", "", "distribution registry binary (default: registry on PATH or in GOPATH/bin)")
	craneBin    = flag.String("crane", "", "crane binary (default: crane on PATH or in GOPATH/bin)")
	blobMiB     = flag.Int("blob-mib", 256, "size of the pulled/pushed blob in MiB")
	bigMiB      = flag.Int("rss-mib", 1024, "size of the layer pushed for the RSS measurement in MiB")
	runs        = flag.Int("runs", 3, "repetitions of the push measurement (median reported)")
	pullRuns    = flag.Int("pull-runs", 15, "repetitions of the pull measurement (median reported)")
	getSeconds  = flag.Duration("get-duration", 5*time.Second, "duration of the manifest GET load per server")
	workers     = flag.Int("workers", 8, "concurrent manifest GET workers")
	outDir      = flag.String("out", "bench/out", "directory for oci.json")
)

// proc is a registry process owned by the benchmark.
type proc struct {
	*benchkit.Process
	base  string // http://127.0.0.1:P
	host  string
	token string // drok: admin token; registry: ""
}

// freePort returns an unused loopback port.
func freePort() int {
	port, err := benchkit.FreeLoopbackPort()
	if err != nil {
		fatal(err)
	}
	return port
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench/oci:", err)
	os.Exit(1)
}

func findTool(flagVal, name string) string {
	if flagVal != "" {
		return flagVal
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	out, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(out)), "bin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	fatal(fmt.Errorf("%s not found", name))
	return ""
}

// start starts cmd as name with its output in logPath.
func start(name string, cmd *exec.Cmd, logPath string) *proc {
	p, err := benchkit.StartProcess(name, cmd, logPath)
	if err != nil {
		fatal(err)
	}
	return &proc{Process: p}
}

// waitUp waits until p answers url.
func (p *proc) waitUp(url string) {
	if err := p.WaitAnswer(context.Background(), url, 30*time.Second); err != nil {
		fatal(err)
	}
}

// layout writes a single-image OCI layout with one layer of size bytes
// and returns the layer digest.
func layout(dir string, size int64, seed uint64) (string, error) {
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return "", err
	}
	tmp := filepath.Join(dir, "layer.tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	rng := rand.NewChaCha8([32]byte{byte(seed), 1, 2, 3})
	if _, err := io.CopyN(io.MultiWriter(f, h), rng, size); err != nil {
		f.Close()
		return "", err
	}
	f.Close()
	layer := hex.EncodeToString(h.Sum(nil))
	if err := os.Rename(tmp, filepath.Join(dir, "blobs", "sha256", layer)); err != nil {
		return "", err
	}
	put := func(b []byte) string {
		s := sha256.Sum256(b)
		d := hex.EncodeToString(s[:])
		_ = os.WriteFile(filepath.Join(dir, "blobs", "sha256", d), b, 0o644)
		return "sha256:" + d
	}
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}`, layer))
	cd := put(cfg)
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(cfg)},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + layer, "size": size}}})
	md := put(m)
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []any{map[string]any{
		"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(m)}}})
	_ = os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644)
	_ = os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	return "sha256:" + layer, nil
}

func dockerConfig(dir string, p *proc) string {
	_ = os.MkdirAll(dir, 0o700)
	doc := map[string]any{"auths": map[string]any{}}
	if p.token != "" {
		doc["auths"] = map[string]any{p.host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte("drok:" + p.token))}}
	}
	b, _ := json.Marshal(doc)
	_ = os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600)
	return dir
}

func cranePush(crane, cfgDir, layoutDir, ref string) (time.Duration, error) {
	cmd := exec.Command(crane, "push", layoutDir, ref)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+cfgDir)
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("crane push %s: %v: %s", ref, err, out)
	}
	return time.Since(t0), nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}

func get(p *proc, path, accept string) (int64, int, error) {
	req, _ := http.NewRequest("GET", p.base+path, nil)
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	// A large buffer keeps the client's share of the CPU small, so the
	// servers are what is measured.
	n, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, resp.Body, *buf)
	return n, resp.StatusCode, err
}

func rssOf(pid int) int64 {
	m, _ := benchkit.ReadProcMem(pid)
	return m.RSS
}

func hwmOf(pid int) int64 {
	m, _ := benchkit.ReadProcMem(pid)
	return m.HWM
}

type result struct {
	PullMBps        map[string]float64 `json:"pull_mb_per_s"`
	PullBestMBps    map[string]float64 `json:"pull_best_mb_per_s"`
	PushSeconds     map[string]float64 `json:"crane_push_seconds"`
	ManifestGETsPS  map[string]float64 `json:"manifest_gets_per_s"`
	PullRatio       float64            `json:"pull_ratio"`
	PushRatio       float64            `json:"push_ratio"`
	ManifestRatio   float64            `json:"manifest_ratio"`
	RSSGrowthMB     float64            `json:"drok_rss_growth_mb_1gib_push"`
	RegistryRSSGrow float64            `json:"registry_rss_growth_mb_1gib_push"`
	BlobMiB         int                `json:"blob_mib"`
	BigMiB          int                `json:"rss_push_mib"`
}

func main() {
	flag.Parse()
	crane := findTool(*craneBin, "crane")
	registry := findTool(*registryBin, "registry")
	work, err := os.MkdirTemp("", "drok-bench-oci-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(work)

	drokBin := filepath.Join(work, "drok")
	if out, err := exec.Command("go", "build", "-o", drokBin, "./cmd/drok").CombinedOutput(); err != nil {
		fatal(fmt.Errorf("build drok: %v: %s", err, out))
	}
	d, r := startPair(drokBin, registry, filepath.Join(work, "a"))
	defer d.Stop()
	defer r.Stop()
	procs := []*proc{d, r}

	res := result{PullMBps: map[string]float64{}, PullBestMBps: map[string]float64{}, PushSeconds: map[string]float64{}, ManifestGETsPS: map[string]float64{}, BlobMiB: *blobMiB, BigMiB: *bigMiB}
	lay := filepath.Join(work, "layout")
	layer, err := layout(lay, int64(*blobMiB)<<20, 1)
	if err != nil {
		fatal(err)
	}
	fmt.Fprintf(os.Stderr, "pushing the %d MiB image with crane (%d runs each, interleaved)\n", *blobMiB, *runs)
	pushTimes := map[string][]float64{}
	for i := range *runs {
		for _, p := range procs {
			cfg := dockerConfig(filepath.Join(work, "cfg-"+p.Name), p)
			// Start each push with no dirty pages left by the previous one
			// (or by the layout being written), the same for both servers.
			syscall.Sync()
			dur, err := cranePush(crane, cfg, lay, fmt.Sprintf("%s/bench/push%d:latest", p.host, i))
			if err != nil {
				fatal(err)
			}
			pushTimes[p.Name] = append(pushTimes[p.Name], dur.Seconds())
		}
	}
	for _, p := range procs {
		res.PushSeconds[p.Name] = benchkit.Median(pushTimes[p.Name])
	}
	fmt.Fprintf(os.Stderr, "pulling the %d MiB blob (%d runs each, interleaved)\n", *blobMiB, *pullRuns)
	rates := map[string][]float64{}
	for _, p := range procs {
		_, _, _ = get(p, "/v2/bench/push0/blobs/"+layer, "") // warm the page cache
	}
	for range *pullRuns {
		for _, p := range procs {
			t0 := time.Now()
			n, st, err := get(p, "/v2/bench/push0/blobs/"+layer, "")
			if err != nil || st != 200 || n != int64(*blobMiB)<<20 {
				fatal(fmt.Errorf("%s pull: %d bytes, status %d, %v", p.Name, n, st, err))
			}
			rates[p.Name] = append(rates[p.Name], float64(n)/1e6/time.Since(t0).Seconds())
		}
	}
	for _, p := range procs {
		res.PullMBps[p.Name] = benchkit.Median(rates[p.Name])
		res.PullBestMBps[p.Name] = slices.Max(rates[p.Name])
	}
	fmt.Fprintf(os.Stderr, "manifest GETs for %s with %d workers each\n", *getSeconds, *workers)
	const accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json"
	for _, p := range procs {
		var count atomic.Int64
		var failed atomic.Int64
		ctx, cancel := context.WithTimeout(context.Background(), *getSeconds)
		var wg sync.WaitGroup
		t0 := time.Now()
		for range *workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					if _, st, err := get(p, "/v2/bench/push0/manifests/latest", accept); err != nil || st != 200 {
						failed.Add(1)
						continue
					}
					count.Add(1)
				}
			}()
		}
		wg.Wait()
		cancel()
		if failed.Load() > 0 {
			fatal(fmt.Errorf("%s: %d manifest GETs failed", p.Name, failed.Load()))
		}
		res.ManifestGETsPS[p.Name] = float64(count.Load()) / time.Since(t0).Seconds()
	}
	// The RSS measurement runs on a fresh pair of servers, so that heap
	// grown by the other loads cannot hide growth.
	d.Stop()
	r.Stop()
	d, r = startPair(drokBin, registry, filepath.Join(work, "b"))
	defer d.Stop()
	defer r.Stop()
	procs = []*proc{d, r}
	fmt.Fprintf(os.Stderr, "RSS during a %d MiB push\n", *bigMiB)
	big := filepath.Join(work, "big")
	if _, err := layout(big, int64(*bigMiB)<<20, 2); err != nil {
		fatal(err)
	}
	defer os.RemoveAll(big)
	for _, p := range procs {
		cfg := dockerConfig(filepath.Join(work, "cfg-"+p.Name), p)
		syscall.Sync()
		pid := p.PID
		before := rssOf(pid)
		// Reset the kernel's peak counter so VmHWM covers only the push.
		_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
		var peak atomic.Int64
		stop := make(chan struct{})
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
					if v := rssOf(pid); v > peak.Load() {
						peak.Store(v)
					}
				}
			}
		}()
		dur, err := cranePush(crane, cfg, big, p.host+"/bench/big:latest")
		if err != nil {
			fatal(err)
		}
		close(stop)
		if hwm := hwmOf(pid); hwm > peak.Load() {
			peak.Store(hwm)
		}
		fmt.Fprintf(os.Stderr, "  %s: RSS before %.1f MB, peak %.1f MB, push %.2fs\n", p.Name, float64(before)/(1<<20), float64(peak.Load())/(1<<20), dur.Seconds())
		growth := float64(max(peak.Load()-before, 0)) / (1 << 20)
		if p.Name == "drok" {
			res.RSSGrowthMB = growth
		} else {
			res.RegistryRSSGrow = growth
		}
	}
	res.PullRatio = res.PullMBps["drok"] / res.PullMBps["distribution"]
	res.PushRatio = res.PushSeconds["distribution"] / res.PushSeconds["drok"]
	res.ManifestRatio = res.ManifestGETsPS["drok"] / res.ManifestGETsPS["distribution"]

	fmt.Printf("| measure | drok | distribution v3.1.2 | ratio (target) |\n|---|---|---|---|\n")
	fmt.Printf("| pull %d MiB blob (MB/s, median of %d) | %.0f | %.0f | %.2fx (>= 1.0) |\n", *blobMiB, *pullRuns, res.PullMBps["drok"], res.PullMBps["distribution"], res.PullRatio)
	fmt.Printf("| pull %d MiB blob (MB/s, best of %d) | %.0f | %.0f | %.2fx |\n", *blobMiB, *pullRuns, res.PullBestMBps["drok"], res.PullBestMBps["distribution"], res.PullBestMBps["drok"]/res.PullBestMBps["distribution"])
	fmt.Printf("| crane push of the %d MiB image (s, median of %d) | %.2f | %.2f | %.2fx (>= 1.0) |\n", *blobMiB, *runs, res.PushSeconds["drok"], res.PushSeconds["distribution"], res.PushRatio)
	fmt.Printf("| manifest GETs/s (%d workers, %s) | %.0f | %.0f | %.2fx (>= 2) |\n", *workers, *getSeconds, res.ManifestGETsPS["drok"], res.ManifestGETsPS["distribution"], res.ManifestRatio)
	fmt.Printf("| RSS growth during a %d MiB crane push (MB) | %.1f | %.1f | (< 64 MB) |\n", *bigMiB, res.RSSGrowthMB, res.RegistryRSSGrow)
	_ = os.MkdirAll(*outDir, 0o755)
	b, _ := json.MarshalIndent(res, "", "  ")
	_ = os.WriteFile(filepath.Join(*outDir, "oci.json"), b, 0o644)
}

// startPair starts drok and the distribution registry with fresh data
// directories below dir and waits until both answer.
func startPair(drokBin, registry, dir string) (*proc, *proc) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fatal(err)
	}
	work := dir
	rport := freePort()
	dk, err := benchkit.StartDrok(context.Background(), drokBin, work)
	if err != nil {
		fatal(err)
	}
	d := &proc{Process: dk.Process, base: dk.Base, host: dk.Addr, token: dk.Token}
	req, _ := http.NewRequest("POST", d.base+"/api/v1/orgs", strings.NewReader(`{"name":"bench"}`))
	req.Header.Set("Authorization", "Bearer "+d.token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := client.Do(req); err != nil || resp.StatusCode >= 300 {
		fatal(fmt.Errorf("create org: %v %v", err, resp))
	}

	rcfg := filepath.Join(work, "registry.yml")
	_ = os.WriteFile(rcfg, []byte(fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%d\n",
		filepath.Join(work, "registry-data"), rport)), 0o644)
	r := start("distribution", exec.Command(registry, "serve", rcfg), filepath.Join(work, "registry.log"))
	r.base, r.host = fmt.Sprintf("http://127.0.0.1:%d", rport), fmt.Sprintf("127.0.0.1:%d", rport)
	r.waitUp(r.base + "/v2/")
	return d, r
}
