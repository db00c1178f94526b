//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/drok-dev/drok/bench/internal/benchkit"
)

// machine describes where the benchmark ran.
type machine struct {
	cpus      int
	cpuModel  string
	memTotal  string
	kernel    string
	goVersion string
	node      string
	verdaccio string
	drok      string
	loadavg   string
}

// machineFacts collects the facts printed with the results, best effort.
func machineFacts(verdaccioDir string) machine {
	m := machine{cpus: runtime.NumCPU(), goVersion: runtime.Version(), cpuModel: "unknown", memTotal: "unknown", kernel: "unknown", node: "unknown", verdaccio: "unknown", drok: "not run"}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.loadavg = strings.Join(f[:3], " ")
		}
	}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.cpuModel = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		var kb int64
		if _, err := fmt.Sscanf(v, "%d kB", &kb); err == nil {
			m.memTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		m.node = "Node.js " + strings.TrimSpace(string(out))
	}
	if b, err := os.ReadFile(filepath.Join(verdaccioDir, "node_modules", "verdaccio", "package.json")); err == nil {
		var pj struct{ Version string }
		if json.Unmarshal(b, &pj) == nil && pj.Version != "" {
			m.verdaccio = pj.Version
		}
	}
	return m
}

// procField returns the value of the first "key : value" line of a /proc
// file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// report holds one run's results and renders them.
type report struct {
	opts              options
	args              []string
	started, finished time.Time
	machine           machine
	bigSize           int64
	drok, verdaccio   *serverResult
}

// row is one line of the results table.
type row struct {
	metric, drok, verdaccio, ratio, target, result string
}

// Target ratios from the issue.
const (
	targetPackument = 10.0
	targetTarball   = 5.0
	targetPublish   = 5.0
	targetRSS       = 3.0
)

func (r *report) rows() []row {
	throughput := func(metric string, get func(*serverResult) float64, target float64) row {
		out := row{metric: metric, drok: "—", verdaccio: "—", ratio: "—", target: fmt.Sprintf("≥ %.0f×", target), result: "n/a"}
		if r.drok != nil {
			out.drok = fmt.Sprintf("%.1f", get(r.drok))
		}
		if r.verdaccio != nil {
			out.verdaccio = fmt.Sprintf("%.1f", get(r.verdaccio))
		}
		if r.drok != nil && r.verdaccio != nil && get(r.verdaccio) > 0 {
			ratio := get(r.drok) / get(r.verdaccio)
			out.ratio = fmt.Sprintf("%.2f×", ratio)
			out.result = passOrMissed(ratio >= target)
		}
		return out
	}
	rows := []row{
		throughput("(a) full packument GETs/s", func(s *serverResult) float64 { return s.full.PerSecond() }, targetPackument),
		throughput("(b) abbreviated packument GETs/s", func(s *serverResult) float64 { return s.abbrev.PerSecond() }, targetPackument),
		throughput("(c) tarball GETs/s", func(s *serverResult) float64 { return s.tarball.PerSecond() }, targetTarball),
		throughput("(d) sequential publishes/s", (*serverResult).publishRate, targetPublish),
	}
	mem := row{metric: fmt.Sprintf("peak RSS, %.1f MB tarball publish", mb(r.bigSize)), drok: "—", verdaccio: "—", ratio: "—",
		target: fmt.Sprintf("drok < %.0f× tarball", targetRSS), result: "n/a"}
	rel := func(s *serverResult) string {
		return fmt.Sprintf("%.1f MB (%.2f× tarball)", mb(s.peakRSS()), float64(s.peakRSS())/float64(r.bigSize))
	}
	if r.drok != nil {
		ratio := float64(r.drok.peakRSS()) / float64(r.bigSize)
		mem.drok = rel(r.drok)
		mem.ratio = fmt.Sprintf("%.2f× tarball", ratio)
		mem.result = passOrMissed(ratio < targetRSS)
	}
	if r.verdaccio != nil {
		mem.verdaccio = rel(r.verdaccio)
	}
	return append(rows, mem)
}

func passOrMissed(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISSED"
}

// detail lines per server, for both renderings.
func (r *report) details() []row {
	var out []row
	for _, s := range []*serverResult{r.drok, r.verdaccio} {
		if s == nil {
			continue
		}
		lat := func(l benchkit.LoadResult) string {
			return fmt.Sprintf("%d req in %s, p50 %s, p99 %s", l.Requests, l.Elapsed, l.P50.Round(10*time.Microsecond), l.P99.Round(10*time.Microsecond))
		}
		out = append(out,
			row{metric: s.name, drok: "reads", verdaccio: readsString(s.authReads)},
			row{metric: s.name, drok: "publishes", verdaccio: fmt.Sprintf("%d in %s", s.publishes, s.publishElapsed.Round(time.Millisecond))},
			row{metric: s.name, drok: "response sizes", verdaccio: fmt.Sprintf("full %d B, abbreviated %d B (%s), tarball %d B", s.fullSize, s.abbrevSize, s.abbrevType, s.tarballSize)},
			row{metric: s.name, drok: "(a) full packument", verdaccio: lat(s.full)},
			row{metric: s.name, drok: "(b) abbreviated packument", verdaccio: lat(s.abbrev)},
			row{metric: s.name, drok: "(c) tarball", verdaccio: lat(s.tarball)},
			row{metric: s.name, drok: "large publish", verdaccio: fmt.Sprintf("%s; RSS before %.1f MB, sampled peak %.1f MB (%d samples @20ms), VmHWM %s",
				s.bigElapsed.Round(time.Millisecond), mb(s.baseRSS), mb(s.sampledPeak), s.samples, hwmString(s.hwm))},
		)
	}
	return out
}

func readsString(auth bool) string {
	if auth {
		return "with the bearer token (anonymous reads refused)"
	}
	return "anonymous (allowed by the server)"
}

func hwmString(h int64) string {
	if h == 0 {
		return "n/a (could not reset)"
	}
	return fmt.Sprintf("%.1f MB", mb(h))
}

func (r *report) notes() []string {
	return []string{
		fmt.Sprintf("Both servers run as child processes on 127.0.0.1 with fresh storage; package %s has %d versions. Only one server is driven at any moment: each metric is measured on drok, then on Verdaccio.", benchPkg, r.opts.versions),
		fmt.Sprintf("Load: %d closed-loop keep-alive workers per metric, %s warm-up then %s measured; only 200 responses count, any other status aborts the run.", r.opts.concurrency, r.opts.warmup, r.opts.duration),
		fmt.Sprintf("The load generator runs on the same %d CPU(s) as the server under test, so absolute numbers are lower than on separate machines; both servers share that handicap.", r.machine.cpus),
		"Reads are anonymous where the server allows it (its cheapest path) and carry the bearer token otherwise; see Details. No Accept-Encoding is sent, so neither server spends CPU on gzip.",
		"Publishes: one PUT per version with the tarball attached as base64, sequentially, timed over all versions.",
		"Peak RSS: VmHWM of the server process (reset through /proc/PID/clear_refs just before the publish) and VmRSS sampled every 20 ms; the larger is reported.",
	}
}

func (r *report) command() string {
	return strings.TrimSpace("go run ./bench/npm " + strings.Join(r.args, " "))
}

func (r *report) machineLines() []string {
	m := r.machine
	return []string{
		fmt.Sprintf("CPU: %d × %s", m.cpus, m.cpuModel),
		"Memory: " + m.memTotal,
		"OS: " + m.kernel,
		"Go: " + m.goVersion + ", " + m.node,
		"drok: " + m.drok,
		"Verdaccio: " + m.verdaccio,
		"Load average before the run (1, 5, 15 min): " + m.loadavg + " (other work on the machine skews the numbers)",
	}
}

// text renders the results for the terminal.
func (r *report) text() string {
	var b bytes.Buffer
	fmt.Fprintln(&b, "npm benchmark: drok vs Verdaccio "+r.machine.verdaccio)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tDROK\tVERDACCIO\tRATIO\tTARGET\tRESULT")
	for _, x := range r.rows() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", x.metric, x.drok, x.verdaccio, x.ratio, x.target, x.result)
	}
	tw.Flush()
	fmt.Fprintln(&b)
	for _, d := range r.details() {
		fmt.Fprintf(&b, "%-10s %-26s %s\n", d.metric, d.drok, d.verdaccio)
	}
	fmt.Fprintln(&b)
	for _, l := range r.machineLines() {
		fmt.Fprintln(&b, l)
	}
	for _, n := range r.notes() {
		fmt.Fprintln(&b, "note: "+n)
	}
	if missed := r.missed(); len(missed) > 0 {
		fmt.Fprintf(&b, "\nMISSED targets: %s\n", strings.Join(missed, "; "))
	}
	return b.String()
}

// missed lists the metrics whose target was missed.
func (r *report) missed() []string {
	var out []string
	for _, x := range r.rows() {
		if x.result == "MISSED" {
			out = append(out, x.metric)
		}
	}
	return out
}

// markdown renders the results as a Markdown document.
func (r *report) markdown() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# npm benchmark: drok vs Verdaccio %s\n\n", r.machine.verdaccio)
	fmt.Fprintf(&b, "Run %s (%s). Command: `%s`\n\n", r.started.UTC().Format("2006-01-02 15:04 UTC"), r.finished.Sub(r.started).Round(time.Second), r.command())
	fmt.Fprintln(&b, "| Metric | drok | Verdaccio | drok / Verdaccio | Target | Result |")
	fmt.Fprintln(&b, "|---|---:|---:|---:|---|---|")
	for _, x := range r.rows() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | **%s** |\n", x.metric, x.drok, x.verdaccio, x.ratio, x.target, x.result)
	}
	fmt.Fprint(&b, "\n## Details\n\n")
	fmt.Fprintln(&b, "| Server | What | Measured |")
	fmt.Fprintln(&b, "|---|---|---|")
	for _, d := range r.details() {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", d.metric, d.drok, d.verdaccio)
	}
	fmt.Fprint(&b, "\n## Machine\n\n")
	for _, l := range r.machineLines() {
		fmt.Fprintln(&b, "- "+l)
	}
	fmt.Fprint(&b, "\n## Method\n\n")
	for _, n := range r.notes() {
		fmt.Fprintln(&b, "- "+n)
	}
	if missed := r.missed(); len(missed) > 0 {
		fmt.Fprintf(&b, "\n**MISSED targets:** %s\n", strings.Join(missed, "; "))
	}
	return b.String()
}
