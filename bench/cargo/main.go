//go:build linux

// Command cargo benchmarks drok's Cargo sparse index against nginx serving
// the identical index file statically, side by side in one run, over
// loopback only.
//
// It builds and starts `drok serve` on a fresh data directory, creates org
// bench with a public repository bench-crate, publishes bench-crate with
// -versions versions through the Cargo web API (each version with two
// dependencies and two features, like typical entries of the public Rust registry), and
// fills the org with small crates up to each size of -sizes. At each
// size it copies drok's index file of bench-crate byte for byte into an
// nginx document root (same URL path), starts nginx on a loopback port
// with a temporary configuration, and drives, one after another, drok
// (anonymous, the crate is public), drok (with a token, as cargo sends it
// for an org with private crates) and nginx with a closed-loop load of -c
// keep-alive workers for -warmup plus -d, counting 200 responses.
//
// It prints a table of GETs/s, latencies and drok/nginx ratios with the
// target (≥ 0.5×), and writes the same as Markdown to -out. A missed
// target is reported as MISSED but does not fail the run; setup and
// measurement errors exit 1.
//
// Run it from the repository root with `make bench-cargo` or
// bench/cargo/run.sh.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drok-dev/drok/bench/internal/benchkit"
)

// userAgent is the User-Agent of the load generator's requests.
const userAgent = "drok-bench-cargo"

type options struct {
	versions    int
	sizes       []int
	concurrency int
	publishers  int
	warmup      time.Duration
	duration    time.Duration
	drokBin     string
	nginxBin    string
	out         string
	keep        bool
	nginxVer    string
}

func main() {
	var o options
	var sizes string
	flag.IntVar(&o.versions, "versions", 500, "versions of the benchmark crate")
	flag.StringVar(&sizes, "sizes", "10,10000", "org sizes (crates in the org) to measure at, ascending")
	flag.IntVar(&o.concurrency, "c", 32, "concurrent keep-alive workers of the load generator")
	flag.IntVar(&o.publishers, "p", 8, "concurrent publishers while filling the org")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up before each measured load window")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "measured load window per server and size")
	flag.StringVar(&o.drokBin, "drok", "", "drok binary to test (default: build ./cmd/drok into the temp dir)")
	flag.StringVar(&o.nginxBin, "nginx", "", "nginx binary (default: nginx on PATH or /usr/sbin/nginx)")
	flag.StringVar(&o.out, "out", "bench/out/cargo-results.md", "Markdown results file")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory after the run")
	flag.Parse()
	var ok bool
	if o.sizes, ok = benchkit.ParseSizes(sizes); !ok {
		fmt.Fprintln(os.Stderr, "bench/cargo: -sizes must be ascending positive numbers")
		os.Exit(2)
	}
	if o.versions < 1 || o.concurrency < 1 || o.publishers < 1 || o.duration <= 0 {
		fmt.Fprintln(os.Stderr, "bench/cargo: -versions, -c, -p and -d must be positive")
		os.Exit(2)
	}
	benchkit.Main("bench/cargo", func(ctx context.Context) error { return run(ctx, o) })
}

const (
	org       = "bench"
	benchName = "bench-crate"
	indexRel  = "api/v1/packages/cargo/bench/be/nc/bench-crate"
)

// row is the measurement at one org size.
type row struct {
	size                  int
	drokAnon, drokToken   benchkit.LoadResult
	nginx                 benchkit.LoadResult
	fileBytes, fileLines  int
	fillTime, publishTime time.Duration
}

func run(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "drok-bench-cargo-")
	if err != nil {
		return err
	}
	// nginx workers may run as another user: the document root must be
	// readable by them.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if o.keep {
		fmt.Println("keeping temporary files in", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if o.nginxBin == "" {
		if p, err := exec.LookPath("nginx"); err == nil {
			o.nginxBin = p
		} else if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
			o.nginxBin = "/usr/sbin/nginx"
		} else {
			return fmt.Errorf("nginx not found: install the Debian package nginx-light (or pass -nginx)")
		}
	}
	if out, err := exec.Command(o.nginxBin, "-v").CombinedOutput(); err == nil {
		o.nginxVer = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "nginx version:"))
	}
	if o.drokBin == "" {
		o.drokBin = filepath.Join(tmp, "drok")
		fmt.Println("building drok: go build -o " + o.drokBin + " ./cmd/drok")
		if err := benchkit.BuildDrok(ctx, o.drokBin); err != nil {
			return err
		}
	}
	d, err := startDrok(ctx, o.drokBin, tmp)
	if err != nil {
		return err
	}
	defer d.Stop()

	t0 := time.Now()
	if err := publishMany(ctx, d, o.publishers, o.versions, func(i int) (string, string) {
		return benchName, fmt.Sprintf("1.%d.0", i)
	}); err != nil {
		return err
	}
	publishTime := time.Since(t0)
	fmt.Printf("published %s with %d versions in %s\n", benchName, o.versions, publishTime.Round(time.Millisecond))

	var rows []row
	have := 1
	for _, size := range o.sizes {
		t0 := time.Now()
		start := have
		if err := publishMany(ctx, d, o.publishers, size-have, func(i int) (string, string) {
			return fmt.Sprintf("filler-%05d", start+i), "1.0.0"
		}); err != nil {
			return err
		}
		have = size
		r := row{size: size, fillTime: time.Since(t0), publishTime: publishTime}
		fmt.Printf("org %s has %d crates (filled in %s)\n", org, size, r.fillTime.Round(time.Millisecond))

		body, err := fetch(ctx, d.base+"/"+indexRel, "")
		if err != nil {
			return err
		}
		r.fileBytes, r.fileLines = len(body), bytes.Count(body, []byte("\n"))
		if r.fileLines != o.versions {
			return fmt.Errorf("drok's index file has %d lines, want %d", r.fileLines, o.versions)
		}
		ng, err := startNginx(ctx, o.nginxBin, filepath.Join(tmp, fmt.Sprintf("nginx-%d", size)), body)
		if err != nil {
			return err
		}
		static, err := fetch(ctx, ng.base+"/"+indexRel, "")
		if err != nil || !bytes.Equal(static, body) {
			ng.Stop()
			return fmt.Errorf("nginx does not serve the identical file (%v)", err)
		}
		spec := func(url, token string) benchkit.LoadSpec {
			h := http.Header{}
			if token != "" {
				h.Set("Authorization", token)
			}
			return benchkit.LoadSpec{UserAgent: userAgent, URL: url, Header: h, Concurrency: o.concurrency, Warmup: o.warmup, Duration: o.duration}
		}
		for _, m := range []struct {
			name string
			dst  *benchkit.LoadResult
			spec benchkit.LoadSpec
		}{
			{"drok (anonymous)", &r.drokAnon, spec(d.base+"/"+indexRel, "")},
			{"nginx", &r.nginx, spec(ng.base+"/"+indexRel, "")},
			{"drok (token)", &r.drokToken, spec(d.base+"/"+indexRel, d.token)},
		} {
			res, err := benchkit.RunLoad(ctx, m.spec)
			if err != nil {
				ng.Stop()
				return fmt.Errorf("%s at %d crates: %w", m.name, size, err)
			}
			*m.dst = res
			fmt.Printf("  %-18s %10.0f GETs/s  p50 %v  p99 %v\n", m.name, res.PerSecond(), res.P50.Round(time.Microsecond), res.P99.Round(time.Microsecond))
		}
		ng.Stop()
		rows = append(rows, r)
	}
	report := render(o, rows)
	fmt.Print("\n" + report)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(o.out, []byte(report), 0o644); err != nil {
		return err
	}
	fmt.Println("wrote", o.out)
	return nil
}

func render(o options, rows []row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Cargo sparse index: drok vs nginx (%s)\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Servers: drok, %s.\n", o.nginxVer)
	fmt.Fprintf(&b, "Machine: %d CPUs (%s), %s, load average at the end %s; load generator on the same machine, %d keep-alive workers, %s window after %s warm-up.\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), loadAvg(), o.concurrency, o.duration, o.warmup)
	if len(rows) > 0 {
		fmt.Fprintf(&b, "Index file of %s: %d versions, %d bytes; published in %s.\n\n",
			benchName, rows[0].fileLines, rows[0].fileBytes, rows[0].publishTime.Round(time.Millisecond))
	}
	b.WriteString("| crates in org | drok GETs/s (anonymous) | drok GETs/s (token) | nginx GETs/s | ratio anon | ratio token | target | drok p50/p99 | nginx p50/p99 |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---|---|---|\n")
	for _, r := range rows {
		ra := r.drokAnon.PerSecond() / r.nginx.PerSecond()
		rt := r.drokToken.PerSecond() / r.nginx.PerSecond()
		verdict := "met"
		if min(ra, rt) < 0.5 {
			verdict = "MISSED"
		}
		fmt.Fprintf(&b, "| %d | %.0f | %.0f | %.0f | %.2f× | %.2f× | ≥ 0.5× %s | %v / %v | %v / %v |\n",
			r.size, r.drokAnon.PerSecond(), r.drokToken.PerSecond(), r.nginx.PerSecond(), ra, rt, verdict,
			r.drokAnon.P50.Round(time.Microsecond), r.drokAnon.P99.Round(time.Microsecond),
			r.nginx.P50.Round(time.Microsecond), r.nginx.P99.Round(time.Microsecond))
	}
	if len(rows) >= 2 {
		first, last := rows[0], rows[len(rows)-1]
		fmt.Fprintf(&b, "\nFrom %d to %d crates drok's anonymous rate changed by %+.1f%% (nginx: %+.1f%%).\n",
			first.size, last.size, 100*(last.drokAnon.PerSecond()/first.drokAnon.PerSecond()-1),
			100*(last.nginx.PerSecond()/first.nginx.PerSecond()-1))
	}
	return b.String()
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for l := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// fetch GETs url (with token) and returns the body of a 200.
func fetch(ctx context.Context, url, token string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, b)
	}
	return b, nil
}

// crate builds the framed publish body (metadata and .crate). Crates of benchName
// get two dependencies and two features so index lines have the size of
// typical ones.
func crate(name, version string) ([]byte, error) {
	toml := "[package]\nname = \"" + name + "\"\nversion = \"" + version + "\"\nedition = \"2021\"\n"
	meta := map[string]any{"name": name, "vers": version, "deps": []any{}, "features": map[string]any{},
		"description": "drok benchmark crate", "license": "MIT"}
	if name == benchName {
		toml += "description = \"drok benchmark crate\"\nlicense = \"MIT\"\n\n" +
			"[dependencies.util]\nversion = \"1.2\"\npackage = \"filler-00001\"\nfeatures = [\"std\"]\n\n" +
			"[dependencies.helper]\nversion = \"0.4.1\"\npackage = \"filler-00002\"\noptional = true\n\n" +
			"[features]\ndefault = [\"util/std\"]\nfast = [\"dep:helper\"]\n"
		s := func(v string) *string { return &v }
		meta["deps"] = []any{
			map[string]any{"name": "filler-00001", "explicit_name_in_toml": s("util"), "version_req": "^1.2", "features": []string{"std"}, "optional": false, "default_features": true, "kind": "normal"},
			map[string]any{"name": "filler-00002", "explicit_name_in_toml": s("helper"), "version_req": "^0.4.1", "features": []string{}, "optional": true, "default_features": true, "kind": "normal"},
		}
		meta["features"] = map[string][]string{"default": {"util/std"}, "fast": {"dep:helper"}}
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	root := name + "-" + version + "/"
	for _, f := range []struct{ name, body string }{{root + "Cargo.toml", toml}, {root + "src/lib.rs", "pub fn f() {}\n"}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Size: int64(len(f.body)), Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	j, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	_ = binary.Write(&body, binary.LittleEndian, uint32(len(j)))
	body.Write(j)
	_ = binary.Write(&body, binary.LittleEndian, uint32(buf.Len()))
	body.Write(buf.Bytes())
	return body.Bytes(), nil
}

// publishMany publishes n crates (name and version of the i-th from gen)
// with p concurrent publishers.
func publishMany(ctx context.Context, d *proc, p, n int, gen func(i int) (string, string)) error {
	if n <= 0 {
		return nil
	}
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(p, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				name, version := gen(i)
				body, err := crate(name, version)
				if err == nil {
					err = d.publish(ctx, body)
				}
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("publish %s@%s: %w", name, version, err) })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}
