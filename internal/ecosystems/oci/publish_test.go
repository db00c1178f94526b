package oci_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tarOf archives the files below dir (as `drok package publish DIR` does).
func tarOf(t *testing.T, dir string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, _ := os.ReadFile(p)
		tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
		return nil
	})
	tw.Close()
	return b.Bytes()
}

func tarFiles(t *testing.T, files [][2]string) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg})
		tw.Write([]byte(f[1]))
	}
	tw.Close()
	return b.Bytes()
}

// TestPublishImageArchives: `drok package publish` of a tarred OCI image
// layout (multi-arch) and of a docker save archive; broken archives are
// refused and store nothing.
func TestPublishImageArchives(t *testing.T) {
	f := newFixture(t)
	g := reg{base: f.srv.URL}
	ctx := context.Background()
	tok := f.srv.AdminToken

	l := writeLayout(t, t.TempDir(), 7, "3.1.0", 4096)
	res, err := f.srv.Client.Publish(ctx, "acme", "", "webapp.tar", bytes.NewReader(tarOf(t, l.dir)))
	if err != nil {
		t.Fatalf("publish layout: %v", err)
	}
	if res.Ecosystem != "docker" || res.Name != "webapp" || res.Version != l.Index {
		t.Fatalf("published %+v, want docker webapp %s", res, l.Index)
	}
	r := g.do(t, "GET", "/v2/acme/webapp/manifests/3.1.0", tok, nil, nil)
	if r.status != 200 || sha([]byte(r.body)) != l.Index {
		t.Fatalf("pull published index: %d", r.status)
	}
	for _, d := range l.Images {
		if r := g.do(t, "GET", "/v2/acme/webapp/manifests/"+d, tok, nil, nil); r.status != 200 {
			t.Errorf("child %s: %d", d, r.status)
		}
	}
	// identical again: fine; different content to the same release tag: refused
	if _, err := f.srv.Client.Publish(ctx, "acme", "", "webapp.tar", bytes.NewReader(tarOf(t, l.dir))); err != nil {
		t.Errorf("identical republish: %v", err)
	}
	l2 := writeLayout(t, t.TempDir(), 8, "3.1.0", 4096)
	if _, err := f.srv.Client.Publish(ctx, "acme", "", "webapp.tar", bytes.NewReader(tarOf(t, l2.dir))); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("moving 3.1.0 through publish: %v", err)
	}

	// a docker save archive (legacy layout: manifest.json, config, layer.tar)
	layer := string(tarFiles(t, [][2]string{{"hello.txt", "hi\n"}}))
	cfg := `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["` + sha([]byte(layer)) + `"]}}`
	cfgName := sha([]byte(cfg))[7:] + ".json"
	manifest, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{"example.test/acme/tools/cli:0.9"}, "Layers": []string{"abc/layer.tar"}}})
	save := tarFiles(t, [][2]string{{cfgName, cfg}, {"abc/layer.tar", layer}, {"manifest.json", string(manifest)}})
	res, err = f.srv.Client.Publish(ctx, "acme", "docker", "whatever.tar", bytes.NewReader(save))
	if err != nil {
		t.Fatalf("publish docker save: %v", err)
	}
	if res.Name != "tools/cli" {
		t.Errorf("name %q, want tools/cli", res.Name)
	}
	r = g.do(t, "GET", "/v2/acme/tools/cli/manifests/0.9", tok, nil, nil)
	if r.status != 200 || !strings.Contains(r.body, sha([]byte(layer))) {
		t.Fatalf("pull docker save image: %d %s", r.status, r.body)
	}

	before := storedFiles(t, f.srv.DataDir)
	bad := [][]byte{
		tarFiles(t, [][2]string{{"oci-layout", "{}"}, {"blobs/sha256/" + strings.Repeat("a", 64), "not matching"}, {"index.json", `{"manifests":[]}`}}),
		tarFiles(t, [][2]string{{"../evil", "x"}}),
		tarFiles(t, [][2]string{{"readme.txt", "no image here"}}),
	}
	for i, b := range bad {
		if _, err := f.srv.Client.Publish(ctx, "acme", "docker", "bad.tar", bytes.NewReader(b)); err == nil {
			t.Errorf("bad archive %d accepted", i)
		}
	}
	if after := storedFiles(t, f.srv.DataDir); !sameFiles(before, after) {
		t.Errorf("bad archives changed the store:\n%v\n%v", before, after)
	}
}
