package npm_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// TestNPMBuildMetadataRefused: npm ignores build metadata when matching
// versions, so lib@1.0.0+evil published after lib@1.0.0 was unpublished
// would be served for `lib@1.0.0`. Versions with build metadata are
// refused, through npm and through `drok package publish`.
func TestNPMBuildMetadataRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.srv.AdminToken
	admin := f.npmAs(t, tok)
	dir := t.TempDir()
	for _, v := range []string{"1.0.0", "1.0.1"} {
		tgz := makeTarball(t, map[string]any{"name": "lib", "version": v}, nil)
		if st, body, _ := f.do(t, http.MethodPut, "lib", tok, bytes.NewReader(publishDoc("lib", v, tgz, nil)), nil); st != http.StatusCreated {
			t.Fatalf("publish %s: %d %s", v, st, body)
		}
	}
	admin.Must(dir, "unpublish", "lib@1.0.0", "--force")

	evil := makeTarball(t, map[string]any{"name": "lib", "version": "1.0.0+evil"}, nil)
	st, body, _ := f.do(t, http.MethodPut, "lib", tok, bytes.NewReader(publishDoc("lib", "1.0.0+evil", evil, nil)), nil)
	if st != http.StatusBadRequest || !strings.Contains(npmError(t, body), "build metadata (+evil) is not allowed in npm versions") {
		t.Fatalf("publish 1.0.0+evil: %d %s", st, body)
	}
	_, err := f.srv.Client.Publish(context.Background(), f.org, "npm", "lib-1.0.0+evil.tgz", bytes.NewReader(evil))
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || !strings.Contains(apiErr.Message, "build metadata (+evil) is not allowed") {
		t.Fatalf("drok package publish of 1.0.0+evil: %v", err)
	}
	admin.MustFail(dir, "E404", "view", "lib@1.0.0", "version")
	if out := admin.Must(dir, "view", "lib", "versions", "--json"); strings.Contains(out, "1.0.0+") || !strings.Contains(out, "1.0.1") {
		t.Fatalf("versions: %s", out)
	}

	// npm itself strips build metadata (semver.clean) and publishes the
	// plain version; the tarball keeps package.json's spelling.
	admin.publish(pkgDir(t, "meta", "2.0.0+build.7", nil))
	if out := admin.Must(dir, "view", "meta", "version"); strings.TrimSpace(out) != "2.0.0" {
		t.Fatalf("npm publish of 2.0.0+build.7 stored %q", out)
	}
}

// TestNPMManifestFromTarball: the registry serves the tarball's
// package.json, not whatever the publish document claims (manifest
// confusion), while the fields npm normalises still come out as npm
// publishes them.
func TestNPMManifestFromTarball(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.srv.AdminToken
	tgz := makeTarball(t, map[string]any{
		"name": "confused", "version": "1.0.0", "description": "from the tarball",
		"dependencies": map[string]string{"evil": "*"}, "scripts": map[string]string{"postinstall": "node steal.js"},
		"bin": map[string]string{"tool": "evil.js"},
	}, map[string]string{"package/evil.js": "1", "package/steal.js": "1"})
	doc := publishDoc("confused", "1.0.0", tgz, func(_, m map[string]any) {
		m["dependencies"] = map[string]string{"lodash": "^4"}
		m["bin"] = map[string]string{"tool": "ok.js"}
		m["description"] = "from the document"
	})
	if st, body, _ := f.do(t, http.MethodPut, "confused", tok, bytes.NewReader(doc), nil); st != http.StatusCreated {
		t.Fatalf("publish: %d %s", st, body)
	}
	for _, accept := range []string{"application/json", "application/vnd.npm.install-v1+json"} {
		_, body, _ := f.do(t, http.MethodGet, "confused", tok, nil, map[string]string{"Accept": accept})
		var p struct {
			Versions map[string]struct {
				Dependencies     map[string]string `json:"dependencies"`
				Bin              map[string]string `json:"bin"`
				HasInstallScript bool              `json:"hasInstallScript"`
			} `json:"versions"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		v := p.Versions["1.0.0"]
		if len(v.Dependencies) != 1 || v.Dependencies["evil"] != "*" || v.Bin["tool"] != "evil.js" || !v.HasInstallScript {
			t.Fatalf("%s: version served from the document: %+v", accept, v)
		}
	}
	admin := f.npmAs(t, tok)
	dir := t.TempDir()
	if out := admin.Must(dir, "view", "confused", "dependencies", "--json"); !strings.Contains(out, `"evil"`) || strings.Contains(out, "lodash") {
		t.Fatalf("npm view dependencies: %s", out)
	}
	if out := admin.Must(dir, "view", "confused", "description"); strings.TrimSpace(out) != "from the tarball" {
		t.Fatalf("npm view description: %q", out)
	}

	// Real npm publishes: a string "bin" and "directories.bin" (which npm
	// expands from the files) still install their commands.
	one := pkgDir(t, "one-bin", "1.0.0", map[string]any{"bin": "./cli.js"})
	two := pkgDir(t, "dir-bin", "1.0.0", map[string]any{"directories": map[string]string{"bin": "./tools"}})
	for d, file := range map[string]string{one: "cli.js", two: "tools/dir-tool"} {
		p := filepath.Join(d, filepath.FromSlash(file))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/usr/bin/env node\nconsole.log('hi')\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		admin.publish(d)
	}
	proj := consumer(t)
	admin.Must(proj, append([]string{"install", "one-bin", "dir-bin"}, npmFlags...)...)
	for _, bin := range []string{"one-bin", "dir-tool"} {
		if _, err := os.Stat(filepath.Join(proj, "node_modules", ".bin", bin)); err != nil {
			t.Errorf("command %s not installed: %v", bin, err)
		}
	}
	if out := admin.Must(dir, "view", "dir-bin", "bin", "--json"); !strings.Contains(out, `"dir-tool": "tools/dir-tool"`) {
		t.Fatalf("dir-bin bin: %s", out)
	}
}

// blobFiles lists the files below the daemon's blob store.
func blobFiles(t *testing.T, dataDir, sub string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(dataDir, "blobs", sub)
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

// TestNPMRefusedPublishesLeaveNoBlobs: a refused publish leaves nothing in
// the blob store (RELIABILITY: "nothing lost" also means nothing added).
func TestNPMRefusedPublishesLeaveNoBlobs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tok := f.srv.AdminToken
	good := makeTarball(t, map[string]any{"name": "victim", "version": "1.0.0"}, nil)
	if st, body, _ := f.do(t, http.MethodPut, "victim", tok, bytes.NewReader(publishDoc("victim", "1.0.0", good, nil)), nil); st != http.StatusCreated {
		t.Fatalf("good publish: %d %s", st, body)
	}
	gone := makeTarball(t, map[string]any{"name": "victim", "version": "0.9.0"}, nil)
	if st, body, _ := f.do(t, http.MethodPut, "victim", tok, bytes.NewReader(publishDoc("victim", "0.9.0", gone, nil)), nil); st != http.StatusCreated {
		t.Fatalf("publish 0.9.0: %d %s", st, body)
	}
	if st, body, _ := f.do(t, http.MethodDelete, "victim/-/victim-0.9.0.tgz/-rev/2", tok, nil, nil); st != http.StatusOK {
		t.Fatalf("delete 0.9.0: %d %s", st, body)
	}
	readOnly, err := f.srv.Client.CreateToken(ctx, client.CreateToken{Name: "ro", Scopes: []string{"package:read"}})
	if err != nil {
		t.Fatal(err)
	}
	before := blobFiles(t, f.srv.DataDir, "sha256")
	if len(before) != 2 {
		t.Fatalf("blob store before: %v", before)
	}

	next := makeTarball(t, map[string]any{"name": "victim", "version": "1.0.1", "description": "new bytes"}, nil)
	noPJ := filesTarball(t, map[string]string{"package/index.js": "1"})
	changed := makeTarball(t, map[string]any{"name": "victim", "version": "1.0.0", "description": "other bytes"}, nil)
	regone := makeTarball(t, map[string]any{"name": "victim", "version": "0.9.0", "description": "again"}, nil)
	liar := makeTarball(t, map[string]any{"name": "victim", "version": "1.0.1", "dependencies": "not an object"}, nil)
	cases := []struct {
		name   string
		token  string
		body   []byte
		status int
	}{
		{"no package.json", tok, publishDoc("victim", "1.0.1", noPJ, nil), 400},
		{"integrity mismatch", tok, publishDoc("victim", "1.0.1", next, func(_, m map[string]any) {
			m["dist"].(map[string]any)["integrity"] = "sha512-" + strings.Repeat("A", 86) + "=="
		}), 400},
		{"length mismatch", tok, publishDoc("victim", "1.0.1", next, func(d, _ map[string]any) {
			d["_attachments"].(map[string]any)["victim-1.0.1.tgz"].(map[string]any)["length"] = 3
		}), 400},
		{"bad package.json", tok, publishDoc("victim", "1.0.1", liar, nil), 400},
		{"read-only token", readOnly.Secret, publishDoc("victim", "1.0.1", next, nil), 403},
		// publishDoc sends "_attachments" before "versions" (encoding/json
		// sorts keys), so the early precheck cannot see the version: the
		// conflict is found after the tarball was staged.
		{"duplicate version", tok, publishDoc("victim", "1.0.0", changed, nil), 409},
		{"unpublished version", tok, publishDoc("victim", "0.9.0", regone, nil), 409},
	}
	for _, c := range cases {
		st, body, _ := f.do(t, http.MethodPut, "victim", c.token, bytes.NewReader(c.body), nil)
		if st != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, st, body, c.status)
		}
	}
	for _, c := range []struct {
		name string
		tgz  []byte
		file string
	}{
		{"REST: no package.json", noPJ, "victim-1.0.1.tgz"},
		{"REST: duplicate version", changed, "victim-1.0.0.tgz"},
		{"REST: unpublished version", regone, "victim-0.9.0.tgz"},
		{"REST: build metadata", makeTarball(t, map[string]any{"name": "victim", "version": "1.0.1+x"}, nil), "victim-1.0.1+x.tgz"},
	} {
		if _, err := f.srv.Client.Publish(ctx, f.org, "npm", c.file, bytes.NewReader(c.tgz)); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if after := blobFiles(t, f.srv.DataDir, "sha256"); !slices.Equal(before, after) {
		t.Errorf("refused publishes left blobs: before %v, after %v", before, after)
	}
	if tmp := blobFiles(t, f.srv.DataDir, "tmp"); len(tmp) != 0 {
		t.Errorf("refused publishes left temp files: %v", tmp)
	}
	// and an accepted publish still commits its blob
	if st, body, _ := f.do(t, http.MethodPut, "victim", tok, bytes.NewReader(publishDoc("victim", "1.0.1", next, nil)), nil); st != http.StatusCreated {
		t.Fatalf("publish 1.0.1: %d %s", st, body)
	}
	if after := blobFiles(t, f.srv.DataDir, "sha256"); len(after) != 3 {
		t.Fatalf("blob store after a good publish: %v", after)
	}
}

// filesTarball builds a gzip-compressed tarball of exactly files.
func filesTarball(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(content))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
