package cargo_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// enterprise gives the fixture's org custom limits (0 = the plan's).
func (f *fixture) enterprise(t *testing.T, storage, bandwidth int64) {
	t.Helper()
	f.srv.SetLimits(t, f.org, storage, bandwidth)
}

func (f *fixture) usage(t *testing.T) client.OrgUsage {
	t.Helper()
	return f.srv.Usage(t, f.org)
}

// blobFiles lists the files below the daemon's blob store.
func blobFiles(t *testing.T, dataDir string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(dataDir, "blobs", "sha256")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, root))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	slices.Sort(out)
	return out
}

// noise is deterministic text gzip cannot shrink much.
func noise(n int) string {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte('a' + x%26)
	}
	return string(b)
}

// crateProject is a publishable crate name@version.
func crateProject(t *testing.T, name, version, body string) string {
	return writeProject(t, map[string]string{
		"Cargo.toml": "[package]\nname = \"" + name + "\"\nversion = \"" + version + "\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"drok test crate\"\n",
		"src/lib.rs": "pub fn version() -> &'static str { \"" + version + "\" }\n" + body,
	})
}

// dependent is a binary project depending on crate with requirement req.
func dependent(t *testing.T, crate, req string) string {
	return writeProject(t, map[string]string{
		"Cargo.toml":  "[package]\nname = \"dependent\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n" + crate + " = { version = \"" + req + "\", registry = \"drok\" }\n",
		"src/main.rs": "fn main() {}\n",
	})
}

var publishArgs = []string{"publish", "--registry", "drok", "--no-verify", "--allow-dirty"}

// TestCargoStorageQuota: cargo publish over the org's storage limit fails
// with 413 and cargo shows the limit message; nothing is stored (no index
// entry, no blob, usage unchanged), and the same version publishes once
// the limit is raised.
func TestCargoStorageQuota(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cargoAs(t, f.srv.AdminToken)
	c.Must(crateProject(t, "small", "1.0.0", ""), publishArgs...)
	used := f.usage(t).StorageUsed
	if used == 0 {
		t.Fatal("publish charged no storage")
	}
	f.enterprise(t, used+1000, 0)
	blobs := blobFiles(t, f.srv.DataDir)

	big := crateProject(t, "big", "1.0.0", "// "+noise(20_000)+"\n")
	out := c.MustFail(big, "storage limit exceeded", publishArgs...)
	t.Logf("cargo publish over the storage limit:\n%s", out)
	if !strings.Contains(out, "413") || !strings.Contains(out, "drok org edit acme") {
		t.Fatalf("cargo publish over the limit:\n%s", out)
	}
	if st, body := get(t, f.index+"3/b/big", f.srv.AdminToken, nil); st != http.StatusNotFound {
		t.Fatalf("refused crate has an index file: %d %s", st, body)
	}
	if after := blobFiles(t, f.srv.DataDir); !slices.Equal(after, blobs) {
		t.Fatalf("refused publish left blobs: %v, before %v", after, blobs)
	}
	if u := f.usage(t); u.StorageUsed != used {
		t.Fatalf("storage after refusal %d, want %d", u.StorageUsed, used)
	}

	f.enterprise(t, used+100_000, 0)
	c.Must(big, publishArgs...)
	if u := f.usage(t); u.StorageUsed <= used+1000 {
		t.Fatalf("storage after the publish: %d", u.StorageUsed)
	}
}

// TestCargoBandwidthLimit: once the org's monthly bandwidth is used up,
// cargo fails to download the .crate with 429 and the limit message, and
// the response says when to retry.
func TestCargoBandwidthLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cargoAs(t, f.srv.AdminToken)
	c.Must(crateProject(t, "metered", "1.0.0", "// "+noise(4000)+"\n"), publishArgs...)
	p, err := f.srv.Client.Package(context.Background(), "cargo", f.org, "metered")
	if err != nil {
		t.Fatal(err)
	}
	size := p.Versions[0].Files[0].Size
	f.enterprise(t, 0, size+size/2) // one download fits, two do not

	c.Must(dependent(t, "metered", "1"), "fetch")
	// A fresh CARGO_HOME (empty download cache) must download it again.
	out := f.cargoAs(t, f.srv.AdminToken).MustFail(dependent(t, "metered", "1"), "bandwidth limit exceeded", "fetch")
	t.Logf("cargo fetch over the bandwidth limit:\n%s", out)
	if !strings.Contains(out, "429") {
		t.Fatalf("cargo fetch over the bandwidth limit:\n%s", out)
	}
	st, body, hdr := doResp(t, http.MethodGet, f.index+"api/v1/crates/metered/1.0.0/download", f.srv.AdminToken, nil, nil)
	if secs, err := strconv.Atoi(hdr.Get("Retry-After")); st != http.StatusTooManyRequests || err != nil || secs < 1 ||
		!strings.Contains(body, `"errors":[{"detail":"monthly bandwidth limit exceeded`) {
		t.Fatalf("download over the limit: %d %s Retry-After %q", st, body, hdr.Get("Retry-After"))
	}
	if u := f.usage(t); u.BandwidthUsed != size {
		t.Fatalf("bandwidth used %d, want %d", u.BandwidthUsed, size)
	}
}

// osvVuln affects the crate vuln below 1.0.1.
const osvVuln = `{"id":"RUSTSEC-2026-0001","modified":"2026-11-01T00:00:00Z","summary":"memory corruption in vuln",
  "database_specific":{"severity":"CRITICAL"},
  "affected":[{"package":{"ecosystem":"crates.io","name":"vuln"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.1"}]}]}]}`

// TestCargoVulnerableBlocked: with an advisory against vuln@1.0.0 (fixed
// in 1.0.1) and blocking on, the index marks 1.0.0 yanked: `^1` resolves
// to 1.0.1, `=1.0.0` no longer resolves, and a Cargo.lock pinned to 1.0.0
// before blocking fails to download it with 403 naming the advisory. The
// drok audit lists the version.
func TestCargoVulnerableBlocked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	c := f.cargoAs(t, f.srv.AdminToken)
	c.Must(crateProject(t, "vuln", "1.0.0", ""), publishArgs...)
	pinned := dependent(t, "vuln", "1")
	c.Must(pinned, "generate-lockfile")
	if v := lockedVersion(t, pinned, "vuln"); v != "1.0.0" {
		t.Fatalf("locked %s", v)
	}
	c.Must(crateProject(t, "vuln", "1.0.1", ""), publishArgs...)
	if _, err := f.srv.Client.ImportAdvisories(ctx, client.AdvisoryImport{Advisories: []json.RawMessage{json.RawMessage(osvVuln)}}); err != nil {
		t.Fatal(err)
	}
	// Flagged but not blocked: the index is unchanged.
	if st, body := get(t, f.index+"vu/ln/vuln", f.srv.AdminToken, nil); st != http.StatusOK || strings.Contains(body, `"yanked":true`) {
		t.Fatalf("index before blocking: %d\n%s", st, body)
	}

	block := true
	if _, err := f.srv.Client.EditOrg(ctx, f.org, client.OrgSettings{BlockVulnerable: &block}); err != nil {
		t.Fatal(err)
	}
	st, body := get(t, f.index+"vu/ln/vuln", f.srv.AdminToken, nil)
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if st != http.StatusOK || len(lines) != 2 || !strings.Contains(lines[0], `"vers":"1.0.0"`) || !strings.Contains(lines[0], `"yanked":true`) ||
		!strings.Contains(lines[1], `"yanked":false`) {
		t.Fatalf("index after blocking: %d\n%s", st, body)
	}

	fresh := dependent(t, "vuln", "1")
	c.Must(fresh, "fetch")
	if v := lockedVersion(t, fresh, "vuln"); v != "1.0.1" {
		t.Fatalf("^1 resolved to %s, want 1.0.1", v)
	}
	out := c.MustFail(dependent(t, "vuln", "=1.0.0"), "yanked", "generate-lockfile")
	t.Logf("cargo resolving =1.0.0:\n%s", out)
	out = f.cargoAs(t, f.srv.AdminToken).MustFail(pinned, "RUSTSEC-2026-0001", "fetch")
	t.Logf("cargo fetch of a lock file pinning the blocked version:\n%s", out)
	if !strings.Contains(out, "403") || !strings.Contains(out, "blocked by this organisation's vulnerability policy") || !strings.Contains(out, "fixed in 1.0.1") {
		t.Fatalf("cargo fetch of the blocked version:\n%s", out)
	}
	audit, err := f.srv.Client.Audit(ctx, f.org, "cargo", "vuln")
	if err != nil || len(audit) != 1 || audit[0].Version != "1.0.0" || !audit[0].Blocked || audit[0].Advisories[0].ID != "RUSTSEC-2026-0001" {
		t.Fatalf("drok audit: %+v, %v", audit, err)
	}
}
