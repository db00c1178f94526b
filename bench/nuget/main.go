//go:build linux

// Command nuget benchmarks drok's NuGet feed against nginx serving the
// identical bytes as static files, side by side in one run, over loopback.
//
// It starts `drok serve` (fresh data directory) and nginx (Debian
// nginx-light, static root, sendfile) on 127.0.0.1, then:
//
//  1. pushes one package with -versions versions to drok (org bench),
//     fetches its registration index and first registration page, and
//     writes those exact bytes into nginx's root;
//  2. pushes one -big-mb MiB .nupkg and copies the same file to nginx;
//  3. for the registration index (a), the registration page (b) and the
//     .nupkg download (c), drives drok and then nginx, -rounds times
//     alternately, with a closed-loop load of -c keep-alive workers (-dc
//     for the download) for -warmup plus -d, and reports the mean GETs/s
//     (a, b) and MiB/s (c) with their ratios;
//  4. fills org small with 10 packages and org large with -org-size
//     packages and compares drok's registration-index GETs/s for one
//     package of each (d: flat with org size).
//
// drok is read with a token (Basic auth, as NuGet clients send it); nginx
// serves anonymously. Results go to stdout and, as Markdown, to -out.
// A missed target is reported as MISSED but does not fail the run.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drok-dev/drok/bench/internal/benchkit"
)

// userAgent is the User-Agent of the load generator's requests.
const userAgent = "drok-bench-nuget"

type options struct {
	versions, concurrency, dlConcurrency, bigMB, orgSize, rounds int
	warmup, duration                                             time.Duration
	drokBin, nginxBin, out                                       string
}

func main() {
	var o options
	flag.IntVar(&o.versions, "versions", 500, "versions of the benchmarked package")
	flag.IntVar(&o.concurrency, "c", 16, "keep-alive workers for metadata GETs")
	flag.IntVar(&o.dlConcurrency, "dc", 4, "keep-alive workers for the .nupkg download")
	flag.IntVar(&o.bigMB, "big-mb", 256, "size of the downloaded .nupkg in MiB")
	flag.IntVar(&o.orgSize, "org-size", 10000, "packages in the large org")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "warm-up per load run (not counted)")
	flag.DurationVar(&o.duration, "d", 3*time.Second, "measured time per load run")
	flag.IntVar(&o.rounds, "rounds", 3, "alternating drok/nginx run pairs per metric")
	flag.StringVar(&o.drokBin, "drok", "", "drok binary (default: build ./cmd/drok)")
	flag.StringVar(&o.nginxBin, "nginx", "nginx", "nginx binary")
	flag.StringVar(&o.out, "out", "bench/out/nuget-results.md", "Markdown results file")
	flag.Parse()
	benchkit.Main("bench/nuget", func(ctx context.Context) error { return run(ctx, o) })
}

type drok struct {
	base, token string
}

func (d *drok) req(method, url string, body io.Reader, ctype string) (int, []byte, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-NuGet-ApiKey", d.token)
	req.SetBasicAuth("bench", d.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return benchkit.Fetch(http.DefaultClient, req)
}

func (d *drok) feed(org string) string { return d.base + "/api/v1/packages/nuget/" + org + "/" }

// nupkg builds a small package, or with payload a stored (uncompressed)
// entry of that many random bytes written to w.
func nupkg(w io.Writer, id, version string, payload int64) error {
	zw := zip.NewWriter(w)
	f, err := zw.Create(id + ".nuspec")
	if err != nil {
		return err
	}
	fmt.Fprintf(f, `<?xml version="1.0"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata><id>%s</id><version>%s</version><authors>bench</authors><description>drok NuGet benchmark package %s</description><tags>bench drok</tags><dependencies><group targetFramework="net8.0"><dependency id="Bench.Dep" version="1.0.0" /></group></dependencies></metadata></package>`, id, version, id)
	lib, err := zw.CreateHeader(&zip.FileHeader{Name: "lib/net8.0/" + id + ".dll", Method: zip.Store})
	if err != nil {
		return err
	}
	if payload == 0 {
		payload = 64
	}
	rng := rand.NewChaCha8([32]byte{1})
	if _, err := io.CopyN(lib, rng, payload); err != nil {
		return err
	}
	return zw.Close()
}

func (d *drok) push(org, id, version string) error {
	var buf bytes.Buffer
	if err := nupkg(&buf, id, version, 0); err != nil {
		return err
	}
	st, body, err := d.req(http.MethodPut, d.feed(org)+"api/v2/package", &buf, "application/octet-stream")
	if err != nil {
		return err
	}
	if st != http.StatusCreated {
		return fmt.Errorf("push %s %s: %d %s", id, version, st, body)
	}
	return nil
}

// pushMany pushes ids with 4 workers.
func (d *drok) pushMany(org string, ids []string, version string) error {
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	ch := make(chan string)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ch {
				if err := d.push(org, id, version); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, id := range ids {
		ch <- id
	}
	close(ch)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func (d *drok) get(url string) ([]byte, error) {
	st, b, err := d.req(http.MethodGet, url, nil, "")
	if err == nil && st != http.StatusOK {
		err = fmt.Errorf("GET %s: %d %s", url, st, b)
	}
	return b, err
}

const nginxConf = `worker_processes 2;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path %[1]s/tmp;
  proxy_temp_path %[1]s/tmp;
  fastcgi_temp_path %[1]s/tmp;
  uwsgi_temp_path %[1]s/tmp;
  scgi_temp_path %[1]s/tmp;
  default_type application/octet-stream;
  types { application/json json; }
  server {
    listen %[2]s;
    root %[1]s/www;
  }
}
`

type row struct {
	name, unit    string
	drok, nginx   float64
	target        float64 // minimum drok/nginx ratio (0 = none)
	drokP99, nP99 time.Duration
}

func run(ctx context.Context, o options) error {
	loadAvg := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		loadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	tmp, err := os.MkdirTemp("", "drok-bench-nuget-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// nginx workers may run as another user (nobody): they need to read
	// the static root below tmp.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if o.drokBin == "" {
		o.drokBin = filepath.Join(tmp, "drok")
		fmt.Println("building drok: go build -o " + o.drokBin + " ./cmd/drok")
		if err := benchkit.BuildDrok(ctx, o.drokBin); err != nil {
			return err
		}
	}
	nginxBin, err := exec.LookPath(o.nginxBin)
	if err != nil {
		return fmt.Errorf("nginx is needed (apt-get install nginx-light): %w", err)
	}

	dp, err := benchkit.StartDrok(ctx, o.drokBin, tmp)
	if err != nil {
		return err
	}
	defer dp.Stop()
	d := &drok{base: dp.Base, token: dp.Token}
	for _, org := range []string{"bench", "small", "large"} {
		if st, b, err := d.req(http.MethodPost, d.base+"/api/v1/orgs", strings.NewReader(`{"name":"`+org+`"}`), "application/json"); err != nil || st != http.StatusCreated {
			return fmt.Errorf("create org %s: %d %s %v", org, st, b, err)
		}
	}

	fmt.Printf("pushing %d versions of Bench.Pkg\n", o.versions)
	t0 := time.Now()
	for i := range o.versions {
		if err := d.push("bench", "Bench.Pkg", fmt.Sprintf("1.%d.%d", i/100, i%100)); err != nil {
			return err
		}
	}
	pushRate := float64(o.versions) / time.Since(t0).Seconds()
	feed := d.feed("bench")
	regURL := feed + "v3/registration/bench.pkg/index.json"
	regIdx, err := d.get(regURL)
	if err != nil {
		return err
	}
	var pageURL string
	if i := bytes.Index(regIdx, []byte(`"@id":"`+feed+"v3/registration/bench.pkg/page/")); i >= 0 {
		rest := regIdx[i+len(`"@id":"`):]
		pageURL = string(rest[:bytes.IndexByte(rest, '"')])
	} else {
		pageURL = regURL // small packages inline their only page
	}
	page, err := d.get(pageURL)
	if err != nil {
		return err
	}

	fmt.Printf("pushing a %d MiB .nupkg\n", o.bigMB)
	bigPath := filepath.Join(tmp, "big.nupkg")
	bf, err := os.Create(bigPath)
	if err != nil {
		return err
	}
	if err := nupkg(bf, "Bench.Big", "1.0.0", int64(o.bigMB)<<20); err != nil {
		return err
	}
	bf.Close()
	bf, _ = os.Open(bigPath)
	st, b, err := d.req(http.MethodPut, feed+"api/v2/package", bf, "application/octet-stream")
	bf.Close()
	if err != nil || st != http.StatusCreated {
		return fmt.Errorf("push big package: %d %s %v", st, b, err)
	}
	bigURL := feed + "v3/flatcontainer/bench.big/1.0.0/bench.big.1.0.0.nupkg"

	www := filepath.Join(tmp, "nginx", "www")
	for _, dir := range []string{www, filepath.Join(tmp, "nginx", "tmp")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(www, "index.json"), regIdx, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(www, "page.json"), page, 0o644); err != nil {
		return err
	}
	if err := os.Rename(bigPath, filepath.Join(www, "big.nupkg")); err != nil {
		return err
	}
	naddr, err := benchkit.FreeLoopbackAddr()
	if err != nil {
		return err
	}
	conf := filepath.Join(tmp, "nginx", "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, filepath.Join(tmp, "nginx"), naddr)), 0o644); err != nil {
		return err
	}
	np, err := benchkit.StartProcess("nginx", exec.Command(nginxBin, "-c", conf, "-p", filepath.Join(tmp, "nginx"), "-g", "daemon off;"), filepath.Join(tmp, "nginx.log"))
	if err != nil {
		return err
	}
	defer np.Stop()
	nbase := "http://" + naddr + "/"
	if err := np.WaitHTTP(ctx, nbase+"index.json", 30*time.Second); err != nil {
		return err
	}

	auth := http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("bench:"+d.token))}}
	load := func(url string, h http.Header, c int) (benchkit.LoadResult, error) {
		return benchkit.RunLoad(ctx, benchkit.LoadSpec{UserAgent: userAgent, URL: url, Header: h, Concurrency: c, Warmup: o.warmup, Duration: o.duration})
	}
	var rows []row
	// side alternates drok and nginx for -rounds pairs of runs, so that
	// background load on a shared machine hits both alike, and averages.
	side := func(name, unit string, target float64, durl, nurl string, c int, perSec func(benchkit.LoadResult) float64) error {
		fmt.Printf("measuring %s\n", name)
		r := row{name: name, unit: unit, target: target}
		for range o.rounds {
			dr, err := load(durl, auth, c)
			if err != nil {
				return fmt.Errorf("drok %s: %w", name, err)
			}
			nr, err := load(nurl, nil, c)
			if err != nil {
				return fmt.Errorf("nginx %s: %w", name, err)
			}
			r.drok += perSec(dr) / float64(o.rounds)
			r.nginx += perSec(nr) / float64(o.rounds)
			r.drokP99, r.nP99 = max(r.drokP99, dr.P99), max(r.nP99, nr.P99)
		}
		rows = append(rows, r)
		return nil
	}
	reqs := benchkit.LoadResult.PerSecond
	mib := benchkit.LoadResult.MiBPerSecond
	if err := side(fmt.Sprintf("a. registration index, %d versions (%d B)", o.versions, len(regIdx)), "GETs/s", 0.5, regURL, nbase+"index.json", o.concurrency, reqs); err != nil {
		return err
	}
	if err := side(fmt.Sprintf("b. registration page, 128 versions (%d B)", len(page)), "GETs/s", 0, pageURL, nbase+"page.json", o.concurrency, reqs); err != nil {
		return err
	}
	if err := side(fmt.Sprintf("c. .nupkg download, %d MiB", o.bigMB), "MiB/s", 0.8, bigURL, nbase+"big.nupkg", o.dlConcurrency, mib); err != nil {
		return err
	}

	fmt.Printf("filling org small (10 packages) and org large (%d packages)\n", o.orgSize)
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("Org.Pkg%05d", i)
		}
		return out
	}
	if err := d.pushMany("small", ids(10), "1.0.0"); err != nil {
		return err
	}
	t1 := time.Now()
	if err := d.pushMany("large", ids(o.orgSize), "1.0.0"); err != nil {
		return err
	}
	fillRate := float64(o.orgSize) / time.Since(t1).Seconds()
	fmt.Println("measuring d. flat with org size")
	small, err := load(d.feed("small")+"v3/registration/org.pkg00005/index.json", auth, o.concurrency)
	if err != nil {
		return err
	}
	large, err := load(d.feed("large")+"v3/registration/org.pkg00005/index.json", auth, o.concurrency)
	if err != nil {
		return err
	}
	smallDL, err := load(d.feed("small")+"v3/flatcontainer/org.pkg00005/1.0.0/org.pkg00005.1.0.0.nupkg", auth, o.concurrency)
	if err != nil {
		return err
	}
	largeDL, err := load(d.feed("large")+"v3/flatcontainer/org.pkg00005/1.0.0/org.pkg00005.1.0.0.nupkg", auth, o.concurrency)
	if err != nil {
		return err
	}

	var md strings.Builder
	fmt.Fprintf(&md, "NuGet benchmark, %s, CPUs %s, load average before the run %s, -c %d (download -dc %d), %d alternating rounds of %s warm-up + %s per server (p99: worst round)\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), numCPU(), loadAvg, o.concurrency, o.dlConcurrency, o.rounds, o.warmup, o.duration)
	md.WriteString("| metric | unit | drok | nginx (static file) | ratio | target | drok p99 | nginx p99 |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		ratio := r.drok / r.nginx
		target := "—"
		if r.target > 0 {
			target = fmt.Sprintf("≥ %.1f× met", r.target)
			if ratio < r.target {
				target = fmt.Sprintf("≥ %.1f× MISSED", r.target)
			}
		}
		fmt.Fprintf(&md, "| %s | %s | %.0f | %.0f | %.2f× | %s | %s | %s |\n", r.name, r.unit, r.drok, r.nginx, ratio, target, r.drokP99.Round(time.Microsecond), r.nP99.Round(time.Microsecond))
	}
	ratio := large.PerSecond() / small.PerSecond()
	fmt.Fprintf(&md, "\n| d. flat with org size | org of 10 | org of %d | ratio |\n|---|---|---|---|\n", o.orgSize)
	fmt.Fprintf(&md, "| registration index GETs/s | %.0f | %.0f | %.2f× |\n", small.PerSecond(), large.PerSecond(), ratio)
	fmt.Fprintf(&md, "| .nupkg GETs/s | %.0f | %.0f | %.2f× |\n", smallDL.PerSecond(), largeDL.PerSecond(), largeDL.PerSecond()/smallDL.PerSecond())
	fmt.Fprintf(&md, "\nPushes (sequential, one client): %.0f/s for %d versions of one package; %.0f/s (4 clients) filling the org of %d.\n",
		pushRate, o.versions, fillRate, o.orgSize)
	fmt.Println()
	fmt.Print(md.String())
	if o.out != "" {
		if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(o.out, []byte(md.String()), 0o644)
	}
	return nil
}

func numCPU() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	return strconv.Itoa(bytes.Count(b, []byte("\nprocessor")) + 1)
}
