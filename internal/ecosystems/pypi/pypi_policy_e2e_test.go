package pypi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/ecosystems/pypi"
)

var bg = context.Background()

// setOrg applies settings to the fixture's org.
func (f *fixture) setOrg(t *testing.T, s client.OrgSettings) {
	t.Helper()
	if _, err := f.srv.Client.EditOrg(bg, f.org, s); err != nil {
		t.Fatal(err)
	}
}

// usage returns the fixture org's storage and bandwidth usage.
func (f *fixture) usage(t *testing.T) client.OrgUsage {
	t.Helper()
	o, err := f.srv.Client.Org(bg, f.org)
	if err != nil || o.Usage == nil {
		t.Fatalf("org usage: %+v %v", o.Usage, err)
	}
	return *o.Usage
}

// mustPost uploads a wheel through the raw legacy API.
func (f *fixture) mustPost(t *testing.T, s pypi.DistSpec) (string, []byte) {
	t.Helper()
	fn, data := pypi.BuildWheel(t, s)
	if st, body := f.post(t, f.srv.AdminToken, wheelFields(s.Name, s.Version), fn, data); st != http.StatusOK {
		t.Fatalf("upload %s: %d %s", fn, st, body)
	}
	return fn, data
}

// noise is n bytes of random hex, which deflate cannot shrink much.
func noise(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestPyPIStorageQuotaTwine: an upload past the org's storage limit is
// refused with 413 and twine, even without --verbose, prints the limit
// message; nothing is stored (no blob, no release, usage unchanged) and
// the same file uploads once the limit is raised.
func TestPyPIStorageQuotaTwine(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.srv.AdminToken
	f.mustPost(t, pypi.DistSpec{Name: "big-lib", Version: "1.0"})
	before := f.usage(t)
	fn, data := pypi.BuildWheel(t, pypi.DistSpec{Name: "big-lib", Version: "1.1", Salt: noise(40_000)})
	path := writeDist(t, fn, data)
	limit := before.StorageUsed + int64(len(data))/2
	f.setOrg(t, client.OrgSettings{Plan: "enterprise", StorageLimit: &limit})
	blobs := blobFiles(t, f.srv.DataDir)

	// twine without --verbose shows only the status line: the message is
	// its reason phrase.
	cmd := exec.Command(tool(t, "twine", "pip install 'twine>=4'"), "upload", "--repository-url", f.root,
		"-u", "__token__", "-p", tok, "--non-interactive", "--disable-progress-bar", path)
	cmd.Env = f.env()
	out, err := cmd.CombinedOutput()
	t.Logf("twine upload over the storage limit:\n%s", out)
	if err == nil || !strings.Contains(string(out), "413") || !strings.Contains(string(out), "storage limit exceeded") ||
		!strings.Contains(string(out), "plan enterprise") {
		t.Fatalf("twine upload over the storage limit: %v\n%s", err, out)
	}
	// With --verbose twine also prints the body.
	vout, err := f.twine(t, tok, path)
	if err == nil || strings.Count(vout, "storage limit exceeded") < 2 {
		t.Fatalf("twine --verbose upload over the storage limit: %v\n%s", err, vout)
	}
	// drok package publish (REST) is refused the same way.
	if _, err := f.srv.Client.Publish(bg, f.org, "pypi", fn, bytes.NewReader(data)); !client.IsStatus(err, http.StatusRequestEntityTooLarge) ||
		!strings.Contains(err.Error(), "storage limit") {
		t.Fatalf("REST publish over the storage limit: %v", err)
	}

	if after := blobFiles(t, f.srv.DataDir); !slices.Equal(blobs, after) {
		t.Errorf("refused uploads left blobs: before %v, after %v", blobs, after)
	}
	if p := f.project(t, "big-lib", tok); strings.Join(p.Versions, ",") != "1.0" {
		t.Errorf("versions after refused uploads: %v", p.Versions)
	}
	if u := f.usage(t); u.StorageUsed != before.StorageUsed {
		t.Errorf("storage after refused uploads %d, want %d", u.StorageUsed, before.StorageUsed)
	}

	// Room is made: the same file uploads, and the usage counts the wheel
	// and its metadata file.
	limit = 10 << 20
	f.setOrg(t, client.OrgSettings{StorageLimit: &limit})
	f.mustTwine(t, tok, path)
	st, meta, _ := f.get(t, "files/big-lib/1.1/"+fn+".metadata", tok, nil)
	if st != http.StatusOK {
		t.Fatalf("metadata file: %d", st)
	}
	if u := f.usage(t); u.StorageUsed != before.StorageUsed+int64(len(data)+len(meta)) {
		t.Errorf("storage after the upload %d, want %d", u.StorageUsed, before.StorageUsed+int64(len(data)+len(meta)))
	}
}

// TestPyPIBandwidthLimitPip: downloads past the monthly bandwidth limit
// (the file and its PEP 658 metadata file) are refused with 429 naming
// the reset time (not as Retry-After, which pip would sleep on); pip
// fails at once showing the limit message.
func TestPyPIBandwidthLimitPip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.srv.AdminToken
	fn, data := f.mustPost(t, pypi.DistSpec{Name: "bw-lib", Version: "1.0", Salt: noise(4_000)})
	file := "files/bw-lib/1.0/" + fn
	limit := int64(10 << 20)
	f.setOrg(t, client.OrgSettings{Plan: "enterprise", BandwidthLimit: &limit})

	env := venv(t)
	f.mustPip(t, env, tok, "bw-lib")
	if v := installed(t, env, "bw_lib"); v != "1.0" {
		t.Fatalf("pip installed %q", v)
	}
	used := f.usage(t).BandwidthUsed
	if used < int64(len(data)) {
		t.Fatalf("bandwidth used %d after downloading %d bytes", used, len(data))
	}

	// Nothing more fits: pip, the file and the metadata file are refused.
	limit = used + 1
	f.setOrg(t, client.OrgSettings{BandwidthLimit: &limit})
	out, err := f.pip(t, env, tok, "--force-reinstall", "bw-lib")
	t.Logf("pip over the bandwidth limit:\n%s", out)
	if err == nil || !strings.Contains(out, "429") || !strings.Contains(out, "monthly bandwidth limit exceeded") {
		t.Fatalf("pip over the bandwidth limit: %v\n%s", err, out)
	}
	for _, path := range []string{file, file + ".metadata"} {
		st, body, h := f.get(t, path, tok, nil)
		// No Retry-After: pip would sleep on it for hours instead of failing.
		if st != http.StatusTooManyRequests || h.Get("Retry-After") != "" || h.Get(pypi.ResetHeader) == "" ||
			!strings.Contains(string(body), "bandwidth limit") {
			t.Errorf("%s over the bandwidth limit: %d Retry-After %q reset %q %s", path, st, h.Get("Retry-After"), h.Get(pypi.ResetHeader), body)
		}
	}
	if u := f.usage(t); u.BandwidthUsed != used {
		t.Errorf("refused downloads counted: %d, want %d", u.BandwidthUsed, used)
	}

	// An org that only warns is served, with a Warning header.
	warn := true
	f.setOrg(t, client.OrgSettings{BandwidthWarnOnly: &warn})
	for _, path := range []string{file, file + ".metadata"} {
		st, _, h := f.get(t, path, tok, nil)
		if st != http.StatusOK || !strings.Contains(h.Get("Warning"), "bandwidth limit") {
			t.Errorf("%s with warn-only: %d Warning %q", path, st, h.Get("Warning"))
		}
	}
}

// pypiOSV flags vuln-lib (spelled as the advisory database does) below
// 2.0.0.
const pypiOSV = `{"id":"PYSEC-2026-42","modified":"2026-11-01T00:00:00Z","aliases":["CVE-2026-4242"],
  "summary":"remote code execution in the loader","database_specific":{"severity":"HIGH"},
  "affected":[{"package":{"ecosystem":"PyPI","name":"Vuln_Lib"},
    "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`

// warehouseJSON is the part of pypi/{project}/json the tests read.
type warehouseJSON struct {
	Info struct {
		Version string `json:"version"`
		Yanked  bool   `json:"yanked"`
	} `json:"info"`
	Releases map[string][]struct {
		Yanked       bool    `json:"yanked"`
		YankedReason *string `json:"yanked_reason"`
	} `json:"releases"`
	Vulnerabilities        []vulnJSON            `json:"vulnerabilities"`
	ReleaseVulnerabilities map[string][]vulnJSON `json:"release_vulnerabilities"`
}

type vulnJSON struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Summary  string   `json:"summary"`
	FixedIn  []string `json:"fixed_in"`
	Severity string   `json:"severity"`
	Blocked  bool     `json:"blocked"`
}

func (f *fixture) warehouse(t *testing.T, path string) warehouseJSON {
	t.Helper()
	st, b, _ := f.get(t, path, f.srv.AdminToken, nil)
	var out warehouseJSON
	if st != http.StatusOK || json.Unmarshal(b, &out) != nil {
		t.Fatalf("%s: %d %s", path, st, b)
	}
	return out
}

// TestPyPIVulnerableVersionBlocked: an imported OSV advisory flags 1.0.0
// (JSON API vulnerabilities, audit); once the org blocks vulnerable
// versions, the simple pages mark 1.0.0 yanked naming the advisory, pip
// resolves a range to the fixed 2.0.0 and never to 1.0.0, and a pinned
// install of 1.0.0 fails with 403 naming the advisory, for the wheel and
// its metadata file alike. A severity threshold above the advisory's lets
// 1.0.0 through again.
func TestPyPIVulnerableVersionBlocked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.srv.AdminToken
	fn10, _ := f.mustPost(t, pypi.DistSpec{Name: "vuln-lib", Version: "1.0.0"})
	f.mustPost(t, pypi.DistSpec{Name: "vuln-lib", Version: "2.0.0"})
	res, err := f.srv.Client.ImportAdvisories(bg, client.AdvisoryImport{Advisories: []json.RawMessage{json.RawMessage(pypiOSV)}})
	if err != nil || res.Flagged != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}

	// Flagged, not blocked: the JSON API lists the advisory, nothing is yanked.
	w := f.warehouse(t, "pypi/vuln-lib/json")
	v := w.ReleaseVulnerabilities["1.0.0"]
	if w.Info.Version != "2.0.0" || len(w.Vulnerabilities) != 0 || len(w.ReleaseVulnerabilities) != 1 || len(v) != 1 ||
		v[0].ID != "PYSEC-2026-42" || v[0].Aliases[0] != "CVE-2026-4242" || v[0].FixedIn[0] != "2.0.0" ||
		v[0].Severity != "high" || v[0].Blocked || w.Releases["1.0.0"][0].Yanked {
		t.Fatalf("JSON API before blocking: %+v", w)
	}
	if w := f.warehouse(t, "pypi/vuln-lib/1.0.0/json"); len(w.Vulnerabilities) != 1 || w.Vulnerabilities[0].Summary != "remote code execution in the loader" {
		t.Fatalf("version JSON API: %+v", w)
	}
	file := "files/vuln-lib/1.0.0/" + fn10
	if st, _, _ := f.get(t, file, tok, nil); st != http.StatusOK {
		t.Fatalf("download before blocking: %d", st)
	}

	block := true
	f.setOrg(t, client.OrgSettings{BlockVulnerable: &block})
	audit, err := f.srv.Client.Audit(bg, f.org, "pypi", "vuln-lib")
	if err != nil || len(audit) != 1 || audit[0].Version != "1.0.0" || !audit[0].Blocked || audit[0].Advisories[0].ID != "PYSEC-2026-42" {
		t.Fatalf("audit: %+v %v", audit, err)
	}
	for _, file := range f.project(t, "vuln-lib", tok).Files {
		reason, _ := file.Yanked.(string)
		if strings.Contains(file.Filename, "1.0.0") != strings.Contains(reason, "PYSEC-2026-42 (high)") {
			t.Errorf("%s yanked = %v", file.Filename, file.Yanked)
		}
	}
	if _, page, _ := f.get(t, "simple/vuln-lib/", tok, nil); !strings.Contains(string(page), `data-yanked="vuln-lib@1.0.0 is blocked`) {
		t.Errorf("HTML page does not mark 1.0.0:\n%s", page)
	}
	w = f.warehouse(t, "pypi/vuln-lib/json")
	if r := w.Releases["1.0.0"][0]; !r.Yanked || r.YankedReason == nil || !strings.Contains(*r.YankedReason, "PYSEC-2026-42") ||
		!w.ReleaseVulnerabilities["1.0.0"][0].Blocked {
		t.Errorf("JSON API after blocking: %+v", w)
	}

	env := venv(t)
	out, err := f.pip(t, env, tok, "vuln-lib==1.0.0")
	t.Logf("pinned install of the blocked version:\n%s", out)
	if err == nil || !strings.Contains(out, "403") || !strings.Contains(out, "PYSEC-2026-42") || installed(t, env, "vuln_lib") != "" {
		t.Fatalf("pinned install of the blocked version: %v\n%s", err, out)
	}
	f.mustPip(t, env, tok, "vuln-lib<3")
	if v := installed(t, env, "vuln_lib"); v != "2.0.0" {
		t.Fatalf("range install gave %q, want 2.0.0", v)
	}
	// Below the fix nothing is left: pip does not even try 1.0.0.
	out, err = f.pip(t, env, tok, "vuln-lib<2")
	if err == nil || strings.Contains(out, "403") || !strings.Contains(out, "No matching distribution") {
		t.Fatalf("install below the fix: %v\n%s", err, out)
	}
	for _, path := range []string{file, file + ".metadata"} {
		st, body, _ := f.get(t, path, tok, nil)
		if st != http.StatusForbidden || !strings.Contains(string(body), "PYSEC-2026-42 (high); fixed in 2.0.0") {
			t.Errorf("%s while blocked: %d %s", path, st, body)
		}
	}

	// A threshold above the advisory's severity lets 1.0.0 through.
	critical := "critical"
	f.setOrg(t, client.OrgSettings{BlockSeverity: &critical})
	for _, path := range []string{file, file + ".metadata"} {
		if st, body, _ := f.get(t, path, tok, nil); st != http.StatusOK {
			t.Errorf("%s below the severity threshold: %d %s", path, st, body)
		}
	}
	if p := f.project(t, "vuln-lib", tok); p.Files[0].Yanked != false {
		t.Errorf("1.0.0 still marked below the threshold: %+v", p.Files[0])
	}
}

// TestPyPIGCKeepsMetadataFiles: garbage collection keeps the PEP 658
// metadata files of live wheels (blobs that Version.Files does not list)
// and removes them with their version.
func TestPyPIGCKeepsMetadataFiles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.srv.AdminToken
	fn, _ := f.mustPost(t, pypi.DistSpec{Name: "gc-lib", Version: "1.0"})
	meta := "files/gc-lib/1.0/" + fn + ".metadata"
	if _, err := f.srv.Client.GC(bg, client.GCRequest{Grace: "0s"}); err != nil {
		t.Fatal(err)
	}
	if st, body, _ := f.get(t, meta, tok, nil); st != http.StatusOK || !strings.Contains(string(body), "Name: gc-lib") {
		t.Fatalf("metadata file after GC: %d %s", st, body)
	}
	if err := f.srv.Client.DeleteVersion(bg, "pypi", f.org, "gc-lib", "1.0"); err != nil {
		t.Fatal(err)
	}
	res, err := f.srv.Client.GC(bg, client.GCRequest{Grace: "0s"})
	if err != nil || res.BlobsDeleted != 2 {
		t.Fatalf("GC after delete: %+v %v", res, err)
	}
}
