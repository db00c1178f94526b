//go:build linux

// Command npm benchmarks drok's npm registry against Verdaccio 6.8.0 on
// this machine, side by side in one run, over loopback only.
//
// It starts both servers as child processes on 127.0.0.1 with fresh
// storage, then, never loading both at once:
//
//  1. publishes one package with -versions versions sequentially to each
//     server in turn, timing it (metric d, publishes/s);
//  2. checks each server's full and abbreviated packuments and a tarball;
//  3. for each of the full packument (a), the abbreviated packument (b)
//     and one tarball (c), drives drok and then Verdaccio with a
//     closed-loop load of -c keep-alive workers for -warmup plus -d,
//     counting 200 responses (interleaving the servers per metric spreads
//     background noise over both);
//  4. publishes a ~-big-mb MiB tarball of random data to each server while
//     sampling its RSS, and reads its peak RSS (VmHWM, reset just before);
//  5. stops both servers.
//
// It then prints a table of drok's and Verdaccio's numbers, their ratios
// and the targets, and writes the same as Markdown to -out. A missed
// target is reported as MISSED but does not fail the run; setup and
// measurement errors exit 1.
//
// Run it from the repository root with `make bench` or bench/npm/run.sh,
// which installs Verdaccio first.
package main

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/drok-dev/drok/bench/internal/benchkit"
)

// userAgent is the User-Agent of the load generator's requests.
const userAgent = "drok-bench-npm"

// options are the command-line settings.
type options struct {
	versions     int
	concurrency  int
	warmup       time.Duration
	duration     time.Duration
	bigMB        int
	srcKB        int
	only         string
	drokBin      string
	verdaccioDir string
	out          string
	keep         bool
}

func main() {
	var o options
	flag.IntVar(&o.versions, "versions", 200, "versions of the benchmark package to publish")
	flag.IntVar(&o.concurrency, "c", 32, "concurrent keep-alive workers of the load generator")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "warm-up before each measured load window")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "measured load window per metric and server")
	flag.IntVar(&o.bigMB, "big-mb", 100, "payload MiB of the large publish used for the memory check")
	flag.IntVar(&o.srcKB, "src-kb", 16, "KiB of source in each ordinary version's tarball")
	flag.StringVar(&o.only, "only", "", `run only "drok" or "verdaccio" (for developing the harness)`)
	flag.StringVar(&o.drokBin, "drok", "", "drok binary to test (default: build ./cmd/drok into the temp dir)")
	flag.StringVar(&o.verdaccioDir, "verdaccio-dir", "bench/npm/verdaccio", "directory with Verdaccio installed in node_modules")
	flag.StringVar(&o.out, "out", "bench/out/npm-results.md", "Markdown results file")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (data, logs) after the run")
	flag.Parse()
	if o.versions < 1 || o.concurrency < 1 || o.duration <= 0 || o.bigMB < 1 || o.srcKB < 0 {
		fmt.Fprintln(os.Stderr, "bench/npm: -versions, -c, -d and -big-mb must be positive")
		os.Exit(2)
	}
	if o.only != "" && o.only != "drok" && o.only != "verdaccio" {
		fmt.Fprintln(os.Stderr, `bench/npm: -only must be "drok" or "verdaccio"`)
		os.Exit(2)
	}
	benchkit.Main("bench/npm", func(ctx context.Context) error { return run(ctx, o) })
}

// benchPkg is the name of the many-versions package; bigPkg holds the one
// large version.
const (
	benchPkg = "bench-pkg"
	bigPkg   = "bench-big"
)

// version returns the i-th version string (1.0.0, 1.1.0, …).
func version(i int) string { return fmt.Sprintf("1.%d.0", i) }

// fixtures are the tarballs published to both servers.
type fixtures struct {
	small [][]byte
	pkgs  []packageJSON
	big   []byte
	bigPJ packageJSON
}

// makeFixtures generates every tarball up front, so that generation never
// counts towards a measurement.
func makeFixtures(o options) (*fixtures, error) {
	f := &fixtures{}
	for i := range o.versions {
		pj := newPackageJSON(benchPkg, version(i))
		tgz, err := smallTarball(pj, o.srcKB*1024, uint64(i))
		if err != nil {
			return nil, fmt.Errorf("tarball %s: %w", pj.Version, err)
		}
		f.pkgs = append(f.pkgs, pj)
		f.small = append(f.small, tgz)
	}
	f.bigPJ = newPackageJSON(bigPkg, "1.0.0")
	big, err := bigTarball(f.bigPJ, int64(o.bigMB)<<20)
	if err != nil {
		return nil, fmt.Errorf("large tarball: %w", err)
	}
	f.big = big
	return f, nil
}

// run performs the whole benchmark and writes the report.
func run(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "drok-bench-npm-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	if o.keep {
		fmt.Printf("keeping temporary files in %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}

	rep := &report{opts: o, started: time.Now(), args: os.Args[1:]}
	rep.machine = machineFacts(o.verdaccioDir)

	built := o.only != "verdaccio" && o.drokBin == ""
	if built {
		o.drokBin = filepath.Join(tmp, "drok")
		fmt.Println("building drok: go build -o " + o.drokBin + " ./cmd/drok")
		if err := benchkit.BuildDrok(ctx, o.drokBin); err != nil {
			return err
		}
	}
	if o.only != "verdaccio" {
		rep.machine.drok = drokVersion(ctx, o.drokBin)
		if out, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty").Output(); built && err == nil {
			rep.machine.drok += " (source " + strings.TrimSpace(string(out)) + ")"
		}
	}

	fmt.Printf("generating fixtures: %d versions of %s, one %d MiB tarball\n", o.versions, benchPkg, o.bigMB)
	fx, err := makeFixtures(o)
	if err != nil {
		return err
	}
	rep.bigSize = int64(len(fx.big))

	// Start the servers and publish to each in turn.
	type entry struct {
		s   *server
		res *serverResult
	}
	var servers []entry
	defer func() {
		for _, e := range servers {
			e.s.Stop()
		}
	}()
	starters := []struct {
		key   string
		start func() (*server, error)
		dst   **serverResult
	}{
		{"drok", func() (*server, error) { return startDrok(ctx, o.drokBin, tmp) }, &rep.drok},
		{"verdaccio", func() (*server, error) { return startVerdaccio(ctx, o.verdaccioDir, tmp) }, &rep.verdaccio},
	}
	for _, st := range starters {
		if o.only != "" && o.only != st.key {
			continue
		}
		fmt.Printf("\n== %s: starting\n", st.key)
		s, err := st.start()
		if err != nil {
			return err
		}
		res := &serverResult{name: s.Name}
		servers = append(servers, entry{s, res})
		*st.dst = res
		if err := prepare(ctx, o, s, res, fx); err != nil {
			return err
		}
	}

	// Throughput, one server and one metric at a time.
	for _, m := range loadMetrics {
		fmt.Printf("\n== %s\n", m.label)
		for _, e := range servers {
			if err := measureLoad(ctx, o, e.s, e.res, m); err != nil {
				return err
			}
		}
	}

	// Memory during the large publish.
	fmt.Printf("\n== large publish\n")
	for _, e := range servers {
		if err := measureMemory(ctx, e.s, e.res, fx); err != nil {
			return err
		}
	}
	for _, e := range servers {
		e.s.Stop()
	}
	rep.finished = time.Now()

	table := rep.text()
	fmt.Println()
	fmt.Print(table)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return fmt.Errorf("results directory: %w", err)
	}
	if err := os.WriteFile(o.out, []byte(rep.markdown()), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	fmt.Printf("\nwrote %s\n", o.out)
	return nil
}

// serverResult is everything measured on one server.
type serverResult struct {
	name string

	publishes      int
	publishElapsed time.Duration
	authReads      bool // reads carried the token (anonymous reads refused)

	fullSize, abbrevSize, tarballSize int
	abbrevType, tarballURL            string
	full, abbrev, tarball             benchkit.LoadResult

	bigElapsed  time.Duration
	baseRSS     int64 // VmRSS just before the large publish
	sampledPeak int64 // highest sampled VmRSS during it
	hwm         int64 // VmHWM after it (0 when it could not be reset)
	samples     int
}

// peakRSS is the best estimate of the peak RSS during the large publish.
func (r *serverResult) peakRSS() int64 { return max(r.sampledPeak, r.hwm) }

// publishRate is the sequential publishes per second.
func (r *serverResult) publishRate() float64 {
	if r.publishElapsed <= 0 {
		return 0
	}
	return float64(r.publishes) / r.publishElapsed.Seconds()
}

// tarballURL is the dist.tarball a client would announce for pj on s.
func tarballURL(s *server, pj packageJSON) string {
	return s.Registry + pj.Name + "/-/" + pj.Name + "-" + pj.Version + ".tgz"
}

// prepare publishes every version of the benchmark package to s, timing
// it (metric d), and checks what the server then serves.
func prepare(ctx context.Context, o options, s *server, res *serverResult, fx *fixtures) error {
	// The bodies are rendered before the clock starts.
	bodies := make([][]byte, len(fx.small))
	for i, tgz := range fx.small {
		b, err := publishBody(fx.pkgs[i], tgz, tarballURL(s, fx.pkgs[i]))
		if err != nil {
			return err
		}
		bodies[i] = b
	}
	fmt.Printf("%s: publishing %d versions of %s sequentially\n", s.Name, len(bodies), benchPkg)
	t0 := time.Now()
	for i, b := range bodies {
		if err := s.publish(ctx, benchPkg, b); err != nil {
			return fmt.Errorf("version %s: %w", fx.pkgs[i].Version, err)
		}
	}
	res.publishElapsed = time.Since(t0)
	res.publishes = len(bodies)
	fmt.Printf("%s: %d publishes in %s (%.1f/s)\n", s.Name, res.publishes, res.publishElapsed.Round(time.Millisecond), res.publishRate())

	if err := s.decideReadAuth(ctx, benchPkg); err != nil {
		return err
	}
	res.authReads = s.AuthReads

	// Both packument forms list every version, and a tarball comes back
	// byte for byte.
	full, n, _, err := s.fetchPackument(ctx, benchPkg, "application/json")
	if err != nil {
		return err
	}
	if len(full.Versions) != o.versions {
		return s.Failf("full packument lists %d versions, want %d", len(full.Versions), o.versions)
	}
	res.fullSize = n
	abbr, n, ctype, err := s.fetchPackument(ctx, benchPkg, "application/vnd.npm.install-v1+json")
	if err != nil {
		return err
	}
	if len(abbr.Versions) != o.versions {
		return s.Failf("abbreviated packument lists %d versions, want %d", len(abbr.Versions), o.versions)
	}
	res.abbrevSize, res.abbrevType = n, ctype
	last := fx.pkgs[len(fx.pkgs)-1]
	res.tarballURL = full.Versions[last.Version].Dist.Tarball
	if res.tarballURL == "" {
		return s.Failf("no dist.tarball for %s", last.Version)
	}
	if err := checkTarball(ctx, s, res.tarballURL, fx.small[len(fx.small)-1]); err != nil {
		return err
	}
	res.tarballSize = len(fx.small[len(fx.small)-1])
	fmt.Printf("%s: full packument %d B, abbreviated %d B (%s), tarball %d B at %s\n",
		s.Name, res.fullSize, res.abbrevSize, ctype, res.tarballSize, res.tarballURL)
	return nil
}

// loadMetric is one of the GET throughput measurements.
type loadMetric struct {
	label  string
	accept string
	url    func(s *server, res *serverResult) string
	dst    func(res *serverResult) *benchkit.LoadResult
}

// loadMetrics are measurements (a), (b) and (c). The abbreviated Accept
// header is the one the npm CLI sends.
var loadMetrics = []loadMetric{
	{"(a) full packument", "application/json",
		func(s *server, _ *serverResult) string { return s.Registry + benchPkg },
		func(r *serverResult) *benchkit.LoadResult { return &r.full }},
	{"(b) abbreviated packument", "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*",
		func(s *server, _ *serverResult) string { return s.Registry + benchPkg },
		func(r *serverResult) *benchkit.LoadResult { return &r.abbrev }},
	{"(c) tarball", "*/*",
		func(_ *server, r *serverResult) string { return r.tarballURL },
		func(r *serverResult) *benchkit.LoadResult { return &r.tarball }},
}

// measureLoad runs one load metric against s.
func measureLoad(ctx context.Context, o options, s *server, res *serverResult, m loadMetric) error {
	hdr := http.Header{"Accept": {m.accept}}
	if s.AuthReads {
		hdr.Set("Authorization", "Bearer "+s.Token)
	}
	fmt.Printf("%s: %d workers, %s warm-up + %s\n", s.Name, o.concurrency, o.warmup, o.duration)
	r, err := benchkit.RunLoad(ctx, benchkit.LoadSpec{UserAgent: userAgent, URL: m.url(s, res), Header: hdr, Concurrency: o.concurrency, Warmup: o.warmup, Duration: o.duration})
	if err != nil {
		return s.Failf("%s: %v", m.label, err)
	}
	*m.dst(res) = r
	fmt.Printf("%s: %.0f req/s, p50 %s, p99 %s, %.1f MB/s\n", s.Name, r.PerSecond(),
		r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), float64(r.Bytes)/r.Elapsed.Seconds()/1e6)
	return nil
}

// measureMemory publishes the large tarball to s while sampling its RSS,
// then checks that the version landed intact.
func measureMemory(ctx context.Context, s *server, res *serverResult, fx *fixtures) error {
	body, err := publishBody(fx.bigPJ, fx.big, tarballURL(s, fx.bigPJ))
	if err != nil {
		return err
	}
	before, err := benchkit.ReadProcMem(s.PID)
	if err != nil {
		return err
	}
	res.baseRSS = before.RSS
	reset := benchkit.ResetPeakRSS(s.PID)
	fmt.Printf("%s: publishing %s (%.1f MB tarball, %.1f MB request); RSS before %.1f MB\n",
		s.Name, bigPkg, mb(int64(len(fx.big))), mb(int64(len(body))), mb(before.RSS))
	sampler := benchkit.StartRSSSampler(s.PID, 20*time.Millisecond)
	t0 := time.Now()
	perr := s.publish(ctx, bigPkg, body)
	res.bigElapsed = time.Since(t0)
	peak, samples, serr := sampler.Stop()
	if perr != nil {
		return fmt.Errorf("large publish: %w", perr)
	}
	if serr != nil {
		return fmt.Errorf("sample RSS: %w", serr)
	}
	res.sampledPeak, res.samples = peak, samples
	if reset {
		after, err := benchkit.ReadProcMem(s.PID)
		if err != nil {
			return err
		}
		res.hwm = after.HWM
	}
	bp, _, _, err := s.fetchPackument(ctx, bigPkg, "application/json")
	if err != nil {
		return err
	}
	bigURL := bp.Versions[fx.bigPJ.Version].Dist.Tarball
	if bigURL == "" {
		return s.Failf("%s@%s is missing after its publish", bigPkg, fx.bigPJ.Version)
	}
	if err := checkTarball(ctx, s, bigURL, fx.big); err != nil {
		return err
	}
	fmt.Printf("%s: large publish took %s; peak RSS %.1f MB (sampled %.1f MB over %d samples, VmHWM %s) = %.2f× the tarball\n",
		s.Name, res.bigElapsed.Round(time.Millisecond), mb(res.peakRSS()), mb(res.sampledPeak), res.samples, hwmString(res.hwm),
		float64(res.peakRSS())/float64(len(fx.big)))
	return nil
}

// checkTarball downloads url and compares it with want.
func checkTarball(ctx context.Context, s *server, url string, want []byte) error {
	status, got, err := s.do(ctx, http.MethodGet, url, "", nil, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return s.Failf("GET %s: status %d: %s", url, status, trim(got))
	}
	if sha1.Sum(got) != sha1.Sum(want) {
		g, w := sha1.Sum(got), sha1.Sum(want)
		return s.Failf("GET %s: tarball sha1 %s, published %s", url, hex.EncodeToString(g[:]), hex.EncodeToString(w[:]))
	}
	return nil
}

// drokVersion asks the binary for its version, best effort.
func drokVersion(ctx context.Context, bin string) string {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, err := exec.CommandContext(ctx, bin, args...).Output()
		if v := strings.TrimSpace(string(out)); err == nil && v != "" {
			return firstLine(v)
		}
	}
	return "unknown"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// mb converts bytes to MB (10^6) for display.
func mb(n int64) float64 { return float64(n) / 1e6 }
