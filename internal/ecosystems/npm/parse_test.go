package npm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

func TestValidateName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
		want string // substring of the error
	}{
		{"left-pad", true, ""},
		{"a", true, ""},
		{"a.b_c-d9", true, ""},
		{"-dash-first", true, ""},
		{"@scope/pkg", true, ""},
		{"@s-1/p.kg", true, ""},
		{strings.Repeat("a", 214), true, ""},
		{"", false, "empty"},
		{strings.Repeat("a", 215), false, "214"},
		{strings.Repeat("a", 300), false, "214"},
		{"@scope/" + strings.Repeat("a", 210), false, "214"},
		{"../x", false, "may not start with '.'"},
		{"..", false, "may not start with '.'"},
		{".hidden", false, "may not start with '.'"},
		{"_under", false, "may not start with '.' or '_'"},
		{"%2e%2e", false, "may only contain"},
		{"a/b", false, "may only contain"},
		{"a\\b", false, "may only contain"},
		{"Upper", false, "capital"},
		{"a b", false, "may only contain"},
		{" a", false, "may only contain"},
		{"a\x00", false, "may only contain"},
		{"a\x01b", false, "may only contain"},
		{"a\nb", false, "may only contain"},
		{"a~b", false, "may only contain"},
		{"a!b", false, "may only contain"},
		{"a(b)", false, "may only contain"},
		{"a'b", false, "may only contain"},
		{"a*", false, "may only contain"},
		{"@scope", false, "@scope/name"},
		{"@/x", false, "scope part is empty"},
		{"@scope/", false, "name part is empty"},
		{"@scope/../x", false, "may not start with '.'"},
		{"@scope/a/b", false, "may only contain"},
		{"@../x", false, "may not start with '.'"},
		{"@Scope/x", false, "capital"},
		{"node_modules", false, "reserved"},
		{"favicon.ico", false, "reserved"},
		{"ünïcode", false, "may only contain"},
	}
	for _, tt := range tests {
		err := ValidateName(tt.name)
		if tt.ok {
			if err != nil {
				t.Errorf("ValidateName(%q) = %v, want ok", tt.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidateName(%q) = nil, want error", tt.name)
			continue
		}
		if !errors.Is(err, ErrName) || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ValidateName(%q) = %v, want ErrName/ErrInvalid", tt.name, err)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateName(%q) = %q, want it to mention %q", tt.name, err, tt.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	e := New()
	if n, err := e.Normalize("@scope/pkg"); err != nil || n != "@scope/pkg" {
		t.Fatalf("Normalize(@scope/pkg) = %q, %v", n, err)
	}
	if _, err := e.Normalize("../etc"); ecosystems.HTTPStatus(err) != http.StatusBadRequest {
		t.Fatalf("Normalize(../etc) status %d", ecosystems.HTTPStatus(err))
	}
	if e.Name() != "npm" {
		t.Fatal(e.Name())
	}
}

func TestVersions(t *testing.T) {
	valid := []string{"0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92"}
	invalid := []string{"", "1", "1.2", "v1.2.3", "01.2.3", "1.02.3", "1.2.3-", "1.2.3-01", "1.2.3-a..b", "1.2.3+", "1.2.3 ", " 1.2.3", "1.2.3/../x", "1.2.3\x00", "a.b.c", "1.2.3.4", strings.Repeat("1", 300) + ".0.0"}
	for _, v := range valid {
		if err := ValidateVersion(v); err != nil {
			t.Errorf("ValidateVersion(%q) = %v", v, err)
		}
	}
	for _, v := range invalid {
		err := ValidateVersion(v)
		if err == nil || !errors.Is(err, ErrVersion) {
			t.Errorf("ValidateVersion(%q) = %v, want ErrVersion", v, err)
		}
	}
	// Build metadata is refused for publishing (npm ignores it when
	// comparing, so 1.0.0+x would shadow or resurrect 1.0.0) but stored
	// versions that carry it stay addressable.
	for _, v := range []string{"1.0.0+build.1", "1.0.0-beta+exp.sha.5114f85", "1.0.0+evil"} {
		err := ValidateVersion(v)
		if !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "build metadata (+") || !strings.Contains(err.Error(), "is not allowed in npm versions") {
			t.Errorf("ValidateVersion(%q) = %v, want a build metadata error", v, err)
		}
		if err := validSemver(v); err != nil {
			t.Errorf("validSemver(%q) = %v", v, err)
		}
		if got, err := ParseTarballName("lib", "lib-"+v+".tgz"); err != nil || got != v {
			t.Errorf("ParseTarballName of a stored %s: %q %v", v, got, err)
		}
	}
	order := []string{"0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0"}
	for i := 0; i+1 < len(order); i++ {
		if c := CompareVersions(order[i], order[i+1]); c >= 0 {
			t.Errorf("CompareVersions(%s, %s) = %d, want < 0", order[i], order[i+1], c)
		}
		if c := New().Compare(order[i+1], order[i]); c <= 0 {
			t.Errorf("Compare(%s, %s) = %d, want > 0", order[i+1], order[i], c)
		}
	}
	if CompareVersions("bogus", "1.0.0") >= 0 || CompareVersions("1.0.0", "1.0.0") != 0 {
		t.Error("invalid versions must sort first; equal versions compare 0")
	}
	if !IsPrerelease("1.0.0-rc.1") || IsPrerelease("1.0.0") || IsPrerelease("1.0.0+build") {
		t.Error("IsPrerelease")
	}
}

func TestValidateTag(t *testing.T) {
	for _, tag := range []string{"latest", "next", "beta", "canary-2", "release_1.x-old", "LTS"} {
		if err := ValidateTag(tag); err != nil {
			t.Errorf("ValidateTag(%q) = %v", tag, err)
		}
	}
	for _, tag := range []string{"", "1.0.0", "1", "1.x", "v2", "^1.2", ">=1", "x", "*", "a/b", "a b", "../x", "a%2f", strings.Repeat("t", 129)} {
		if err := ValidateTag(tag); !errors.Is(err, ErrTag) {
			t.Errorf("ValidateTag(%q) = %v, want ErrTag", tag, err)
		}
	}
}

func TestTarballNames(t *testing.T) {
	if got := TarballName("@scope/pkg", "1.0.0"); got != "pkg-1.0.0.tgz" {
		t.Fatal(got)
	}
	if Basename("plain") != "plain" || Scope("@s/x") != "s" || Scope("x") != "" {
		t.Fatal("Basename/Scope")
	}
	tests := []struct {
		name, file, version string
	}{
		{"pkg", "pkg-1.0.0.tgz", "1.0.0"},
		{"@s/pkg", "pkg-1.0.0-beta.1.tgz", "1.0.0-beta.1"},
		{"pkg-a", "pkg-a-2.0.0.tgz", "2.0.0"},
		{"pkg", "pkg-1.0.0.tar.gz", ""},
		{"pkg", "other-1.0.0.tgz", ""},
		{"pkg", "pkg-.tgz", ""},
		{"pkg", "pkg-../../x.tgz", ""},
		{"pkg", "pkg-v1.0.0.tgz", ""},
	}
	for _, tt := range tests {
		v, err := ParseTarballName(tt.name, tt.file)
		if tt.version == "" {
			if err == nil {
				t.Errorf("ParseTarballName(%q, %q) = %q, want error", tt.name, tt.file, v)
			}
			continue
		}
		if err != nil || v != tt.version {
			t.Errorf("ParseTarballName(%q, %q) = %q, %v; want %q", tt.name, tt.file, v, err, tt.version)
		}
	}
}

func TestParseRoute(t *testing.T) {
	tests := []struct {
		rest string
		want Route
	}{
		{"", Route{Kind: RouteUnknown}},
		{"foo", Route{Kind: RoutePackument, Name: "foo"}},
		{"@s%2ffoo", Route{Kind: RoutePackument, Name: "@s/foo"}},
		{"@s%2Ffoo", Route{Kind: RoutePackument, Name: "@s/foo"}},
		{"@s/foo", Route{Kind: RoutePackument, Name: "@s/foo"}},
		{"foo/1.0.0", Route{Kind: RouteVersion, Name: "foo", Arg: "1.0.0"}},
		{"@s%2ffoo/latest", Route{Kind: RouteVersion, Name: "@s/foo", Arg: "latest"}},
		{"@s/foo/-/foo-1.0.0.tgz", Route{Kind: RouteTarball, Name: "@s/foo", Arg: "foo-1.0.0.tgz"}},
		{"foo/-/foo-1.0.0.tgz/-rev/7", Route{Kind: RouteTarballRev, Name: "foo", Arg: "foo-1.0.0.tgz", Rev: "7"}},
		{"@s%2ffoo/-rev/12", Route{Kind: RouteRev, Name: "@s/foo", Rev: "12"}},
		{"foo/a/b", Route{Kind: RouteUnknown, Name: "foo"}},
		{"foo/-", Route{Kind: RouteUnknown, Name: "foo"}},
		{"foo/", Route{Kind: RouteUnknown, Name: "foo"}},
		{"foo/-/a%2fb.tgz", Route{Kind: RouteUnknown, Name: "foo"}},
		{"-/whoami", Route{Kind: RouteWhoami}},
		{"-/ping", Route{Kind: RoutePing}},
		{"-/v1/login", Route{Kind: RouteLogin}},
		{"-/v1/search", Route{Kind: RouteSearch}},
		{"-/npm/v1/security/advisories/bulk", Route{Kind: RouteAudit}},
		{"-/npm/v1/security/audits/quick", Route{Kind: RouteAudit}},
		{"-/user/org.couchdb.user:bob", Route{Kind: RouteAddUser, Arg: "bob"}},
		{"-/user/org.couchdb.user%3Abob", Route{Kind: RouteAddUser, Arg: "bob"}},
		{"-/package/foo/dist-tags", Route{Kind: RouteDistTags, Name: "foo"}},
		{"-/package/@s%2ffoo/dist-tags", Route{Kind: RouteDistTags, Name: "@s/foo"}},
		{"-/package/@s/foo/dist-tags/beta", Route{Kind: RouteDistTag, Name: "@s/foo", Arg: "beta"}},
		{"-/package/foo/other", Route{Kind: RouteUnknown}},
		{"-/nothing", Route{Kind: RouteUnknown}},
	}
	for _, tt := range tests {
		got := ParseRoute(tt.rest)
		if got != tt.want {
			t.Errorf("ParseRoute(%q) = %+v, want %+v", tt.rest, got, tt.want)
		}
	}
	for _, bad := range []string{"%2e%2e", "..%2fx", "%2e%2e%2fetc%2fpasswd", "..", "foo%00", "foo%0a", "Foo", "@s%2f..%2f..%2fx", "@s/..", "%zz", strings.Repeat("a", 300), "-/package/..%2fx/dist-tags"} {
		got := ParseRoute(bad)
		if got.Kind != RouteInvalidName || !errors.Is(got.Err, ErrName) {
			t.Errorf("ParseRoute(%q) = %+v, want RouteInvalidName", bad, got)
		}
	}
}

func digestsOf(b []byte) Digests {
	s1, s256, s512 := sha1.Sum(b), sha256.Sum256(b), sha512.Sum512(b)
	return Digests{SHA1: s1[:], SHA256: s256[:], SHA512: s512[:]}
}

func TestIntegrity(t *testing.T) {
	data := []byte("tarball bytes")
	d := digestsOf(data)
	h := NewHasher()
	h.Write(data[:4])
	h.Write(data[4:])
	if got := h.Sum(); !bytes.Equal(got.SHA512, d.SHA512) || !bytes.Equal(got.SHA1, d.SHA1) || h.Size() != int64(len(data)) {
		t.Fatal("Hasher disagrees with one-shot hashes")
	}
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	zero := make([]byte, 64)
	tests := []struct {
		sri string
		ok  bool
	}{
		{"", true},
		{d.Integrity(), true},
		{"sha512-" + b64(d.SHA512) + "?opt", true},
		{"sha1-" + b64(d.SHA1), true},
		{"sha256-" + b64(d.SHA256), true},
		{"sha384-abc sha512-" + b64(d.SHA512), true},
		{"sha1-" + b64(d.SHA1) + " sha512-" + b64(d.SHA512), true},
		{"sha512-" + b64(zero), false},
		{"sha1-" + b64(d.SHA1) + " sha512-" + b64(zero), false},
		{"sha384-abc", false},
		{"md5-abc", false},
		{"nodash", false},
		{"sha512-!!!", false},
	}
	for _, tt := range tests {
		err := VerifyIntegrity(tt.sri, d)
		if tt.ok != (err == nil) {
			t.Errorf("VerifyIntegrity(%q) = %v, want ok=%v", tt.sri, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrIntegrity) {
			t.Errorf("VerifyIntegrity(%q) error %v is not ErrIntegrity", tt.sri, err)
		}
	}
	if err := VerifyShasum(hex.EncodeToString(d.SHA1), d); err != nil {
		t.Error(err)
	}
	if err := VerifyShasum(strings.ToUpper(d.Shasum()), d); err != nil {
		t.Error(err)
	}
	if err := VerifyShasum(strings.Repeat("0", 40), d); !errors.Is(err, ErrIntegrity) {
		t.Errorf("wrong shasum: %v", err)
	}
}

func TestParseManifest(t *testing.T) {
	tests := []struct {
		raw  string
		want string // "" = ok
	}{
		{`{"name":"a","version":"1.0.0","dist":{"integrity":"sha512-x","shasum":"ab"},"dependencies":{"b":"^1"}}`, ""},
		{`{"name":"a","version":"1.0.0","deprecated":"old"}`, ""},
		{`[]`, "JSON object"},
		{`"str"`, "JSON object"},
		{`null`, "JSON object"},
		{`{"version":"1.0.0"}`, "no name"},
		{`{"name":"a"}`, "no version"},
		{`{"name":1,"version":"1.0.0"}`, `"name" must be a string`},
		{`{"name":"a","version":"1.0.0","dependencies":["b"]}`, "dependencies"},
		{`{"name":"a","version":"1.0.0","peerDependencies":{"b":1}}`, "peerDependencies"},
		{`{"name":"a","version":"1.0.0","deprecated":true}`, "deprecated"},
		{`{"name":"a","version":"1.0.0","dist":"x"}`, "dist"},
		{`{"name":"a","version":"1.0.0","dist":{"integrity":5}}`, "dist.integrity"},
	}
	for _, tt := range tests {
		m, err := ParseManifest([]byte(tt.raw))
		if tt.want == "" {
			if err != nil {
				t.Errorf("ParseManifest(%s) = %v", tt.raw, err)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseManifest(%s) = %v, want ErrManifest mentioning %q", tt.raw, err, tt.want)
		}
		_ = m
	}
	m, _ := ParseManifest([]byte(`{"name":"a","version":"1.0.0","deprecated":"old","dist":{"integrity":"sha512-x","shasum":"ab"}}`))
	if m.Deprecated == nil || *m.Deprecated != "old" || m.Integrity != "sha512-x" || m.Shasum != "ab" {
		t.Fatalf("parsed manifest: %+v", m)
	}
}

func TestCheckAgreement(t *testing.T) {
	data := []byte("x")
	d := digestsOf(data)
	good := Manifest{Name: "a", Version: "1.0.0", Integrity: d.Integrity(), Shasum: d.Shasum()}
	pj := PackageJSON{Name: "a", Version: "1.0.0"}
	if err := CheckAgreement("a", "1.0.0", good, pj, d); err != nil {
		t.Fatal(err)
	}
	check := func(edit func(m *Manifest, pj *PackageJSON) (string, string)) error {
		m, p := good, pj
		url, key := edit(&m, &p)
		return CheckAgreement(url, key, m, p, d)
	}
	tests := []struct {
		name string
		edit func(m *Manifest, pj *PackageJSON) (string, string)
		want error
		text string
	}{
		{"url name", func(m *Manifest, _ *PackageJSON) (string, string) { return "b", "1.0.0" }, ErrManifest, `request is for "b"`},
		{"version key", func(m *Manifest, _ *PackageJSON) (string, string) { return "a", "2.0.0" }, ErrManifest, "versions"},
		{"package.json name", func(_ *Manifest, p *PackageJSON) (string, string) { p.Name = "evil"; return "a", "1.0.0" }, ErrManifest, "inside the tarball is evil@1.0.0"},
		{"package.json version", func(_ *Manifest, p *PackageJSON) (string, string) { p.Version = "9.9.9"; return "a", "1.0.0" }, ErrManifest, "inside the tarball"},
		{"integrity", func(m *Manifest, _ *PackageJSON) (string, string) {
			m.Integrity = "sha512-" + base64.StdEncoding.EncodeToString(make([]byte, 64))
			return "a", "1.0.0"
		}, ErrIntegrity, "dist.integrity"},
		{"shasum", func(m *Manifest, _ *PackageJSON) (string, string) {
			m.Shasum = strings.Repeat("f", 40)
			return "a", "1.0.0"
		}, ErrIntegrity, "dist.shasum"},
	}
	for _, tt := range tests {
		err := check(tt.edit)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: %v, want %v mentioning %q", tt.name, err, tt.want, tt.text)
		}
	}
}

func TestBuildVersionMeta(t *testing.T) {
	d := digestsOf([]byte("x"))
	fields := map[string]json.RawMessage{
		"name": json.RawMessage(`"evil"`), "version": json.RawMessage(`"6.6.6"`), "description": json.RawMessage(`"d"`),
		"_attachments": json.RawMessage(`{}`), "dist": json.RawMessage(`{"tarball":"http://elsewhere/x.tgz","integrity":"sha512-lie"}`),
	}
	info := TarballInfo{FileCount: 2, UnpackedSize: 10, HasShrinkwrap: true, Readme: "# hi", ReadmeFilename: "README.md",
		PackageJSON: []byte(`{"name":"a","version":"1.0.0","scripts":{"postinstall":"node x"}}`)}
	raw, err := BuildVersionMeta(map[string]json.RawMessage{
		"name": json.RawMessage(`"a"`), "version": json.RawMessage(`"1.0.0"`), "description": json.RawMessage(`"d"`),
		"scripts": json.RawMessage(`{"postinstall":"node x"}`), "_secret": json.RawMessage(`1`),
		"dist": json.RawMessage(`{"tarball":"http://elsewhere/x.tgz","integrity":"sha512-lie"}`),
	}, fields, "a", "1.0.0", "alice", d, info)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	dist := m["dist"].(map[string]any)
	switch {
	case m["name"] != "a", m["version"] != "1.0.0", m["_id"] != "a@1.0.0", m["description"] != "d":
		t.Fatalf("identity fields: %v", m)
	case dist["integrity"] != d.Integrity(), dist["shasum"] != d.Shasum(), dist["tarball"] != nil, dist["fileCount"] != 2.0:
		t.Fatalf("dist: %v", dist)
	case m["_attachments"] != nil, m["_secret"] != nil, m["_hasShrinkwrap"] != true, m["hasInstallScript"] != true, m["readme"] != "# hi":
		t.Fatalf("registry fields: %v", m)
	case m["_npmUser"].(map[string]any)["name"] != "alice":
		t.Fatalf("_npmUser: %v", m["_npmUser"])
	}
}

func TestRepoHint(t *testing.T) {
	base := "http://drok.test:5873"
	tests := []struct {
		repo string
		want string
	}{
		{`"http://drok.test:5873/acme/web"`, "web"},
		{`{"type":"git","url":"git+http://drok.test:5873/acme/web.git"}`, "web"},
		{`"http://drok.test:5873/acme/web/tree/main"`, "web"},
		{`"http://drok.test:5873/other/web"`, ""},
		{`"http://elsewhere/acme/web"`, ""},
		{`42`, ""},
	}
	for _, tt := range tests {
		got := RepoHint(map[string]json.RawMessage{"repository": json.RawMessage(tt.repo)}, base, "acme")
		if got != tt.want {
			t.Errorf("RepoHint(%s) = %q, want %q", tt.repo, got, tt.want)
		}
	}
	if RepoHint(map[string]json.RawMessage{}, base, "acme") != "" {
		t.Error("no repository field")
	}
}

func TestDistTagBody(t *testing.T) {
	for body, want := range map[string]string{`"1.2.3"`: "1.2.3", " \"1.0.0-rc.1\"\n": "1.0.0-rc.1", `1.2.3`: "1.2.3"} {
		if v, err := DistTagBody([]byte(body)); err != nil || v != want {
			t.Errorf("DistTagBody(%q) = %q, %v", body, v, err)
		}
	}
	for _, body := range []string{``, `""`, `"latest"`, `{"v":"1.0.0"}`, `"1.2"`, `"1.2.3`} {
		if _, err := DistTagBody([]byte(body)); err == nil {
			t.Errorf("DistTagBody(%q) accepted", body)
		}
	}
}

// tarEntry is one entry of a test archive.
type tarEntry struct {
	name, body, link string
	typ              byte
}

func buildTar(t testing.TB, entries []tarEntry, trailing []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: typ, Linkname: e.link, Size: int64(len(e.body))}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(trailing); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestInspectTarball(t *testing.T) {
	pj := tarEntry{name: "package/package.json", body: `{"name":"a","version":"1.0.0"}`}
	ok := buildTar(t, []tarEntry{
		{name: "package/", typ: tar.TypeDir}, pj,
		{name: "package/README.md", body: "# a"},
		{name: "package/npm-shrinkwrap.json", body: "{}"},
		{name: "package/lib/x.js", body: "1"},
		{name: "package/lib/link.js", typ: tar.TypeSymlink, link: "x.js"},
	}, nil)
	info, err := InspectTarball(bytes.NewReader(ok), DefaultTarballLimits)
	if err != nil {
		t.Fatal(err)
	}
	if string(info.PackageJSON) != pj.body || info.FileCount != 4 || info.Readme != "# a" || info.ReadmeFilename != "README.md" || !info.HasShrinkwrap || info.HasBindingGyp {
		t.Fatalf("info: %+v", info)
	}
	// Old tarballs use another top-level directory name.
	if _, err := InspectTarball(bytes.NewReader(buildTar(t, []tarEntry{{name: "node-a/package.json", body: "{}"}}, nil)), DefaultTarballLimits); err != nil {
		t.Fatalf("non-'package' top directory: %v", err)
	}

	small := DefaultTarballLimits
	small.MaxEntries, small.MaxUnpacked = 3, 100
	many := []tarEntry{pj}
	for _, n := range []string{"a", "b", "c"} {
		many = append(many, tarEntry{name: "package/" + n, body: "x"})
	}
	tests := []struct {
		name string
		data []byte
		lim  TarballLimits
		want error
		text string
	}{
		{"not gzip", []byte("hello"), DefaultTarballLimits, ErrTarball, "gzip"},
		{"truncated gzip", ok[:len(ok)/2], DefaultTarballLimits, ErrTarball, ""},
		{"gzip but not tar", gz(t, []byte(strings.Repeat("not a tar archive ", 100))), DefaultTarballLimits, ErrTarball, ""},
		{"no package.json", buildTar(t, []tarEntry{{name: "package/index.js", body: "1"}}, nil), DefaultTarballLimits, ErrTarball, "no package/package.json"},
		{"package.json elsewhere", buildTar(t, []tarEntry{{name: "package/lib/package.json", body: "{}"}}, nil), DefaultTarballLimits, ErrTarball, "no package/package.json"},
		{"dot-dot entry", buildTar(t, []tarEntry{pj, {name: "package/../../etc/x", body: "1"}}, nil), DefaultTarballLimits, ErrTarball, "leaves the package"},
		{"absolute entry", buildTar(t, []tarEntry{pj, {name: "/etc/passwd", body: "1"}}, nil), DefaultTarballLimits, ErrTarball, "absolute"},
		{"windows drive", buildTar(t, []tarEntry{pj, {name: "C:/x", body: "1"}}, nil), DefaultTarballLimits, ErrTarball, "absolute"},
		{"backslash traversal", buildTar(t, []tarEntry{pj, {name: "package\\..\\..\\x", body: "1"}}, nil), DefaultTarballLimits, ErrTarball, "backslash"},
		{"symlink escape", buildTar(t, []tarEntry{pj, {name: "package/l", typ: tar.TypeSymlink, link: "../../etc/passwd"}}, nil), DefaultTarballLimits, ErrTarball, "escapes"},
		{"absolute symlink", buildTar(t, []tarEntry{pj, {name: "package/l", typ: tar.TypeSymlink, link: "/etc/passwd"}}, nil), DefaultTarballLimits, ErrTarball, "points to"},
		{"hardlink escape", buildTar(t, []tarEntry{pj, {name: "package/l", typ: tar.TypeLink, link: "../x"}}, nil), DefaultTarballLimits, ErrTarball, "leaves the package"},
		{"device", buildTar(t, []tarEntry{pj, {name: "package/dev", typ: tar.TypeChar}}, nil), DefaultTarballLimits, ErrTarball, "unsupported type"},
		{"duplicate entry", buildTar(t, []tarEntry{pj, {name: "package/x", body: "1"}, {name: "package/./x", body: "2"}}, nil), DefaultTarballLimits, ErrTarball, "duplicate"},
		{"duplicate package.json", buildTar(t, []tarEntry{pj, pj}, nil), DefaultTarballLimits, ErrTarball, "duplicate"},
		{"too many entries", buildTar(t, many, nil), small, ecosystems.ErrTooLarge, "entries"},
		{"unpacks too large", buildTar(t, []tarEntry{pj, {name: "package/big", body: strings.Repeat("0", 200)}}, nil), small, ecosystems.ErrTooLarge, "unpacks"},
		{"trailing data", buildTar(t, []tarEntry{pj}, bytes.Repeat([]byte{0}, 2<<20)), DefaultTarballLimits, ErrTarball, "after the end"},
		{"garbage after gzip", append(append([]byte{}, ok...), "junk"...), DefaultTarballLimits, ErrTarball, ""},
	}
	for _, tt := range tests {
		_, err := InspectTarball(bytes.NewReader(tt.data), tt.lim)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: %v, want %v mentioning %q", tt.name, err, tt.want, tt.text)
		}
	}
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// collect is a DataFunc that records each attachment's decoded data.
func collect(got map[string]string) DataFunc {
	return func(_ *PublishDoc, name string, data io.Reader) error {
		b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, data))
		if err != nil {
			return err
		}
		got[name] = string(b)
		return nil
	}
}

func TestParsePublish(t *testing.T) {
	payload := strings.Repeat("binary\x00\xff tarball ", 5000)
	b64 := base64.StdEncoding.EncodeToString([]byte(payload))
	doc := `{"_id":"a","name":"a","description":"d \"q\" \u00e9","dist-tags":{"latest":"1.0.0"},` +
		`"versions":{"1.0.0":{"name":"a","version":"1.0.0","readme":"x\ny"}},"access":null,` +
		`"_attachments":{"a-1.0.0.tgz":{"content_type":"application/octet-stream","data":"` +
		strings.ReplaceAll(b64, "/", `\/`) + `","length":` + itoa(len(payload)) + `}}}` + "\n"
	got := map[string]string{}
	var sawVersions bool
	d, err := ParsePublish(strings.NewReader(doc), DefaultMetaLimit, func(doc *PublishDoc, name string, data io.Reader) error {
		sawVersions = doc.Versions != nil
		return collect(got)(doc, name, data)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["a-1.0.0.tgz"] != payload {
		t.Fatalf("attachment decoded to %d bytes, want %d", len(got["a-1.0.0.tgz"]), len(payload))
	}
	if !sawVersions || d.ID != "a" || d.Name != "a" || d.DistTags["latest"] != "1.0.0" || len(d.Versions) != 1 {
		t.Fatalf("doc: %+v", d)
	}
	if len(d.Attachments) != 1 || d.Attachments[0].Length != int64(len(payload)) || !d.Attachments[0].HasData || d.Attachments[0].ContentType != "application/octet-stream" {
		t.Fatalf("attachments: %+v", d.Attachments)
	}

	// metadata-only documents and null attachments
	d, err = ParsePublish(strings.NewReader(`{"name":"a","_rev":"3","versions":{},"_attachments":null}`), DefaultMetaLimit, nil)
	if err != nil || d.Rev != "3" || d.Versions == nil || len(d.Attachments) != 0 {
		t.Fatalf("metadata doc: %+v %v", d, err)
	}
	d, err = ParsePublish(strings.NewReader(`{"name":"a"}`), DefaultMetaLimit, nil)
	if err != nil || d.Versions != nil {
		t.Fatalf("no versions key: %+v %v", d, err)
	}

	// escapes in data are decoded, including \uXXXX and surrogate pairs
	got = map[string]string{}
	raw := `{"_attachments":{"x.txt":{"data":"a\u0042\\\n\t\ud83d\ude00"}}}`
	if _, err := ParsePublish(strings.NewReader(raw), DefaultMetaLimit, func(_ *PublishDoc, n string, r io.Reader) error {
		b, err := io.ReadAll(r)
		got[n] = string(b)
		return err
	}); err != nil || got["x.txt"] != "aB\\\n\t😀" {
		t.Fatalf("escapes: %q %v", got["x.txt"], err)
	}

	tests := []struct {
		name string
		doc  string
		want error
		text string
	}{
		{"empty", ``, ErrJSON, "end of document"},
		{"not an object", `[1,2]`, ErrJSON, "expected an object"},
		{"truncated", `{"name":"a","versions":{"1.0.0":{`, ErrJSON, "end of document"},
		{"truncated data", `{"_attachments":{"a.tgz":{"data":"AAAA`, ErrJSON, "unterminated"},
		{"trailing data", `{"name":"a"} {}`, ErrJSON, "after the JSON document"},
		{"missing colon", `{"name" "a"}`, ErrJSON, "expected ':'"},
		{"missing comma", `{"name":"a" "x":1}`, ErrJSON, "expected ','"},
		{"bare key", `{name:"a"}`, ErrJSON, "object key"},
		{"bad literal", `{"x":tru}`, ErrJSON, "invalid value"},
		{"bad nested", `{"x":{"a":]}}`, ErrJSON, "invalid value"},
		{"control char", "{\"name\":\"a\x01\"}", ErrJSON, "control character"},
		{"control char in data", "{\"_attachments\":{\"a.tgz\":{\"data\":\"AA\x01A\"}}}", ErrJSON, "control character"},
		{"bad escape", `{"_attachments":{"a.tgz":{"data":"\q"}}}`, ErrJSON, "bad escape"},
		{"bad unicode escape", `{"_attachments":{"a.tgz":{"data":"\u12x4"}}}`, ErrJSON, "escape"},
		{"duplicate key", `{"versions":{},"versions":{}}`, ErrJSON, "duplicate key"},
		{"duplicate attachment key", `{"_attachments":{"a.tgz":{"data":"","data":""}}}`, ErrJSON, "duplicate key"},
		{"data not a string", `{"_attachments":{"a.tgz":{"data":5}}}`, ErrManifest, "must be a string"},
		{"versions not an object", `{"versions":[1]}`, ErrManifest, "versions"},
		{"dist-tags not strings", `{"dist-tags":{"latest":1}}`, ErrManifest, "dist-tags"},
		{"name not a string", `{"name":1}`, ErrManifest, `"name" must be a string`},
		{"negative length", `{"_attachments":{"a.tgz":{"length":-1}}}`, ErrManifest, "length"},
		{"too many attachments", `{"_attachments":{"a":{},"b":{},"c":{},"d":{},"e":{}}}`, ErrManifest, "too many"},
		{"metadata over limit", `{"readme":"` + strings.Repeat("r", 2000) + `"}`, ecosystems.ErrTooLarge, "larger than"},
		{"nested metadata over limit", `{"x":[` + strings.Repeat(`"aaaaaaaa",`, 300) + `1]}`, ecosystems.ErrTooLarge, "larger than"},
		{"long literal", `{"x":` + strings.Repeat("1", 2000) + `}`, ErrJSON, "too long"},
	}
	for _, tt := range tests {
		_, err := ParsePublish(strings.NewReader(tt.doc), 1024, collect(map[string]string{}))
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: %v, want %v mentioning %q", tt.name, err, tt.want, tt.text)
		}
	}

	// a callback error aborts parsing with that error
	boom := errors.New("boom")
	if _, err := ParsePublish(strings.NewReader(doc), DefaultMetaLimit, func(*PublishDoc, string, io.Reader) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("callback error: %v", err)
	}
	// the body's own read error (size limit) wins over the syntax error it causes
	limited := http.MaxBytesReader(nil, io.NopCloser(strings.NewReader(doc)), 100)
	_, err = ParsePublish(limited, DefaultMetaLimit, collect(map[string]string{}))
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) {
		t.Fatalf("size-limited body: %v, want *http.MaxBytesError", err)
	}
	limited = http.MaxBytesReader(nil, io.NopCloser(strings.NewReader(doc)), int64(len(doc)-200))
	if _, err = ParsePublish(limited, DefaultMetaLimit, collect(map[string]string{})); !errors.As(err, &mbe) {
		t.Fatalf("body cut inside the attachment: %v, want *http.MaxBytesError", err)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func metaOf(t *testing.T, pkgJSON, doc string, info TarballInfo) map[string]any {
	t.Helper()
	var pj, dm map[string]json.RawMessage
	if err := json.Unmarshal([]byte(pkgJSON), &pj); err != nil {
		t.Fatal(err)
	}
	if doc != "" {
		if err := json.Unmarshal([]byte(doc), &dm); err != nil {
			t.Fatal(err)
		}
	}
	info.PackageJSON = []byte(pkgJSON)
	raw, err := BuildVersionMeta(pj, dm, "@s/capx", "1.2.3", "alice", digestsOf([]byte("x")), info)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func jsonEq(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s = %s, want %s", what, g, w)
	}
}

// TestVersionMetaFromPackageJSON: the stored manifest is the tarball's
// package.json, not the publish document: a document that lies about
// dependencies, scripts or bin is not believed.
func TestVersionMetaFromPackageJSON(t *testing.T) {
	pj := `{"name":"@s/capx","version":"1.2.3","dependencies":{"evil":"*"},"scripts":{"postinstall":"node steal.js"},
		"bin":{"x":"evil.js"},"os":["linux"],"exports":{".":"./evil.js"},"_npmUser":{"name":"mallory"},"dist":{"tarball":"http://evil"}}`
	doc := `{"name":"@s/capx","version":"1.2.3","dependencies":{"lodash":"^4"},"scripts":{},"bin":{"x":"ok.js"},"os":["darwin"],
		"exports":"./ok.js","description":"nice","_nodeVersion":"20.0.0","_npmVersion":"11.0.0","gitHead":"abc","readme":"doc readme","deprecated":"old"}`
	m := metaOf(t, pj, doc, TarballInfo{})
	jsonEq(t, "dependencies", m["dependencies"], map[string]string{"evil": "*"})
	jsonEq(t, "scripts", m["scripts"], map[string]string{"postinstall": "node steal.js"})
	jsonEq(t, "bin", m["bin"], map[string]string{"x": "evil.js"})
	jsonEq(t, "os", m["os"], []string{"linux"})
	jsonEq(t, "exports", m["exports"], map[string]string{".": "./evil.js"})
	jsonEq(t, "hasInstallScript", m["hasInstallScript"], true)
	jsonEq(t, "_npmUser", m["_npmUser"], map[string]string{"name": "alice"})
	if m["description"] != nil {
		t.Errorf("description from the document: %v", m["description"])
	}
	for k, want := range map[string]string{"_nodeVersion": "20.0.0", "_npmVersion": "11.0.0", "gitHead": "abc", "readme": "doc readme", "deprecated": "old"} {
		if m[k] != want {
			t.Errorf("%s = %v, want %q from the document", k, m[k], want)
		}
	}
	// package.json wins for the optional fields it has; a tarball README beats the document's
	m = metaOf(t, `{"name":"@s/capx","version":"1.2.3","gitHead":"pj"}`, doc, TarballInfo{Readme: "# file", ReadmeFilename: "README.md", ReadmeSize: 6})
	if m["gitHead"] != "pj" || m["readme"] != "# file" || m["readmeFilename"] != "README.md" || m["hasInstallScript"] != nil {
		t.Errorf("precedence: %v", m)
	}
}

// TestVersionMetaNormalization: fields are normalised the way npm 11
// normalises them when publishing (the expected values are what npm
// 11.19 sent for these package.json files).
func TestVersionMetaNormalization(t *testing.T) {
	m := metaOf(t, `{"name":"@s/capx","version":"1.2.3","bin":"./bin/cli.js","man":"./man/x.1","bundledDependencies":["dep1"],
		"dependencies":{"dep1":"^1.0.0"},"gypfile":false}`, "", TarballInfo{HasBindingGyp: true})
	jsonEq(t, "bin", m["bin"], map[string]string{"capx": "bin/cli.js"})
	jsonEq(t, "man", m["man"], []string{"man/x.1"})
	jsonEq(t, "bundleDependencies", m["bundleDependencies"], []string{"dep1"})
	if m["bundledDependencies"] != nil || m["scripts"] != nil || m["hasInstallScript"] != nil {
		t.Errorf("gypfile false: %v", m)
	}
	m = metaOf(t, `{"name":"@s/capx","version":"1.2.3","directories":{"bin":"./bin"},"bundleDependencies":true,
		"dependencies":{"dep1":"^1.0.0","a":"1"},"scripts":{"test":"echo"}}`, "",
		TarballInfo{HasBindingGyp: true, Files: []string{"package.json", "bin/cli.js", "bin/sub/tool", "bin/.hidden", "binary"}})
	jsonEq(t, "bin", m["bin"], map[string]string{"cli.js": "bin/cli.js", "tool": "bin/sub/tool"})
	jsonEq(t, "bundleDependencies", m["bundleDependencies"], []string{"a", "dep1"})
	jsonEq(t, "scripts", m["scripts"], map[string]string{"test": "echo", "install": "node-gyp rebuild"})
	if m["gypfile"] != true || m["hasInstallScript"] != true {
		t.Errorf("gyp: %v", m)
	}
	m = metaOf(t, `{"name":"@s/capx","version":"1.2.3","bin":{"../evil":"./bin/../bin/cli.js","ok":"bin/cli.js","a:b":"x","":"y","n":""}}`, "", TarballInfo{})
	jsonEq(t, "bin", m["bin"], map[string]string{"evil": "bin/cli.js", "ok": "bin/cli.js", "b": "x"})
	m = metaOf(t, `{"name":"@s/capx","version":"1.2.3","bin":["./a/one.js","two"],"bundleDependencies":false}`, "", TarballInfo{})
	jsonEq(t, "bin", m["bin"], map[string]string{"one.js": "a/one.js", "two": "two"})
	if _, ok := m["bundleDependencies"]; ok {
		t.Errorf("bundleDependencies false kept: %v", m)
	}
}

// TestVersionMetaSize: a long readme is truncated with a note; a manifest
// that is still too large is refused.
func TestVersionMetaSize(t *testing.T) {
	long := strings.Repeat("é", MaxReadmeBytes) // twice the limit in bytes
	m := metaOf(t, `{"name":"@s/capx","version":"1.2.3"}`, "", TarballInfo{Readme: long[:MaxReadmeBytes], ReadmeFilename: "README.md", ReadmeSize: int64(len(long))})
	readme := m["readme"].(string)
	if len(readme) > MaxReadmeBytes || !strings.HasPrefix(readme, "éé") || !strings.Contains(readme, "README truncated by the registry: it is 524288 bytes, the limit is 262144") || !utf8.ValidString(readme) {
		t.Fatalf("truncated readme: %d bytes, tail %q", len(readme), readme[len(readme)-200:])
	}
	pj, _ := json.Marshal(map[string]string{"name": "@s/capx", "version": "1.2.3", "readme": long})
	m = metaOf(t, string(pj), "", TarballInfo{})
	if r := m["readme"].(string); len(r) > MaxReadmeBytes || !strings.Contains(r, "README truncated") {
		t.Fatalf("package.json readme: %d bytes", len(r))
	}
	pj, _ = json.Marshal(map[string]string{"name": "@s/capx", "version": "1.2.3", "description": strings.Repeat("d", MaxManifestBytes)})
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(pj, &fields)
	_, err := BuildVersionMeta(fields, nil, "@s/capx", "1.2.3", "", digestsOf(nil), TarballInfo{})
	if !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), "the limit is 1048576") {
		t.Fatalf("oversized manifest: %v", err)
	}
	// the README read from a tarball stops at the limit
	big := strings.Repeat("r", 3*MaxReadmeBytes)
	info, err := InspectTarball(bytes.NewReader(buildTar(t, []tarEntry{{name: "package/package.json", body: `{"name":"a","version":"1.0.0"}`},
		{name: "package/README.md", body: big}}, nil)), DefaultTarballLimits)
	if err != nil || len(info.Readme) != MaxReadmeBytes || info.ReadmeSize != int64(len(big)) {
		t.Fatalf("tarball README: %d of %d bytes, %v", len(info.Readme), info.ReadmeSize, err)
	}
}
