package oci_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// writeImage writes an OCI layout holding one single-platform image with
// the given number of random (incompressible) layers of layerSize bytes
// and returns its manifest digest and total size (manifest + config +
// layers: what the image charges to the org's storage).
func writeImage(t *testing.T, dir string, seed uint64, layers, layerSize int) (string, int64) {
	t.Helper()
	l := &layout{dir: dir, blobs: map[string][]byte{}}
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, seed+7))
	var ls []desc
	var diffs []string
	var total int64
	for i := range layers {
		content := make([]byte, layerSize)
		for j := range content {
			content[j] = byte(rng.UintN(256))
		}
		gz, raw := tarGz(t, fmt.Sprintf("f%d.bin", i), content)
		ls = append(ls, desc{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: l.add(t, gz), Size: len(gz)})
		diffs = append(diffs, sha(raw))
		total += int64(len(gz))
	}
	cfg, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffs}})
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": desc{MediaType: "application/vnd.oci.image.config.v1+json", Digest: l.add(t, cfg), Size: len(cfg)},
		"layers": ls})
	md := l.add(t, m)
	total += int64(len(cfg) + len(m))
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
		"manifests": []desc{{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: md, Size: len(m)}}})
	if err := os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return md, total
}

func (f *fixture) limits(t *testing.T, storage, bandwidth int64) {
	t.Helper()
	f.srv.SetLimits(t, "acme", storage, bandwidth)
}

func (f *fixture) usage(t *testing.T) client.OrgUsage {
	t.Helper()
	return f.srv.Usage(t, "acme")
}

// TestCranePushRefusedByStorageQuota: an image's manifest charges its
// config and layers to the org. crane's push of an image whose layers fit
// one by one but not together is refused at the manifest with 413 DENIED
// naming the limit; a layer that alone exceeds the limit is refused when
// its upload completes (it is not kept). Nothing is recorded and usage is
// unchanged; the same image pushes once the limit is raised and usage
// then counts every byte of it.
func TestCranePushRefusedByStorageQuota(t *testing.T) {
	t.Parallel()
	crane := tool(t, "crane", craneInstall)
	f := newFixture(t)
	env := clientEnv(t, f.host, f.srv.AdminToken)
	g := reg{base: f.srv.URL}
	layoutDir := filepath.Join(t.TempDir(), "img")
	digest, size := writeImage(t, layoutDir, 21, 2, 40_000)
	ref := f.host + "/acme/big:dev"

	// a layer bigger than the whole limit is refused at upload completion
	f.limits(t, 30_000, 0)
	out, err := run(t, env, crane, "push", layoutDir, ref)
	if err == nil || !strings.Contains(out, "storage limit exceeded") || !strings.Contains(out, "30 kB") {
		t.Fatalf("push of a layer over the limit: %v\n%s", err, out)
	}
	var m struct {
		Layers []desc `json:"layers"`
	}
	raw, err := os.ReadFile(filepath.Join(layoutDir, "blobs", "sha256", digest[7:]))
	if err != nil || json.Unmarshal(raw, &m) != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		if r := g.do(t, "HEAD", "/v2/acme/big/blobs/"+l.Digest, f.srv.AdminToken, nil, nil); r.status != http.StatusNotFound {
			t.Fatalf("refused layer %s is kept: %d", l.Digest, r.status)
		}
	}
	if u := f.usage(t); u.StorageUsed != 0 {
		t.Fatalf("storage after a refused layer = %d", u.StorageUsed)
	}

	// each 40 kB layer fits 60 kB, both do not: refused at the manifest
	f.limits(t, 60_000, 0)
	out, err = run(t, env, crane, "push", layoutDir, ref)
	if err == nil || !strings.Contains(out, "storage limit exceeded") || !strings.Contains(out, "60 kB") || !strings.Contains(out, "DENIED") {
		t.Fatalf("push over the storage limit: %v\n%s", err, out)
	}
	if r := g.do(t, "GET", "/v2/acme/big/manifests/"+digest, f.srv.AdminToken, nil, nil); r.status != http.StatusNotFound {
		t.Fatalf("refused manifest is served: %d %s", r.status, r.body)
	}
	if u := f.usage(t); u.StorageUsed != 0 {
		t.Fatalf("storage after a refused push = %d", u.StorageUsed)
	}

	// with room, the same image pushes and counts manifest, config and layers
	f.limits(t, 200_000, 0)
	mustRun(t, env, crane, "push", layoutDir, ref)
	if got := mustRun(t, env, crane, "digest", ref); got != digest {
		t.Fatalf("digest %s, want %s", got, digest)
	}
	if u := f.usage(t); u.StorageUsed != size {
		t.Fatalf("storage = %d, want %d (manifest + config + layers)", u.StorageUsed, size)
	}
	// deleting the manifest gives the storage back; pushing it again
	// restores it and charges it again
	mustRun(t, env, crane, "delete", f.host+"/acme/big@"+digest)
	if u := f.usage(t); u.StorageUsed != 0 {
		t.Fatalf("storage after delete = %d", u.StorageUsed)
	}
	mustRun(t, env, crane, "push", layoutDir, f.host+"/acme/big:latest")
	if u := f.usage(t); u.StorageUsed != size {
		t.Fatalf("storage after restoring = %d, want %d", u.StorageUsed, size)
	}
}

// TestBlobUploadRefusedEarly: monolithic and chunked blob uploads that
// cannot fit the storage limit are refused with 413 DENIED as soon as
// their size is known; the upload session is gone and nothing is linked.
func TestBlobUploadRefusedEarly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	g := reg{base: f.srv.URL}
	tok := f.srv.AdminToken
	f.limits(t, 1_000, 0)
	blob := make([]byte, 2_000)
	for i := range blob {
		blob[i] = byte(i * 7)
	}
	d := sha(blob)
	denied := func(r resp) bool {
		return r.status == http.StatusRequestEntityTooLarge && strings.Contains(r.body, `"code":"DENIED"`) && strings.Contains(r.body, "storage limit exceeded")
	}
	if r := g.do(t, "POST", "/v2/acme/up/blobs/uploads/?digest="+d, tok, blob, nil); !denied(r) {
		t.Fatalf("monolithic upload: %d %s", r.status, r.body)
	}
	for _, chunked := range []bool{false, true} {
		r := g.do(t, "POST", "/v2/acme/up/blobs/uploads/", tok, nil, nil)
		loc := r.header.Get("Location")
		if r.status != http.StatusAccepted || loc == "" {
			t.Fatalf("start upload: %d %s", r.status, r.body)
		}
		if chunked {
			r = g.do(t, "PATCH", loc, tok, blob[:600], map[string]string{"Content-Range": "0-599"})
			if r.status != http.StatusAccepted {
				t.Fatalf("first chunk: %d %s", r.status, r.body)
			}
			r = g.do(t, "PATCH", loc, tok, blob[600:], map[string]string{"Content-Range": "600-1999"})
		} else {
			r = g.do(t, "PUT", loc+"?digest="+d, tok, blob, nil)
		}
		if !denied(r) {
			t.Fatalf("upload (chunked %v): %d %s", chunked, r.status, r.body)
		}
		if r := g.do(t, "GET", loc, tok, nil, nil); r.status != http.StatusNotFound {
			t.Fatalf("refused upload session still open: %d", r.status)
		}
	}
	if r := g.do(t, "HEAD", "/v2/acme/up/blobs/"+d, tok, nil, nil); r.status != http.StatusNotFound {
		t.Fatalf("refused blob is linked: %d", r.status)
	}
}

// TestCranePullRefusedByBandwidth: manifest and blob downloads count
// toward the monthly bandwidth; once it is spent crane's pull fails on
// 429 TOOMANYREQUESTS with the limit message, and both manifest and blob
// GETs answer 429 with Retry-After in OCI errcode JSON.
func TestCranePullRefusedByBandwidth(t *testing.T) {
	t.Parallel()
	crane := tool(t, "crane", craneInstall)
	f := newFixture(t)
	env := clientEnv(t, f.host, f.srv.AdminToken)
	g := reg{base: f.srv.URL}
	layoutDir := filepath.Join(t.TempDir(), "img")
	digest, size := writeImage(t, layoutDir, 31, 1, 20_000)
	ref := f.host + "/acme/bw:1.0.0"
	mustRun(t, env, crane, "push", layoutDir, ref)

	mustRun(t, env, crane, "pull", "--format=oci", ref, t.TempDir())
	used := f.usage(t).BandwidthUsed
	if used < size {
		t.Fatalf("bandwidth after one pull = %d, want at least the image's %d bytes", used, size)
	}
	f.limits(t, 0, used+used/2)
	out, err := run(t, env, crane, "pull", "--format=oci", ref, t.TempDir())
	if err == nil || !strings.Contains(out, "bandwidth limit exceeded") {
		t.Fatalf("pull past the bandwidth limit: %v\n%s", err, out)
	}
	t.Logf("crane pull past the limit:\n%s", out)
	// spend the rest: every download is refused from now on
	f.limits(t, 0, f.usage(t).BandwidthUsed)
	var m struct {
		Layers []desc `json:"layers"`
	}
	raw, _ := os.ReadFile(filepath.Join(layoutDir, "blobs", "sha256", digest[7:]))
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/v2/acme/bw/manifests/1.0.0", "/v2/acme/bw/manifests/" + digest, "/v2/acme/bw/blobs/" + m.Layers[0].Digest} {
		r := g.do(t, "GET", path, f.srv.AdminToken, nil, nil)
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" ||
			!strings.Contains(r.body, `"code":"TOOMANYREQUESTS"`) || !strings.Contains(r.body, "bandwidth limit") {
			t.Fatalf("GET %s past the limit: %d Retry-After %q %s", path, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	if u := f.usage(t); u.BandwidthUsed > u.BandwidthLimit {
		t.Fatalf("bandwidth %d went past the limit %d", u.BandwidthUsed, u.BandwidthLimit)
	}
}

// spdx is an SPDX 2.3 JSON document listing one npm package.
func spdx(name, version string) string {
	return fmt.Sprintf(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"image","packages":[
	  {"SPDXID":"SPDXRef-Package-1","name":%q,"versionInfo":%q,
	   "externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/%s@%s"}]}]}`,
		name, version, name, version)
}

// TestOrasSBOMBlocksVulnerableImage: SBOMs attached with oras (SPDX and
// CycloneDX JSON referrers) list the npm packages in each image; an OSV
// advisory for left-pad < 2.0.0 flags the image whose SBOM lists
// left-pad 1.0.0 (advisory imported after the SBOM) and the one whose
// SBOM comes after the import, audit names them, and with blocking on
// crane cannot pull them by tag or digest (403 DENIED naming the
// advisory) while the image carrying left-pad 2.0.0 pulls. Deleting an
// SBOM clears its image.
func TestOrasSBOMBlocksVulnerableImage(t *testing.T) {
	t.Parallel()
	crane := tool(t, "crane", craneInstall)
	oras := tool(t, "oras", orasInstall)
	f := newFixture(t)
	ctx := context.Background()
	tok := f.srv.AdminToken
	env := clientEnv(t, f.host, tok)
	work := t.TempDir()
	attach := func(ref, artifactType, file, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(work, file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		mustRunIn(t, env, work, oras, "attach", "--plain-http", "-u", "drok", "-p", tok,
			"--artifact-type", artifactType, ref, file+":"+artifactType)
	}
	digests := map[string]string{}
	for i, tag := range []string{"v1", "v2", "v3"} {
		dir := filepath.Join(t.TempDir(), tag)
		digests[tag], _ = writeImage(t, dir, uint64(40+i), 1, 2_000)
		mustRun(t, env, crane, "push", dir, f.host+"/acme/app:"+tag)
	}
	attach(f.host+"/acme/app:v1", "application/spdx+json", "v1.spdx.json", spdx("left-pad", "1.0.0"))
	attach(f.host+"/acme/app:v2", "application/spdx+json", "v2.spdx.json", spdx("left-pad", "2.0.0"))

	osv := json.RawMessage(`{"id":"GHSA-lpad-0000-0001","modified":"2026-11-01T00:00:00Z","summary":"left-pad pads wrong",
	  "database_specific":{"severity":"HIGH"},
	  "affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`)
	res, err := f.srv.Client.ImportAdvisories(ctx, client.AdvisoryImport{Advisories: []json.RawMessage{osv}})
	if err != nil || res.Flagged != 1 {
		t.Fatalf("import %+v %v", res, err)
	}
	// an SBOM attached after the import is matched when it is pushed
	attach(f.host+"/acme/app:v3", "application/vnd.cyclonedx+json", "v3.cdx.json",
		`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0"}]}`)

	audit, err := f.srv.Client.Audit(ctx, "acme", "docker", "app")
	if err != nil {
		t.Fatal(err)
	}
	flagged := map[string]bool{}
	for _, a := range audit {
		if len(a.Advisories) != 1 || a.Advisories[0].ID != "GHSA-lpad-0000-0001" {
			t.Fatalf("audit entry %+v", a)
		}
		flagged[a.Version] = true
	}
	if len(flagged) != 2 || !flagged[digests["v1"]] || !flagged[digests["v3"]] {
		t.Fatalf("audit flags %v, want v1 %s and v3 %s", flagged, digests["v1"], digests["v3"])
	}

	mustRun(t, env, crane, "pull", "--format=oci", f.host+"/acme/app:v1", t.TempDir())
	block := true
	if _, err := f.srv.Client.EditOrg(ctx, "acme", client.OrgSettings{BlockVulnerable: &block}); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{f.host + "/acme/app:v1", f.host + "/acme/app@" + digests["v1"], f.host + "/acme/app:v3"} {
		out, err := run(t, env, crane, "pull", "--format=oci", ref, t.TempDir())
		if err == nil || !strings.Contains(out, "DENIED") || !strings.Contains(out, "GHSA-lpad-0000-0001") || !strings.Contains(out, "fixed in 2.0.0") {
			t.Fatalf("pull of vulnerable %s: %v\n%s", ref, err, out)
		}
	}
	g := reg{base: f.srv.URL}
	if r := g.do(t, "GET", "/v2/acme/app/manifests/"+digests["v1"], tok, nil, nil); r.status != http.StatusForbidden ||
		!strings.Contains(r.body, `"code":"DENIED"`) || !strings.Contains(r.body, "GHSA-lpad-0000-0001") {
		t.Fatalf("GET of the blocked manifest: %d %s", r.status, r.body)
	}
	mustRun(t, env, crane, "pull", "--format=oci", f.host+"/acme/app:v2", t.TempDir())

	// deleting v3's SBOM takes left-pad 1.3.0 off v3: it pulls again
	disc := mustRunIn(t, env, work, oras, "discover", "--plain-http", "-u", "drok", "-p", tok, "--format", "json",
		"--artifact-type", "application/vnd.cyclonedx+json", f.host+"/acme/app:v3")
	var found struct {
		Referrers []struct {
			Digest string `json:"digest"`
		} `json:"referrers"`
		Manifests []struct {
			Digest string `json:"digest"`
		} `json:"manifests"`
	}
	if i := strings.IndexByte(disc, '{'); i > 0 {
		disc = disc[i:] // past oras's password warning
	}
	if err := json.Unmarshal([]byte(disc), &found); err != nil {
		t.Fatalf("oras discover: %v\n%s", err, disc)
	}
	refs := append(found.Referrers, found.Manifests...)
	if len(refs) != 1 {
		t.Fatalf("oras discover: %s", disc)
	}
	mustRun(t, env, crane, "delete", f.host+"/acme/app@"+refs[0].Digest)
	mustRun(t, env, crane, "pull", "--format=oci", f.host+"/acme/app:v3", t.TempDir())
	if audit, _ = f.srv.Client.Audit(ctx, "acme", "docker", "app"); len(audit) != 1 || audit[0].Version != digests["v1"] {
		t.Fatalf("audit after deleting v3's SBOM: %+v", audit)
	}
}
