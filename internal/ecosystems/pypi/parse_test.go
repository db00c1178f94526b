package pypi

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestValidateAndNormalizeName(t *testing.T) {
	for _, c := range []struct {
		in, norm string
		ok       bool
	}{
		{"requests", "requests", true},
		{"Hello.World", "hello-world", true},
		{"Foo__Bar--baz..qux", "foo-bar-baz-qux", true},
		{"a", "a", true},
		{"A1", "a1", true},
		{"-bad", "", false},
		{"bad_", "", false},
		{"", "", false},
		{"spa ce", "", false},
		{"ctl\x01", "", false},
		{"../etc", "", false},
		{"naïve", "", false},
		{strings.Repeat("a", MaxNameLen+1), "", false},
	} {
		err := ValidateName(c.in)
		if (err == nil) != c.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if err != nil && !errors.Is(err, ErrName) {
			t.Errorf("ValidateName(%q): %v is not ErrName", c.in, err)
		}
		if c.ok && NormalizeName(c.in) != c.norm {
			t.Errorf("NormalizeName(%q) = %q, want %q", c.in, NormalizeName(c.in), c.norm)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1.0", "1.0"},
		{"1.0.0", "1.0.0"},
		{"v2", "2"},
		{"1.0-1", "1.0.post1"},
		{"1.0.post", "1.0.post0"},
		{"1.0A", "1.0a0"},
		{"1.0-alpha.2", "1.0a2"},
		{"1.0c1", "1.0rc1"},
		{"1.0.DEV3", "1.0.dev3"},
		{"1!2.0", "1!2.0"},
		{"1.0+Ubuntu-1_2", "1.0+ubuntu.1.2"},
		{"", ""},
		{" 1.0", ""},
		{"1.0-banana", ""},
		{"1..0", ""},
		{"latest", ""},
		{"1.0\x00", ""},
		{strings.Repeat("1.", 100) + "1", ""},
	} {
		got, err := ParseVersion(c.in)
		if c.want == "" {
			if err == nil || !errors.Is(err, ErrVersion) {
				t.Errorf("ParseVersion(%q) = %q, %v; want ErrVersion", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseVersion(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	// PEP 440's own ordering example, ascending.
	order := []string{"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2",
		"1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5",
		"1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1", "1.9", "1.10", "2.0", "1!0.1"}
	for i := range order {
		for j := range order {
			got := CompareVersions(order[i], order[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("CompareVersions(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	if CompareVersions("1.0", "1.0.0") != 0 {
		t.Errorf("1.0 != 1.0.0")
	}
	shuffled := []string{"2.0", "1.0rc1", "1!0.1", "1.0", "1.0.post1"}
	slices.SortFunc(shuffled, CompareVersions)
	if strings.Join(shuffled, " ") != "1.0rc1 1.0 1.0.post1 2.0 1!0.1" {
		t.Errorf("sorted: %v", shuffled)
	}
	if !IsPrerelease("1.0rc1") || !IsPrerelease("1.0.dev1") || IsPrerelease("1.0.post1") {
		t.Errorf("IsPrerelease")
	}
}

func TestParseFilename(t *testing.T) {
	for _, c := range []struct {
		file, project string
		kind          Kind
		name, version string
		err           string
	}{
		{"hello_world-1.0-py3-none-any.whl", "Hello.World", Wheel, "hello_world", "1.0", ""},
		{"pkg-1.0-1-cp311-cp311-manylinux_2_17_x86_64.whl", "pkg", Wheel, "pkg", "1.0", ""},
		{"pkg-1.0+local_1-py3-none-any.whl", "pkg", Wheel, "pkg", "1.0+local.1", ""},
		{"pkg-1.0.tar.gz", "pkg", Sdist, "pkg", "1.0", ""},
		{"foo-bar-2.0rc1.tar.gz", "foo_bar", Sdist, "foo-bar", "2.0rc1", ""},
		{"foo-bar-2.0.zip", "", Sdist, "foo-bar", "2.0", ""},
		{"pkg-1.0-x-py3-none-any.whl", "pkg", "", "", "", "build tag"},
		{"pkg-1.0-py3-none.whl", "pkg", "", "", "", "NAME-VERSION"},
		{"other-1.0-py3-none-any.whl", "pkg", "", "", "", "not a file of project"},
		{"pkg-1.0.exe", "pkg", "", "", "", "neither a wheel"},
		{"pkg-nope.tar.gz", "pkg", "", "", "", "NAME-VERSION.tar.gz"},
		{"../pkg-1.0.tar.gz", "pkg", "", "", "", "not allowed"},
		{"pkg-1.0\x00.tar.gz", "pkg", "", "", "", "not allowed"},
		{"pkg 1.0.tar.gz", "pkg", "", "", "", "not allowed"},
		{strings.Repeat("a", 300) + "-1.0.tar.gz", "", "", "", "", "characters"},
	} {
		d, err := ParseFilename(c.file, c.project)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrFilename) {
				t.Errorf("ParseFilename(%q) = %+v, %v; want error with %q", c.file, d, err, c.err)
			}
			continue
		}
		if err != nil || d.Kind != c.kind || d.Name != c.name || d.Version != c.version {
			t.Errorf("ParseFilename(%q) = %+v, %v", c.file, d, err)
		}
	}
}

func TestParseMetadata(t *testing.T) {
	m, err := ParseMetadata([]byte("Metadata-Version: 2.1\r\nName: Hello.World\nVersion: 1.0-1\nSummary: hi\nRequires-Python: >=3.8\nLicense: MIT\n        continued\nClassifier: a\nClassifier: b\n\nName: ignored body\n"))
	if err != nil || m.Name != "Hello.World" || m.Version != "1.0.post1" || m.RequiresPython != ">=3.8" || m.Summary != "hi" || m.MetadataVersion != "2.1" {
		t.Fatalf("ParseMetadata = %+v, %v", m, err)
	}
	for _, c := range []struct{ in, err string }{
		{"Name: x\nVersion: 1.0\n", "Metadata-Version"},
		{"Metadata-Version: 3.0\nName: x\nVersion: 1.0\n", "Metadata-Version"},
		{"Metadata-Version: 2.1\nVersion: 1.0\n", "Name"},
		{"Metadata-Version: 2.1\nName: x\nVersion: one\n", "Version"},
		{"Metadata-Version: 2.1\nName: x\nVersion: 1.0\nnot a header\n", "not \"Field: value\""},
		{"Metadata-Version: 2.1\nName: x\nVersion: 1.0\nSummary: " + strings.Repeat("x", 2<<20) + "\n", "larger"},
	} {
		if _, err := ParseMetadata([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrMetadata) {
			t.Errorf("ParseMetadata(%.40q): %v, want %q", c.in, err, c.err)
		}
	}
}

func TestParseRoute(t *testing.T) {
	for _, c := range []struct {
		path     string
		kind     RouteKind
		name     string
		redirect string
	}{
		{"", RouteUpload, "", ""},
		{"simple", RouteSimpleRoot, "", "simple/"},
		{"simple/", RouteSimpleRoot, "", ""},
		{"simple/foo/", RouteSimpleProject, "foo", ""},
		{"simple/foo", RouteSimpleProject, "foo", "simple/foo/"},
		{"simple/Foo.Bar/", RouteSimpleProject, "Foo.Bar", "simple/foo-bar/"},
		{"files/foo/1.0/foo-1.0.tar.gz", RouteFile, "foo", ""},
		{"files/foo/1.0/foo-1.0-py3-none-any.whl.metadata", RouteMetadata, "foo", ""},
		{"pypi/foo/json", RouteJSON, "foo", ""},
		{"pypi/foo/1.0/json", RouteJSON, "foo", ""},
		{"simple/..%2f/", RouteInvalid, "", ""},
		{"simple/%zz/", RouteInvalid, "", ""},
		{"files/-x-/1.0/a.whl", RouteInvalid, "", ""},
		{"foo", RouteUnknown, "", ""},
		{"foo/1.0", RouteUnknown, "", ""},
	} {
		r := ParseRoute(c.path)
		if r.Kind != c.kind || r.Name != c.name || r.Redirect != c.redirect {
			t.Errorf("ParseRoute(%q) = %+v", c.path, r)
		}
	}
	if r := ParseRoute("files/foo/1.0/foo-1.0.whl.metadata"); r.Filename != "foo-1.0.whl" || r.Version != "1.0" {
		t.Errorf("metadata route: %+v", r)
	}
}

func TestNegotiate(t *testing.T) {
	for _, c := range []struct {
		accept, format string
		want           Format
		ok             bool
	}{
		{"", "", FormatHTML, true},
		{"*/*", "", FormatHTML, true},
		{"text/html", "", FormatHTML, true},
		{"application/vnd.pypi.simple.v1+json", "", FormatJSON, true},
		{"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01", "", FormatJSON, true},
		{"text/html, application/vnd.pypi.simple.v1+json;q=0.5", "", FormatHTML, true},
		{"application/vnd.pypi.simple.latest+html", "", FormatHTMLv1, true},
		{"application/vnd.pypi.simple.v1+json;q=0", "", FormatHTML, false},
		{"application/vnd.pypi.simple.v9+json", "", FormatHTML, false},
		{"text/html", "application/vnd.pypi.simple.v1+json", FormatJSON, true},
	} {
		got, ok := Negotiate(c.accept, c.format)
		if got != c.want || ok != c.ok {
			t.Errorf("Negotiate(%q, %q) = %v, %v; want %v, %v", c.accept, c.format, got, ok, c.want, c.ok)
		}
	}
}
