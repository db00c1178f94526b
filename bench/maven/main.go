//go:build linux

// Command maven benchmarks drok's Maven repository against nginx serving
// the identical files statically, side by side in one run, over loopback
// only.
//
// It starts drok (fresh data directory) and fills two orgs: "small" with
// 10 packages and "large" with 10,000, each holding the package
// bench.maven:lib with -versions release versions (one jar each, linked
// to a public repository so reads are anonymous, as nginx's are). It
// uploads a -big-mb MiB artifact, copies drok's maven-metadata.xml and
// that artifact into an nginx document root at the same paths, starts
// nginx (sendfile on, access log off) and then, one server at a time,
// drives closed-loop keep-alive GET load at:
//
//	a. maven-metadata.xml of the 500-version package (drok small org, nginx),
//	   plain and with Accept-Encoding: gzip (nginx: gzip_static with drok's
//	   own .gz bytes);
//	b. the same in the 10,000-package org (drok) — flatness with org size;
//	c. the large artifact (drok, nginx), as bytes per second.
//
// It prints the figures with their ratios and targets (a ≥ 0.5× nginx,
// c ≥ 0.8× nginx, b within 20% of a) and writes them as Markdown to -out.
// A missed target is reported as MISSED but does not fail the run.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drok-dev/drok/bench/internal/benchkit"
)

// userAgent is the User-Agent of the load generator's requests.
const userAgent = "drok-bench-maven"

type options struct {
	versions    int
	fillers     int
	concurrency int
	bigConc     int
	warmup      time.Duration
	duration    time.Duration
	bigMB       int
	rounds      int
	drokBin     string
	nginxBin    string
	out         string
	keep        bool
}

func main() {
	var o options
	flag.IntVar(&o.versions, "versions", 500, "versions of the metadata package")
	flag.IntVar(&o.fillers, "packages", 10000, "packages in the large org (the small one has 10)")
	flag.IntVar(&o.concurrency, "c", 32, "concurrent keep-alive workers for metadata GETs")
	flag.IntVar(&o.bigConc, "big-c", 4, "concurrent workers for the large artifact")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up before each measured window")
	flag.DurationVar(&o.duration, "d", 5*time.Second, "measured window per round, metric and server")
	flag.IntVar(&o.bigMB, "big-mb", 256, "MiB of the large artifact")
	flag.IntVar(&o.rounds, "rounds", 3, "alternating rounds per figure (the median is reported)")
	flag.StringVar(&o.drokBin, "drok", "", "drok binary (default: build ./cmd/drok)")
	flag.StringVar(&o.nginxBin, "nginx", "nginx", "nginx binary")
	flag.StringVar(&o.out, "out", "bench/out/maven-results.md", "Markdown results file")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	flag.Parse()
	if o.versions < 1 || o.fillers < 10 || o.concurrency < 1 || o.bigConc < 1 || o.rounds < 1 || o.duration <= 0 || o.bigMB < 1 {
		fmt.Fprintln(os.Stderr, "bench/maven: -versions, -c, -big-c, -d, -big-mb must be positive and -packages at least 10")
		os.Exit(2)
	}
	benchkit.Main("bench/maven", func(ctx context.Context) error { return run(ctx, o) })
}

// client is an HTTP client with the admin token.
type client struct {
	base, token string
	hc          *http.Client
}

func (c *client) do(ctx context.Context, method, path string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	return benchkit.Fetch(c.hc, req)
}

func (c *client) must(ctx context.Context, method, path string, body []byte, want ...int) error {
	st, b, err := c.do(ctx, method, path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	for _, w := range want {
		if st == w {
			return nil
		}
	}
	return fmt.Errorf("%s %s: status %d: %.300s", method, path, st, b)
}

func pom(g, a, v string) []byte {
	return []byte(`<project><modelVersion>4.0.0</modelVersion><groupId>` + g + `</groupId><artifactId>` + a + `</artifactId><version>` + v + `</version></project>`)
}

// seed fills org: a public repository for lib and big, fillers packages,
// and lib with versions versions. Jobs run on 8 connections.
func seed(ctx context.Context, c *client, org string, fillers, versions int) error {
	if err := c.must(ctx, "POST", "/api/v1/orgs", []byte(`{"name":"`+org+`"}`), 200, 201); err != nil {
		return err
	}
	for _, r := range []string{"lib", "big"} {
		if err := c.must(ctx, "POST", "/api/v1/orgs/"+org+"/repos", []byte(`{"name":"`+r+`","visibility":"public"}`), 200, 201); err != nil {
			return err
		}
	}
	repo := "/api/v1/packages/maven/" + org + "/"
	jobs := make(chan [2]string)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := c.must(ctx, "PUT", repo+j[0], []byte(j[1]), 201); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	send := func(path, body string) bool {
		select {
		case jobs <- [2]string{path, body}:
			return true
		case err := <-errs:
			errs <- err
			return false
		}
	}
	ok := true
	for i := 0; ok && i < fillers-1; i++ {
		a := fmt.Sprintf("filler%05d", i)
		ok = send("bench/fill/"+a+"/1.0/"+a+"-1.0.jar", "filler "+a)
	}
	for i := 0; ok && i < versions; i++ {
		v := fmt.Sprintf("1.%d.%d", i/10, i%10)
		ok = send("bench/maven/lib/"+v+"/lib-"+v+".jar", "jar "+v) && send("bench/maven/lib/"+v+"/lib-"+v+".pom", string(pom("bench.maven", "lib", v)))
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return nil
}

const nginxConf = `daemon off;
master_process on;
worker_processes auto;
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
  gzip_static on;
  types { text/xml xml; application/java-archive jar; }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:%[2]d;
    root %[1]s/root;
  }
}
`

type row struct {
	metric, unit  string
	drok, other   float64
	otherName     string
	target        float64
	targetComment string
}

func run(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "drok-bench-maven-")
	if err != nil {
		return err
	}
	// nginx workers drop to an unprivileged user when started as root.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if o.keep {
		fmt.Println("keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if o.drokBin == "" {
		o.drokBin = filepath.Join(tmp, "drok")
		fmt.Println("building drok")
		if err := benchkit.BuildDrok(ctx, o.drokBin); err != nil {
			return err
		}
	}
	nginxBin, err := exec.LookPath(o.nginxBin)
	if err != nil {
		return fmt.Errorf("nginx is needed (apt-get install nginx-light): %w", err)
	}

	drok, err := benchkit.StartDrok(ctx, o.drokBin, tmp)
	if err != nil {
		return err
	}
	defer drok.StopGroup()
	base := drok.Base
	c := &client{base: base, token: drok.Token, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}

	t0 := time.Now()
	fmt.Printf("seeding org small (10 packages, lib with %d versions)\n", o.versions)
	if err := seed(ctx, c, "small", 10, o.versions); err != nil {
		return err
	}
	fmt.Printf("seeding org large (%d packages, lib with %d versions)\n", o.fillers, o.versions)
	if err := seed(ctx, c, "large", o.fillers, o.versions); err != nil {
		return err
	}
	fmt.Printf("seeded in %s\n", time.Since(t0).Round(time.Second))

	bigPath := "bench/maven/big/1.0/big-1.0.jar"
	bigFile := filepath.Join(tmp, "big.jar")
	if err := writeRandom(bigFile, int64(o.bigMB)<<20); err != nil {
		return err
	}
	f, err := os.Open(bigFile)
	if err != nil {
		return err
	}
	st, b, err := c.do(ctx, "PUT", "/api/v1/packages/maven/small/"+bigPath, f)
	f.Close()
	if err != nil || st != 201 {
		return fmt.Errorf("upload big artifact: %d %s %v", st, b, err)
	}

	metaPath := "bench/maven/lib/maven-metadata.xml"
	small := base + "/api/v1/packages/maven/small/"
	large := base + "/api/v1/packages/maven/large/"
	resp, err := http.Get(small + metaPath)
	if err != nil {
		return err
	}
	meta, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || bytes.Count(meta, []byte("<version>")) != o.versions {
		return fmt.Errorf("anonymous metadata GET: %d, %d versions", resp.StatusCode, bytes.Count(meta, []byte("<version>")))
	}

	// nginx serves byte-identical copies at the same paths.
	ndir := filepath.Join(tmp, "nginx")
	for _, d := range []string{"tmp", "root/" + filepath.Dir(metaPath), "root/" + filepath.Dir(bigPath)} {
		if err := os.MkdirAll(filepath.Join(ndir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(ndir, "root", metaPath), meta, 0o644); err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", small+metaPath, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return err
	}
	metaGz, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		return fmt.Errorf("drok did not gzip the metadata")
	}
	if err := os.WriteFile(filepath.Join(ndir, "root", metaPath+".gz"), metaGz, 0o644); err != nil {
		return err
	}
	if err := os.Rename(bigFile, filepath.Join(ndir, "root", bigPath)); err != nil {
		return err
	}
	nport, err := benchkit.FreeLoopbackPort()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(ndir, "nginx.conf"), []byte(fmt.Sprintf(nginxConf, ndir, nport)), 0o644); err != nil {
		return err
	}
	nginx, err := benchkit.StartProcess("nginx", exec.Command(nginxBin, "-p", ndir, "-c", filepath.Join(ndir, "nginx.conf")), filepath.Join(tmp, "nginx.log"))
	if err != nil {
		return err
	}
	defer nginx.StopGroup()
	nbase := "http://127.0.0.1:" + strconv.Itoa(nport) + "/"
	if err := nginx.WaitHTTP(ctx, nbase+metaPath, 30*time.Second); err != nil {
		return err
	}

	load := func(url string, conc int, hdr ...string) (benchkit.LoadResult, error) {
		h := http.Header{}
		for i := 0; i+1 < len(hdr); i += 2 {
			h.Set(hdr[i], hdr[i+1])
		}
		fmt.Printf("  load %s %v (c=%d, %s)\n", url, hdr, conc, o.duration)
		return benchkit.RunLoad(ctx, benchkit.LoadSpec{UserAgent: userAgent, URL: url, Header: h, Concurrency: conc, Warmup: o.warmup, Duration: o.duration})
	}
	// pair measures a and b alternately, o.rounds times each, and returns
	// the median of value for each: background noise on a shared machine
	// then hits both sides alike.
	pair := func(a, b string, conc int, value func(benchkit.LoadResult) float64, hdr ...string) (float64, float64, []benchkit.LoadResult, error) {
		var va, vb []float64
		var all []benchkit.LoadResult
		for range o.rounds {
			for i, u := range []string{a, b} {
				r, err := load(u, conc, hdr...)
				if err != nil {
					return 0, 0, nil, err
				}
				all = append(all, r)
				if i == 0 {
					va = append(va, value(r))
				} else {
					vb = append(vb, value(r))
				}
			}
		}
		return benchkit.Median(va), benchkit.Median(vb), all, nil
	}
	perSec := benchkit.LoadResult.PerSecond
	mib := benchkit.LoadResult.MiBPerSecond
	var rows []row
	dm, nm, _, err := pair(small+metaPath, nbase+metaPath, o.concurrency, perSec)
	if err != nil {
		return err
	}
	rows = append(rows, row{metric: fmt.Sprintf("(a) maven-metadata.xml, %d versions (%d B)", o.versions, len(meta)), unit: "GET/s",
		drok: dm, other: nm, otherName: "nginx", target: 0.5, targetComment: "≥ 0.5× nginx"})
	dz, nz, zs, err := pair(small+metaPath, nbase+metaPath, o.concurrency, perSec, "Accept-Encoding", "gzip")
	if err != nil {
		return err
	}
	for _, r := range zs {
		if r.Bytes/r.Requests != int64(len(metaGz)) {
			return fmt.Errorf("gzip responses of %d B, want %d", r.Bytes/r.Requests, len(metaGz))
		}
	}
	rows = append(rows, row{metric: fmt.Sprintf("(a') the same with Accept-Encoding: gzip, as Maven sends (%d B; nginx: gzip_static)", len(metaGz)), unit: "GET/s",
		drok: dz, other: nz, otherName: "nginx", target: 0.5, targetComment: "≥ 0.5× nginx"})
	ls, ll, _, err := pair(small+metaPath, large+metaPath, o.concurrency, perSec)
	if err != nil {
		return err
	}
	rows = append(rows, row{metric: fmt.Sprintf("(b) (a) in an org of %d packages vs one of 10", o.fillers), unit: "GET/s",
		drok: ll, other: ls, otherName: "drok, 10 packages", target: 0.8, targetComment: "flat: ≥ 0.8×"})
	db, nb, _, err := pair(small+bigPath, nbase+bigPath, o.bigConc, mib)
	if err != nil {
		return err
	}
	rows = append(rows, row{metric: fmt.Sprintf("(c) %d MiB artifact download", o.bigMB), unit: "MiB/s",
		drok: db, other: nb, otherName: "nginx", target: 0.8, targetComment: "≥ 0.8× nginx"})

	var md strings.Builder
	fmt.Fprintf(&md, "| metric | drok | other | ratio | target |\n|---|---:|---:|---:|---|\n")
	for _, r := range rows {
		ratio := r.drok / r.other
		verdict := "met"
		if ratio < r.target {
			verdict = "MISSED"
		}
		fmt.Fprintf(&md, "| %s | %.0f %s | %.0f %s (%s) | %.3f× | %s: %s |\n", r.metric, r.drok, r.unit, r.other, r.unit, r.otherName, ratio, r.targetComment, verdict)
	}
	nv, _ := exec.Command(nginxBin, "-v").CombinedOutput()
	fmt.Fprintf(&md, "\n%s, %d CPUs, %s; nginx: %s; load: closed loop, %d keep-alive workers (%d for the artifact), %s warm-up + %s per window, one server at a time, %d alternating rounds per figure, median shown; drok reads anonymous (public repository).\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version(), strings.TrimSpace(string(nv)), o.concurrency, o.bigConc, o.warmup, o.duration, o.rounds)
	fmt.Println()
	fmt.Print(md.String())
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(o.out, []byte(md.String()), 0o644)
}

func writeRandom(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, n); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
