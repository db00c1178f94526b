//go:build linux

package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"testing"
)

func TestSmallTarballLayout(t *testing.T) {
	pj := newPackageJSON("bench-pkg", "1.2.0")
	tgz, err := smallTarball(pj, 4096, 7)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	sizes := map[string]int64{}
	var manifest packageJSON
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes[h.Name] = h.Size
		if h.Name == "package/package.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				t.Fatal(err)
			}
		}
	}
	if manifest.Name != "bench-pkg" || manifest.Version != "1.2.0" {
		t.Fatalf("package.json = %+v", manifest)
	}
	if sizes["package/index.js"] != 4096 || sizes["package/README.md"] == 0 {
		t.Fatalf("entries = %v", sizes)
	}
	again, err := smallTarball(pj, 4096, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tgz, again) {
		t.Fatal("tarball generation is not deterministic")
	}
}

func TestBigTarballIsIncompressible(t *testing.T) {
	const payload = 1 << 20
	tgz, err := bigTarball(newPackageJSON("bench-big", "1.0.0"), payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(tgz) < payload {
		t.Fatalf("tarball of %d bytes is smaller than its %d byte random payload", len(tgz), payload)
	}
}

func TestPublishBody(t *testing.T) {
	pj := newPackageJSON("bench-pkg", "1.3.0")
	tgz, err := smallTarball(pj, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	body, err := publishBody(pj, tgz, "http://127.0.0.1:1/bench-pkg/-/bench-pkg-1.3.0.tgz")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ID       string            `json:"_id"`
		DistTags map[string]string `json:"dist-tags"`
		Versions map[string]struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Dist    struct {
				Shasum    string `json:"shasum"`
				Integrity string `json:"integrity"`
			} `json:"dist"`
		} `json:"versions"`
		Attachments map[string]struct {
			Data   string `json:"data"`
			Length int    `json:"length"`
		} `json:"_attachments"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("publish body is not JSON: %v", err)
	}
	v, ok := doc.Versions["1.3.0"]
	if doc.ID != "bench-pkg" || doc.DistTags["latest"] != "1.3.0" || !ok || v.Name != "bench-pkg" {
		t.Fatalf("document = %+v", doc)
	}
	sha := sha1.Sum(tgz)
	s512 := sha512.Sum512(tgz)
	if v.Dist.Shasum != hex.EncodeToString(sha[:]) || v.Dist.Integrity != "sha512-"+base64.StdEncoding.EncodeToString(s512[:]) {
		t.Fatalf("dist = %+v", v.Dist)
	}
	att, ok := doc.Attachments["bench-pkg-1.3.0.tgz"]
	if !ok || att.Length != len(tgz) {
		t.Fatalf("attachments = %+v", doc.Attachments)
	}
	data, err := base64.StdEncoding.DecodeString(att.Data)
	if err != nil || !bytes.Equal(data, tgz) {
		t.Fatalf("attachment data does not round-trip (%v)", err)
	}
}
