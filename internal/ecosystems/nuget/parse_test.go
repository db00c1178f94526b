package nuget

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in, norm, key, full string
		pre, semver2        bool
	}{
		{"1.0", "1.0.0", "1.0.0", "1.0.0", false, false},
		{"1", "1.0.0", "1.0.0", "1.0.0", false, false},
		{"01.02.03", "1.2.3", "1.2.3", "1.2.3", false, false},
		{"1.2.3.0", "1.2.3", "1.2.3", "1.2.3", false, false},
		{"1.2.3.4", "1.2.3.4", "1.2.3.4", "1.2.3.4", false, false},
		{"1.0.0-Beta", "1.0.0-Beta", "1.0.0-beta", "1.0.0-Beta", true, false},
		{"1.0.0-rc.1+sha.abc", "1.0.0-rc.1", "1.0.0-rc.1", "1.0.0-rc.1+sha.abc", true, true},
		{"2.0.0+build", "2.0.0", "2.0.0", "2.0.0+build", false, true},
	}
	for _, tt := range tests {
		v, err := ParseVersion(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if v.String() != tt.norm || v.Key() != tt.key || v.Full() != tt.full || v.IsPrerelease() != tt.pre || v.IsSemVer2() != tt.semver2 {
			t.Errorf("%s: got %s %s %s %v %v", tt.in, v, v.Key(), v.Full(), v.IsPrerelease(), v.IsSemVer2())
		}
	}
	for _, bad := range []string{"", "a", "1.2.3.4.5", "1..2", "1.0-", "1.0+", "1.0-a..b", "-1.0", "1.0.0-a_b", "../1.0", "1.0/x",
		"1234567890.0", strings.Repeat("1", 200)} {
		if _, err := ParseVersion(bad); !errors.Is(err, ErrVersion) {
			t.Errorf("%q accepted (err %v)", bad, err)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	order := []string{"0.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-BETA", "1.0.0-beta.2", "1.0.0-beta.11",
		"1.0.0-rc.1", "1.0.0", "1.0.0.1", "1.0.1", "1.10.0", "2.0.0"}
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
				t.Errorf("Compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	if CompareVersions("1.0.0+a", "1.0.0+b") != 0 || CompareVersions("1.0.0-Beta", "1.0.0-beta") != 0 {
		t.Error("metadata and label case must not order versions")
	}
}

func TestVersionRange(t *testing.T) {
	tests := map[string]string{
		"":              "(, )",
		"1.0":           "[1.0.0, )",
		"[1.0]":         "[1.0.0, 1.0.0]",
		"[1.0,2.0)":     "[1.0.0, 2.0.0)",
		"(,2.0.0.0]":    "(, 2.0.0]",
		"( 1.0 , )":     "(1.0.0, )",
		"[1.0.0-beta,)": "[1.0.0-beta, )",
	}
	for in, want := range tests {
		got, err := VersionRange(in)
		if err != nil || got != want {
			t.Errorf("VersionRange(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"[1.0", "[a,b]", "(1.0)", "[]"} {
		if _, err := VersionRange(bad); err == nil {
			t.Errorf("VersionRange(%q) accepted", bad)
		}
	}
}

func TestValidateID(t *testing.T) {
	for _, ok := range []string{"A", "Acme.Widgets", "acme-widgets_2", "x.y-z_w", strings.Repeat("a", 100)} {
		if err := ValidateID(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".a", "a.", "a..b", "../x", "a/b", "a b", "a\x00", "é", strings.Repeat("a", 101), `a\b`} {
		if err := ValidateID(bad); !errors.Is(err, ErrID) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseRoute(t *testing.T) {
	tests := []struct {
		path string
		kind RouteKind
		id   string
		ver  string
	}{
		{"", RouteRoot, "", ""},
		{"index.json", RouteServiceIndex, "", ""},
		{"api/v2/package", RoutePublish, "", ""},
		{"api/v2/package/", RoutePublish, "", ""},
		{"package", RoutePublish, "", ""},
		{"api/v2/package/Foo/1.0", RoutePackage, "Foo", "1.0"},
		{"package/Foo/1.0.0", RoutePackage, "Foo", "1.0.0"},
		{"api/v2/symbolpackage", RouteSymbolPublish, "", ""},
		{"v3/flatcontainer/foo/index.json", RouteFlatIndex, "foo", ""},
		{"v3/flatcontainer/foo/1.0.0/foo.1.0.0.nupkg", RouteFlatFile, "foo", "1.0.0"},
		{"v3/registration/foo/index.json", RouteRegIndex, "foo", ""},
		{"v3/registration/foo/1.0.0.json", RouteRegLeaf, "foo", "1.0.0"},
		{"v3/registration/foo/page/1.0.0/2.0.0.json", RouteRegPage, "foo", ""},
		{"v3/search", RouteSearch, "", ""},
		{"v3/autocomplete", RouteAutocomplete, "", ""},
		{"$metadata", RouteV2Metadata, "", ""},
		{"Packages()", RouteV2Packages, "", ""},
		{"Packages", RouteV2Packages, "", ""},
		{"Packages()/$count", RouteV2Packages, "", ""},
		{"Packages(Id='Foo',Version='1.0.0')", RouteV2Entry, "Foo", "1.0.0"},
		{"Packages(Id=%27Foo%27,Version=%271.0.0%27)", RouteV2Entry, "Foo", "1.0.0"},
		{"FindPackagesById()", RouteV2FindByID, "", ""},
		{"Search()", RouteV2Search, "", ""},
		{"v3/flatcontainer/..%2f..%2fetc/index.json", RouteUnknown, "", ""},
		{"v3/flatcontainer/..%2e/index.json", RouteInvalid, "", ""},
		{"v3/flatcontainer/foo/1.0.0%2f..%2fx/foo.nupkg", RouteUnknown, "", ""},
		{"api/v2/package/Foo/not-a-version", RouteInvalid, "", ""},
		{"Packages(Id='Foo')", RouteInvalid, "", ""},
		{"Foo/1.0.0", RouteUnknown, "", ""},
	}
	for _, tt := range tests {
		r := ParseRoute(tt.path)
		if r.Kind != tt.kind || r.ID != tt.id || r.Version != tt.ver {
			t.Errorf("%s: got %+v, want kind %d id %q version %q", tt.path, r, tt.kind, tt.id, tt.ver)
		}
	}
}

func TestParseFilter(t *testing.T) {
	pv := &pkgView{display: "Acme.Widgets"}
	pv.pkg.Name = "acme.widgets"
	v, _ := ParseVersion("1.2.0-beta")
	e := &v2Entry{pv: pv, vv: &verView{v: v, listed: true, meta: Nuspec{Tags: "ui widgets"}}, absolute: true}
	tests := map[string]bool{
		"IsAbsoluteLatestVersion":                                    true,
		"IsLatestVersion":                                            false,
		"not IsLatestVersion and IsPrerelease":                       true,
		"tolower(Id) eq 'acme.widgets'":                              true,
		"Id eq 'acme.widgets'":                                       false,
		"(tolower(Id) eq 'x') or (toupper(Id) eq 'ACME.WIDGETS')":    true,
		"substringof('widg',tolower(Id)) and startswith(Id,'Acme')":  true,
		"endswith(Version,'-beta') and NormalizedVersion ne '1.2.0'": true,
		"Listed eq true and IsPrerelease eq false":                   false,
		"substringof('ui', Tags)":                                    true,
		"Id eq 'it''s'":                                              false,
		"IsLatestVersion or IsAbsoluteLatestVersion and Listed":      true,
		"trim(' Acme.Widgets ') eq Id":                               true,
	}
	for f, want := range tests {
		pred, err := ParseFilter(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got := pred(e); got != want {
			t.Errorf("%s = %v, want %v", f, got, want)
		}
	}
	for _, bad := range []string{"Id gt 'a'", "Unknown eq 'x'", "tolower(Id", "'unterminated", "Id eq", "length(Id) eq 3", "Id $ 1"} {
		if _, err := ParseFilter(bad); !errors.Is(err, ErrFilter) {
			t.Errorf("%q accepted (err %v)", bad, err)
		}
	}
}

func mkzip(t *testing.T, entries ...string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(entries); i += 2 {
		w, _ := zw.Create(entries[i])
		_, _ = io.WriteString(w, entries[i+1])
	}
	_ = zw.Close()
	return buf.Bytes()
}

const goodNuspec = `<?xml version="1.0"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata minClientVersion="2.12">
<id>Acme.Widgets</id><version>1.0.0.0-RC.1</version><authors>Ann, Bob</authors><description>d</description>
<license type="expression">MIT</license><requireLicenseAcceptance>true</requireLicenseAcceptance>
<dependencies><dependency id="Flat" version="1.0" /><group targetFramework="net6.0"><dependency id="Dep" version="[2.0,3.0)" /></group><group targetFramework="net48" /></dependencies>
</metadata></package>`

func TestInspectNupkg(t *testing.T) {
	data := mkzip(t, "Acme.Widgets.nuspec", goodNuspec, "lib/net6.0/a.dll", "x")
	ins, err := InspectNupkg(bytes.NewReader(data), int64(len(data)), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	n := ins.Nuspec
	if n.ID != "Acme.Widgets" || n.Version != "1.0.0-RC.1" || !n.SemVer2 || n.LicenseExpression != "MIT" || !n.RequireLicenseAcceptance ||
		n.MinClientVersion != "2.12" || len(n.DependencyGroups) != 3 || n.DependencyGroups[0].Dependencies[0].Range != "[1.0.0, )" ||
		n.DependencyGroups[1].TargetFramework != "net6.0" || n.DependencyGroups[1].Dependencies[0].Range != "[2.0.0, 3.0.0)" ||
		dependencyString(n.DependencyGroups) != "Flat:[1.0.0, ):|Dep:[2.0.0, 3.0.0):net6.0|::net48" {
		t.Errorf("nuspec: %+v", n)
	}
	small := Limits{MaxEntries: 2, MaxDirectory: 1 << 20, MaxNuspec: 64}
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want string
	}{
		{"not a zip", []byte("hello world, this is not a zip archive"), DefaultLimits, "not a zip"},
		{"empty", nil, DefaultLimits, "not a zip"},
		{"traversal", mkzip(t, "a.nuspec", goodNuspec, "lib/../../x", "x"), DefaultLimits, "unsafe entry"},
		{"backslash", mkzip(t, "a.nuspec", goodNuspec, `lib\x.dll`, "x"), DefaultLimits, "unsafe entry"},
		{"drive", mkzip(t, "a.nuspec", goodNuspec, "C:/x.dll", "x"), DefaultLimits, "unsafe entry"},
		{"duplicate", mkzip(t, "a.nuspec", goodNuspec, "lib/x", "1", "LIB/X", "2"), DefaultLimits, "duplicate entry"},
		{"too many entries", mkzip(t, "a.nuspec", goodNuspec, "b", "1", "c", "2"), small, "entries"},
		{"huge nuspec", mkzip(t, "a.nuspec", goodNuspec), small, "larger than"},
		{"nested nuspec only", mkzip(t, "sub/a.nuspec", goodNuspec), DefaultLimits, "no .nuspec"},
		{"bad xml", mkzip(t, "a.nuspec", "<package><metadata>"), DefaultLimits, "not valid XML"},
		{"no description", mkzip(t, "a.nuspec", strings.Replace(goodNuspec, "<description>d</description>", "", 1)), DefaultLimits, "no <description>"},
		{"bad dependency", mkzip(t, "a.nuspec", strings.Replace(goodNuspec, `version="1.0" />`, `version="x" />`, 1)), DefaultLimits, "dependency Flat"},
	}
	for _, tt := range tests {
		_, err := InspectNupkg(bytes.NewReader(tt.data), int64(len(tt.data)), tt.lim)
		if !errors.Is(err, ErrPackage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestCheckFilename(t *testing.T) {
	n := Nuspec{ID: "Acme.Widgets", Version: "1.2.0"}
	for _, ok := range []string{"", "package.nupkg", "Acme.Widgets.1.2.0.nupkg", "acme.widgets.1.2.nupkg", "dir/ACME.WIDGETS.01.2.0.0.nupkg", "upload.bin"} {
		if err := checkFilename(ok, n, false); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"Acme.Other.1.2.0.nupkg", "Acme.Widgets.1.3.0.nupkg", "Acme.Widgets.nupkg", "Acme.nupkg"} {
		if err := checkFilename(bad, n, false); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestFirstPartToleratesBareLF(t *testing.T) {
	payload := strings.Repeat("0123456789\r\n--notb\n", 20000)
	for _, ending := range []string{"\r\n--XYZ--\r\n", "\n--XYZ--", "\r\n--XYZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nv\r\n--XYZ--"} {
		body := "preamble\r\n--XYZ\r\nContent-Disposition: form-data; name=\"package\"; filename=\"package.nupkg\"\r\nContent-Type: application/octet-stream\r\n\r\n" + payload + ending
		r, name, err := firstPart(strings.NewReader(body), "XYZ")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != payload || name != "package.nupkg" {
			t.Errorf("ending %q: %d bytes, name %q, err %v", ending, len(got), name, err)
		}
	}
	r, _, err := firstPart(strings.NewReader("--XYZ\r\n\r\nunterminated"), "XYZ")
	if err == nil {
		_, err = io.ReadAll(r)
	}
	if err == nil {
		t.Error("a part without closing boundary was accepted")
	}
}
