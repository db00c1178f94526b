package oci

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDigest(t *testing.T) {
	h64, h128 := strings.Repeat("ab", 32), strings.Repeat("0f", 64)
	tests := []struct {
		in string
		ok bool
	}{
		{"sha256:" + h64, true},
		{"sha512:" + h128, true},
		{"sha256:bad", false},
		{"sha256:" + strings.ToUpper(h64), false},
		{"sha256:" + h128, false},
		{"sha512:" + h64, false},
		{"md5:d41d8cd98f00b204e9800998ecf8427e", false},
		{"SHA256:" + h64, false},
		{h64, false},
		{"sha256:" + strings.Repeat("a", 10<<10), false},
		{"", false},
		{"sha256:" + h64[:63] + "g", false},
	}
	for _, tt := range tests {
		d, err := ParseDigest(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseDigest(%.40q) err = %v, want ok=%v", tt.in, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrDigestInvalid) {
			t.Errorf("error %v does not wrap ErrDigestInvalid", err)
		}
		if err == nil && d.String() != tt.in {
			t.Errorf("round trip %s", d)
		}
	}
}

func TestValidateImageNameAndTags(t *testing.T) {
	for name, ok := range map[string]bool{
		"app": true, "a/b/c": true, "my-app_1.2": true, "a__b": true, "a--b": true,
		"": false, "App": false, "a/": false, "/a": false, "a//b": false, "../etc": false, "a/../b": false,
		"a b": false, "-a": false, "a.": false, "a\x00b": false, strings.Repeat("a", 201): false,
	} {
		if got := ValidateImageName(name) == nil; got != ok {
			t.Errorf("ValidateImageName(%.40q) = %v, want %v", name, got, ok)
		}
	}
	for tag, ok := range map[string]bool{"latest": true, "v1.2.3": true, "_x": true, "A-b.c_d": true,
		"": false, "-x": false, ".x": false, "a/b": false, "a:b": false, strings.Repeat("a", 129): false} {
		if ValidTag(tag) != ok {
			t.Errorf("ValidTag(%q) != %v", tag, ok)
		}
	}
	for tag, imm := range map[string]bool{"1.2": true, "v1.2.3": true, "1.0.0-rc.1": true, "0.1.0": true,
		"latest": false, "main": false, "1": false, "v1": false, "1.2.3.4": false, "01.2": false, "sha-abc": false} {
		if ImmutableTag(tag) != imm {
			t.Errorf("ImmutableTag(%q) != %v", tag, imm)
		}
	}
}

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in         string
		start, end int64
		ok         bool
	}{
		{"0-99", 0, 99, true},
		{"100-199", 100, 199, true},
		{"bytes 5-9", 5, 9, true},
		{"bytes=5-9", 5, 9, true},
		{"9-5", 0, 0, false},
		{"-5", 0, 0, false},
		{"5-", 0, 0, false},
		{"a-b", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		s, e, err := ParseContentRange(tt.in)
		if (err == nil) != tt.ok || s != tt.start || e != tt.end {
			t.Errorf("ParseContentRange(%q) = %d, %d, %v", tt.in, s, e, err)
		}
	}
}

func TestParseRoute(t *testing.T) {
	d := "sha256:" + strings.Repeat("1", 64)
	tests := []struct {
		path string
		want Route
		ok   bool
	}{
		{"/v2/", Route{Kind: RoutePing}, true},
		{"/v2/token", Route{Kind: RouteToken}, true},
		{"/v2/_catalog", Route{Kind: RouteCatalog}, true},
		{"/v2/acme/app/tags/list", Route{Kind: RouteTags, Org: "acme", Image: "app"}, true},
		{"/v2/acme/a/b/manifests/latest", Route{Kind: RouteManifest, Org: "acme", Image: "a/b", Ref: "latest"}, true},
		{"/v2/acme/blobs/blobs/" + d, Route{Kind: RouteBlob, Org: "acme", Image: "blobs", Ref: d}, true},
		{"/v2/acme/app/blobs/uploads/", Route{Kind: RouteUploadStart, Org: "acme", Image: "app"}, true},
		{"/v2/acme/app/blobs/uploads", Route{Kind: RouteUploadStart, Org: "acme", Image: "app"}, true},
		{"/v2/acme/app/blobs/uploads/abc", Route{Kind: RouteUpload, Org: "acme", Image: "app", Ref: "abc"}, true},
		{"/v2/acme/app/referrers/" + d, Route{Kind: RouteReferrers, Org: "acme", Image: "app", Ref: d}, true},
		{"/v2/app/manifests/latest", Route{}, false},
		{"/v2/acme/App/manifests/latest", Route{}, false},
		{"/v2/acme/../x/manifests/latest", Route{}, false},
		{"/v2/acme/app/other", Route{}, false},
	}
	for _, tt := range tests {
		got, err := ParseRoute(tt.path)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseRoute(%q) = %+v, %v", tt.path, got, err)
		}
	}
}

func TestParseManifest(t *testing.T) {
	d := "sha256:" + strings.Repeat("1", 64)
	cfg := `{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + d + `","size":2}`
	layer := `{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"` + d + `","size":3}`
	foreign := `{"mediaType":"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip","digest":"` + d + `","size":3,"urls":["http://x"]}`
	tests := []struct {
		name, ct, body string
		ok             bool
		check          func(Manifest) bool
	}{
		{"oci image", MediaOCIManifest, `{"schemaVersion":2,"mediaType":"` + MediaOCIManifest + `","config":` + cfg + `,"layers":[` + layer + `]}`, true,
			func(m Manifest) bool {
				return !m.Index && len(m.Blobs) == 2 && m.ReferrerType() == "application/vnd.oci.image.config.v1+json"
			}},
		{"no mediaType, from header", MediaDockerManifest, `{"schemaVersion":2,"config":` + cfg + `,"layers":[]}`, true,
			func(m Manifest) bool { return m.MediaType == MediaDockerManifest }},
		{"index", "", `{"schemaVersion":2,"manifests":[{"mediaType":"` + MediaOCIManifest + `","digest":"` + d + `","size":5}]}`, true,
			func(m Manifest) bool { return m.Index && len(m.Children) == 1 }},
		{"artifact with subject", MediaOCIManifest, `{"schemaVersion":2,"artifactType":"application/x","config":` + cfg + `,"layers":[],"subject":{"mediaType":"` + MediaOCIManifest + `","digest":"` + d + `","size":5}}`, true,
			func(m Manifest) bool { return m.Subject != nil && m.ReferrerType() == "application/x" }},
		{"foreign layer not required", MediaOCIManifest, `{"schemaVersion":2,"config":` + cfg + `,"layers":[` + foreign + `]}`, true,
			func(m Manifest) bool { return len(m.Blobs) == 1 && len(m.Foreign) == 1 }},
		{"type mismatch", MediaOCIIndex, `{"schemaVersion":2,"mediaType":"` + MediaOCIManifest + `","config":` + cfg + `}`, false, nil},
		{"schema 1", "", `{"schemaVersion":1}`, false, nil},
		{"no config", MediaOCIManifest, `{"schemaVersion":2,"layers":[]}`, false, nil},
		{"bad layer digest", MediaOCIManifest, `{"schemaVersion":2,"config":` + cfg + `,"layers":[{"mediaType":"x","digest":"sha256:bad","size":1}]}`, false, nil},
		{"negative size", MediaOCIManifest, `{"schemaVersion":2,"config":{"mediaType":"x","digest":"` + d + `","size":-1}}`, false, nil},
		{"trailing data", MediaOCIManifest, `{"schemaVersion":2,"config":` + cfg + `} {}`, false, nil},
		{"unknown type", "application/json", `{"schemaVersion":2,"mediaType":"application/vnd.foo","config":` + cfg + `}`, false, nil},
	}
	for _, tt := range tests {
		m, err := ParseManifest(tt.ct, []byte(tt.body))
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		if err != nil && !errors.Is(err, ErrManifestInvalid) {
			t.Errorf("%s: %v does not wrap ErrManifestInvalid", tt.name, err)
		}
		if tt.check != nil && !tt.check(m) {
			t.Errorf("%s: %+v", tt.name, m)
		}
	}
}

func TestPaginate(t *testing.T) {
	all := []string{"a", "b", "c", "d"}
	tests := []struct {
		n    int
		last string
		want string
		more bool
	}{
		{10, "", "a,b,c,d", false},
		{2, "", "a,b", true},
		{2, "b", "c,d", false},
		{1, "bb", "c", true},
		{0, "", "", false},
		{5, "z", "", false},
	}
	for _, tt := range tests {
		got, more := paginate(all, tt.n, tt.last)
		if strings.Join(got, ",") != tt.want || more != tt.more {
			t.Errorf("paginate(%d, %q) = %v %v", tt.n, tt.last, got, more)
		}
	}
	if n, _, err := ParsePage("100000", "", pageMax); err != nil || n != pageMax {
		t.Errorf("n not clamped: %d %v", n, err)
	}
	if _, _, err := ParsePage("-1", "", pageMax); err == nil {
		t.Error("negative n accepted")
	}
}

func TestParseImageRef(t *testing.T) {
	tests := []struct {
		in, name, tag string
		ok            bool
	}{
		{"app", "app", "latest", true},
		{"app:1.0", "app", "1.0", true},
		{"127.0.0.1:5873/acme/app:2", "app", "2", true},
		{"example.test/acme/tools/cli:0.9", "tools/cli", "0.9", true},
		{"registry.example.test/library/alpine:3", "alpine", "3", true},
		{"localhost/x/y", "x/y", "latest", true},
		{"Bad Name", "", "", false},
	}
	for _, tt := range tests {
		r, ok := parseImageRef(tt.in, "acme")
		if ok != tt.ok || (ok && (r.name != tt.name || r.tag != tt.tag)) {
			t.Errorf("parseImageRef(%q) = %+v %v", tt.in, r, ok)
		}
	}
}
