package oci_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

type desc struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int               `json:"size"`
	Platform    map[string]string `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// layout is an OCI image layout written by the tests: a multi-arch image
// (an index of linux/amd64 and linux/arm64 images, each with a config and
// one gzip tar layer) tagged tag.
type layout struct {
	dir string
	// Index is the digest of the multi-arch index.
	Index string
	// Images are the digests of the per-platform manifests.
	Images []string
	blobs  map[string][]byte
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func (l *layout) add(t *testing.T, b []byte) string {
	d := sha(b)
	l.blobs[d] = b
	p := filepath.Join(l.dir, "blobs", "sha256", d[7:])
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return d
}

func tarGz(t *testing.T, name string, content []byte) (gz, raw []byte) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(content)
	tw.Close()
	var gb bytes.Buffer
	zw := gzip.NewWriter(&gb)
	zw.Write(tb.Bytes())
	zw.Close()
	return gb.Bytes(), tb.Bytes()
}

// writeLayout builds the layout in dir; seed makes distinct images.
func writeLayout(t *testing.T, dir string, seed uint64, tag string, layerSize int) *layout {
	t.Helper()
	l := &layout{dir: dir, blobs: map[string][]byte{}}
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, seed+1))
	var children []desc
	for _, arch := range []string{"amd64", "arm64"} {
		content := make([]byte, layerSize)
		for i := range content {
			content[i] = byte(rng.UintN(256))
		}
		gz, raw := tarGz(t, "hello-"+arch+".bin", content)
		layer := l.add(t, gz)
		cfg, _ := json.Marshal(map[string]any{"architecture": arch, "os": "linux",
			"config": map[string]any{"Cmd": []string{"/hello"}},
			"rootfs": map[string]any{"type": "layers", "diff_ids": []string{sha(raw)}}})
		cfgD := l.add(t, cfg)
		m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
			"config": desc{MediaType: "application/vnd.oci.image.config.v1+json", Digest: cfgD, Size: len(cfg)},
			"layers": []desc{{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: layer, Size: len(gz)}}})
		md := l.add(t, m)
		l.Images = append(l.Images, md)
		children = append(children, desc{MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: md, Size: len(m),
			Platform: map[string]string{"os": "linux", "architecture": arch}})
	}
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": children})
	l.Index = l.add(t, idx)
	top, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
		"manifests": []desc{{MediaType: "application/vnd.oci.image.index.v1+json", Digest: l.Index, Size: len(idx),
			Annotations: map[string]string{"org.opencontainers.image.ref.name": tag}}}})
	if err := os.WriteFile(filepath.Join(dir, "index.json"), top, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return l
}
