//go:build linux

// Command pypi benchmarks drok's Python index against pypiserver on this
// machine, side by side in one run, over loopback only.
//
// For each org size in -sizes it starts one drok (fresh data directory,
// org "bench") and one pypiserver (pypi-server run, the cached-dir
// backend, its threaded paste server, no authentication), then:
//
//  1. uploads one project with -files wheels (bench-pkg, one wheel per
//     version) plus filler projects up to the org size to that drok with
//     the legacy upload API, and writes the same files into that
//     pypiserver's directory;
//  2. checks every project page lists every file with its sha256;
//  3. in -rounds interleaved rounds, drives GET simple/bench-pkg/ (the
//     PEP 503 HTML page, as pip fetches it) on each server of each size in
//     turn, never two at once, with -c keep-alive workers for -warmup plus
//     -d, counting 200 responses; drok's requests carry the token (HTTP
//     Basic), pypiserver's none;
//  4. uploads a -big-mb MiB wheel to the largest drok while sampling its
//     RSS and reports the growth over the RSS before the upload.
//
// It prints the figures and ratios and writes them as Markdown to -out.
// A missed target is reported as MISSED but does not fail the run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/drok-dev/drok/bench/internal/benchkit"
)

// userAgent is the User-Agent of the load generator's requests.
const userAgent = "drok-bench-pypi"

type options struct {
	files       int
	sizes       []int
	concurrency int
	warmup      time.Duration
	duration    time.Duration
	bigMB       int
	settle      time.Duration
	rounds      int
	drokBin     string
	pypiserver  string
	out         string
	keep        bool
}

func main() {
	var o options
	var sizes string
	flag.IntVar(&o.files, "files", 500, "files (wheels) of the benchmark project")
	flag.StringVar(&sizes, "sizes", "10,10000", "org sizes (projects) to measure at, ascending")
	flag.IntVar(&o.concurrency, "c", 16, "concurrent keep-alive workers of the load generator")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up before each measured window")
	flag.DurationVar(&o.duration, "d", 6*time.Second, "measured window per server, org size and round")
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved measurement rounds over all org sizes")
	flag.DurationVar(&o.settle, "settle", 5*time.Second, "pause after uploads before measuring")
	flag.IntVar(&o.bigMB, "big-mb", 500, "MiB of the large wheel uploaded for the memory check (0 to skip)")
	flag.StringVar(&o.drokBin, "drok", "", "drok binary (default: build ./cmd/drok into the temp dir)")
	flag.StringVar(&o.pypiserver, "pypiserver", "pypi-server", "pypiserver command")
	flag.StringVar(&o.out, "out", "bench/out/pypi-results.md", "Markdown results file")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory after the run")
	flag.Parse()
	var ok bool
	if o.sizes, ok = benchkit.ParseSizes(sizes); !ok {
		fmt.Fprintln(os.Stderr, "bench/pypi: -sizes must be ascending positive integers")
		os.Exit(2)
	}
	if o.files < 1 || o.rounds < 1 || o.concurrency < 1 || o.duration <= 0 || o.bigMB < 0 {
		fmt.Fprintln(os.Stderr, "bench/pypi: -files, -c and -d must be positive")
		os.Exit(2)
	}
	benchkit.Main("bench/pypi", func(ctx context.Context) error { return run(ctx, o) })
}

// measurement is one org size's figures.
type measurement struct {
	size         int
	load         string
	drok, pypisv sum
}

// sum accumulates load results over rounds.
type sum struct {
	requests int64
	elapsed  time.Duration
	p50, p99 []time.Duration
}

func (s *sum) add(r benchkit.LoadResult) {
	s.requests += r.Requests
	s.elapsed += r.Elapsed
	s.p50, s.p99 = append(s.p50, r.P50), append(s.p99, r.P99)
}

// PerSecond is the throughput over every round.
func (s sum) PerSecond() float64 { return float64(s.requests) / s.elapsed.Seconds() }

// latencies renders the per-round p50 / p99.
func (s sum) latencies() string {
	var parts []string
	for i := range s.p50 {
		parts = append(parts, s.p50[i].Round(10*time.Microsecond).String()+" / "+s.p99[i].Round(10*time.Microsecond).String())
	}
	return strings.Join(parts, ", ")
}

func run(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "drok-bench-pypi-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Println("keeping temporary files in", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if o.drokBin == "" {
		o.drokBin = filepath.Join(tmp, "drok")
		fmt.Println("building drok: go build -o " + o.drokBin + " ./cmd/drok")
		if err := benchkit.BuildDrok(ctx, o.drokBin); err != nil {
			return err
		}
	}
	psVersion, err := exec.CommandContext(ctx, o.pypiserver, "--version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pypiserver (%s) is not installed: pip install 'pypiserver>=2' paste watchdog: %w", o.pypiserver, err)
	}

	fmt.Printf("generating %d wheels of bench-pkg\n", o.files)
	var bench []wheel
	for i := range o.files {
		w, err := smallWheel("bench-pkg", fmt.Sprintf("1.%d", i))
		if err != nil {
			return err
		}
		bench = append(bench, w)
	}

	// One drok and one pypiserver per org size, filled once, so the sizes
	// can be measured in interleaved rounds (background load then falls on
	// every configuration alike).
	type pair struct {
		size         int
		drok, pypisv *server
	}
	var pairs []*pair
	defer func() {
		for _, p := range pairs {
			if p.drok != nil {
				p.drok.Stop()
			}
			if p.pypisv != nil {
				p.pypisv.Stop()
			}
		}
	}()
	for _, size := range o.sizes {
		dir := filepath.Join(tmp, fmt.Sprintf("size-%d", size))
		pkgDir := filepath.Join(dir, "pypiserver-packages")
		if err := os.MkdirAll(pkgDir, 0o755); err != nil {
			return err
		}
		p := &pair{size: size}
		pairs = append(pairs, p)
		if p.drok, err = startDrok(ctx, o.drokBin, dir); err != nil {
			return err
		}
		if p.pypisv, err = startPypiserver(ctx, o.pypiserver, pkgDir, dir); err != nil {
			return err
		}
		files := append([]wheel{}, bench...)
		for i := 1; i < size; i++ {
			w, err := smallWheel(fmt.Sprintf("filler-%05d", i), "1.0")
			if err != nil {
				return err
			}
			files = append(files, w)
		}
		start := time.Now()
		if err := publish(ctx, p.drok, pkgDir, files); err != nil {
			return err
		}
		fmt.Printf("org size %d: uploaded %d files (%d projects) to drok in %s and wrote them for pypiserver\n",
			size, len(files), size, time.Since(start).Round(time.Millisecond))
		for _, s := range []*server{p.drok, p.pypisv} {
			if err := checkPage(ctx, s, o.files); err != nil {
				return err
			}
		}
	}
	// Let pypiserver's directory watchers and the kernel's write-back settle.
	_ = exec.CommandContext(ctx, "sync").Run()
	time.Sleep(o.settle)

	results := make([]measurement, len(pairs))
	for i, p := range pairs {
		results[i].size = p.size
	}
	for round := 1; round <= o.rounds; round++ {
		for i, p := range pairs {
			m := &results[i]
			load := loadAverage()
			if round == 1 {
				m.load = load
			}
			for _, x := range []struct {
				s   *server
				dst *sum
			}{{p.drok, &m.drok}, {p.pypisv, &m.pypisv}} {
				h := map[string][]string{}
				if x.s.Auth != "" {
					h["Authorization"] = []string{x.s.Auth}
				}
				res, err := benchkit.RunLoad(ctx, benchkit.LoadSpec{UserAgent: userAgent, URL: x.s.Simple + "bench-pkg/", Header: h, Concurrency: o.concurrency, Warmup: o.warmup, Duration: o.duration})
				if err != nil {
					return fmt.Errorf("%s: %w", x.s.Name, err)
				}
				fmt.Printf("round %d, org size %5d, %-10s %9.0f GETs/s  p50 %-8s p99 %-8s (load %s)\n", round, p.size, x.s.Name, res.PerSecond(),
					res.P50.Round(time.Microsecond), res.P99.Round(time.Microsecond), load)
				x.dst.add(res)
			}
		}
	}
	fmt.Println()
	for _, m := range results {
		fmt.Printf("org size %5d: drok %9.0f GETs/s, pypiserver %7.1f GETs/s, ratio %.2fx (target ≥ 5x)\n",
			m.size, m.drok.PerSecond(), m.pypisv.PerSecond(), m.drok.PerSecond()/m.pypisv.PerSecond())
	}
	drok := pairs[len(pairs)-1].drok

	var rss *rssResult
	if o.bigMB > 0 {
		r, err := measureBigUpload(ctx, drok, tmp, int64(o.bigMB)<<20)
		if err != nil {
			return err
		}
		rss = &r
		fmt.Printf("\n== %d MiB wheel upload to drok: %s, RSS %.1f MiB before, peak %.1f MiB, growth %.1f MiB (target < 64 MiB)\n",
			o.bigMB, r.elapsed.Round(time.Millisecond), benchkit.MiB(r.before), benchkit.MiB(r.peak), benchkit.MiB(r.peak-r.before))
	}
	md := report(o, strings.TrimSpace(string(psVersion)), results, rss)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Println("\nwrote", o.out)
	return nil
}

// publish uploads ws to drok (8 at a time) and writes them into
// pypiserver's directory.
func publish(ctx context.Context, drok *server, pkgDir string, ws []wheel) error {
	jobs := make(chan wheel)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range jobs {
				if err := drok.upload(ctx, w.Project, w.Version, w.Filename, strings.NewReader(string(w.Data))); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		}()
	}
	var ferr error
	for _, w := range ws {
		if ferr = os.WriteFile(filepath.Join(pkgDir, w.Filename), w.Data, 0o644); ferr != nil {
			break
		}
		select {
		case jobs <- w:
		case err := <-errs:
			ferr = err
		}
		if ferr != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
	if ferr != nil {
		return ferr
	}
	select {
	case err := <-errs:
		return err
	default:
	}
	return nil
}

// checkPage requires the project page to list every file.
func checkPage(ctx context.Context, s *server, files int) error {
	st, body, err := s.get(ctx, setupClient, s.Simple+"bench-pkg/")
	if err != nil {
		return fmt.Errorf("%s: project page: %w", s.Name, err)
	}
	if n := strings.Count(string(body), "<a "); st != 200 || n != files || !strings.Contains(string(body), "#sha256=") {
		return s.Failf("project page: status %d, %d links, want %d with #sha256=", st, n, files)
	}
	return nil
}

type rssResult struct {
	before, peak int64
	elapsed      time.Duration
	samples      int
}

// measureBigUpload writes a big wheel to disk, then streams it to drok
// while sampling the daemon's RSS.
func measureBigUpload(ctx context.Context, drok *server, tmp string, size int64) (rssResult, error) {
	var r rssResult
	path := filepath.Join(tmp, "big.whl")
	fmt.Printf("\nwriting a %d MiB wheel\n", size>>20)
	name, err := writeBigWheel(path, "bench-big", "1.0", size)
	if err != nil {
		return r, err
	}
	runtime.GC()
	time.Sleep(500 * time.Millisecond)
	m, err := benchkit.ReadProcMem(drok.PID)
	if err != nil {
		return r, err
	}
	r.before = m.RSS
	f, err := os.Open(path)
	if err != nil {
		return r, err
	}
	defer f.Close()
	sampler := benchkit.StartRSSSampler(drok.PID, 5*time.Millisecond)
	start := time.Now()
	uerr := drok.upload(ctx, "bench-big", "1.0", name, f)
	r.elapsed = time.Since(start)
	peak, samples, serr := sampler.Stop()
	if uerr != nil {
		return r, uerr
	}
	if serr != nil {
		return r, serr
	}
	r.peak, r.samples = peak, samples
	os.Remove(path)
	return r, nil
}

func report(o options, psVersion string, ms []measurement, rss *rssResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# PyPI benchmark: drok vs pypiserver\n\n")
	fmt.Fprintf(&b, "Run %s on %s, %d CPUs (%s/%s). pypiserver: %s (cached-dir backend, paste server, no auth).\n",
		time.Now().UTC().Format(time.RFC3339), hostname(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, psVersion)
	fmt.Fprintf(&b, "Project page of a project with %d wheels, `GET simple/bench-pkg/` (HTML), %d keep-alive workers, %s warm-up and %s window per server, size and round, %d interleaved rounds; drok with a token (Basic), pypiserver anonymous.\n\n",
		o.files, o.concurrency, o.warmup, o.duration, o.rounds)
	b.WriteString("| org size (projects) | drok GETs/s | pypiserver GETs/s | ratio | target | drok p50 / p99 per round | pypiserver p50 / p99 per round | load average before |\n|---|---|---|---|---|---|---|---|\n")
	for _, m := range ms {
		ratio := m.drok.PerSecond() / m.pypisv.PerSecond()
		verdict := "met"
		if ratio < 5 {
			verdict = "MISSED"
		}
		fmt.Fprintf(&b, "| %d | %.0f | %.1f | %.2fx | ≥ 5x (%s) | %s | %s | %s |\n", m.size, m.drok.PerSecond(), m.pypisv.PerSecond(), ratio, verdict,
			m.drok.latencies(), m.pypisv.latencies(), m.load)
	}
	if len(ms) > 1 {
		first, last := ms[0], ms[len(ms)-1]
		fmt.Fprintf(&b, "\ndrok at %d projects: %.2f of its throughput at %d; pypiserver: %.2f.\n", last.size,
			last.drok.PerSecond()/first.drok.PerSecond(), first.size, last.pypisv.PerSecond()/first.pypisv.PerSecond())
	}
	if rss != nil {
		verdict := "met"
		if rss.peak-rss.before >= 64<<20 {
			verdict = "MISSED"
		}
		fmt.Fprintf(&b, "\nUpload of a %d MiB wheel to drok: %s; daemon RSS %.1f MiB before, peak %.1f MiB (%d samples), growth %.1f MiB (target < 64 MiB: %s).\n",
			o.bigMB, rss.elapsed.Round(time.Millisecond), benchkit.MiB(rss.before), benchkit.MiB(rss.peak), rss.samples, benchkit.MiB(rss.peak-rss.before), verdict)
	}
	return b.String()
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown host"
	}
	return h
}

// loadAverage returns the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
