package advisory

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/semantic"
)

// TestVersionOrderGolden pins the version orders advisories are matched
// with: each pair must compare as less.
func TestVersionOrderGolden(t *testing.T) {
	cases := []struct{ eco, lo, hi string }{
		{"npm", "1.0.0-rc.1", "1.0.0"},
		{"npm", "1.0.0-alpha", "1.0.0-alpha.1"},
		{"npm", "1.0.0-alpha.beta", "1.0.0-beta"},
		{"npm", "1.0.0-beta.2", "1.0.0-beta.11"},
		{"npm", "1.9.0", "1.10.0"},
		{"crates.io", "0.9.9", "0.10.0"},
		{"crates.io", "1.0.0-alpha", "1.0.0"},
		{"PyPI", "1.0rc1", "1.0"},
		{"PyPI", "1.0a1", "1.0b1"},
		{"PyPI", "1.0.dev1", "1.0a1"},
		{"PyPI", "1.0", "1.0.post1"},
		{"PyPI", "1.0", "1!0.1"},
		{"Maven", "1.0-alpha", "1.0"},
		{"Maven", "1.0-alpha", "1.0-beta"},
		{"Maven", "1.0-beta", "1.0-milestone"},
		{"Maven", "1.0-milestone", "1.0-rc"},
		{"Maven", "1.0-rc", "1.0-SNAPSHOT"},
		{"Maven", "1.0-SNAPSHOT", "1.0"},
		{"Maven", "1.0", "1.0-sp"},
		{"Maven", "1.0-cr1", "1.0"},
		{"Maven", "1.9", "1.10"},
		{"NuGet", "1.0.0-beta", "1.0.0"},
		{"NuGet", "1.0.0-alpha.2", "1.0.0-alpha.10"},
		{"NuGet", "1.0.0", "1.0.0.1"},
	}
	for _, c := range cases {
		t.Run(c.eco+"/"+c.lo+"<"+c.hi, func(t *testing.T) {
			v, err := semantic.Parse(c.lo, c.eco)
			if err != nil {
				t.Fatal(err)
			}
			n, err := v.CompareStr(c.hi)
			if err != nil || n >= 0 {
				t.Fatalf("%s %s vs %s = %d, %v; want < 0", c.eco, c.lo, c.hi, n, err)
			}
		})
	}
	equal := []struct{ eco, a, b string }{
		{"NuGet", "1.0", "1.0.0"},
		{"NuGet", "1.0.0.0", "1.0.0"},
		{"NuGet", "1.0.0-BETA", "1.0.0-beta"},
		{"NuGet", "1.0.0+build", "1.0.0"},
		{"PyPI", "1.0", "1.0.0"},
		{"PyPI", "1.0-1", "1.0.post1"},
		{"Maven", "1.0", "1.0.0"},
		{"Maven", "1-ga", "1"},
		{"Maven", "1.0-final", "1.0"},
	}
	for _, c := range equal {
		v, err := semantic.Parse(c.a, c.eco)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := v.CompareStr(c.b); err != nil || n != 0 {
			t.Errorf("%s %s vs %s = %d, %v; want 0", c.eco, c.a, c.b, n, err)
		}
	}
}

func adv(t *testing.T, raw string) OSV {
	t.Helper()
	a, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAffects(t *testing.T) {
	a := adv(t, `{"id":"GHSA-test-1","modified":"2026-01-01T00:00:00Z","affected":[
	  {"package":{"ecosystem":"npm","name":"left-pad"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.3.0"},{"introduced":"2.0.0"},{"last_affected":"2.1.0"}]}]},
	  {"package":{"ecosystem":"PyPI","name":"Flask_Thing"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0rc1"},{"fixed":"1.0.post1"}]}],"versions":["0.5"]},
	  {"package":{"ecosystem":"Maven","name":"org.acme:lib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0-alpha"},{"fixed":"1.0-sp"}]}]},
	  {"package":{"ecosystem":"NuGet","name":"Acme.Lib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0.0"},{"limit":"3.0.0"}]}]},
	  {"package":{"ecosystem":"crates.io","name":"acme"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0.1.0"},{"limit":"0.2.0"}]}]}
	]}`)
	norm := func(s string) string { return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(s)) }
	cases := []struct {
		eco, name, version string
		want               bool
	}{
		{"npm", "left-pad", "1.2.9", true},
		{"npm", "left-pad", "1.3.0-rc.1", true}, // a pre-release of the fix is still before it
		{"npm", "left-pad", "1.3.0", false},
		{"npm", "left-pad", "2.0.0", true},
		{"npm", "left-pad", "2.1.0", true},
		{"npm", "left-pad", "2.1.1", false},
		{"npm", "other", "1.0.0", false},
		{"PyPI", "flask-thing", "1.0rc1", true},
		{"PyPI", "flask-thing", "1.0", true},
		{"PyPI", "flask-thing", "1.0-1", false}, // = 1.0.post1
		{"PyPI", "flask-thing", "0.9", false},
		{"PyPI", "flask-thing", "0.5", true}, // listed in versions
		{"Maven", "org.acme:lib", "1.0-alpha", true},
		{"Maven", "org.acme:lib", "1.0", true},
		{"Maven", "org.acme:lib", "1.0-sp", false},
		{"Maven", "org.acme:lib", "0.9", false},
		{"NuGet", "Acme.Lib", "1.0.0", true},
		{"NuGet", "Acme.Lib", "2.0.0", false},
		{"crates.io", "acme", "0.1.5", true},
		{"crates.io", "acme", "0.2.0", false},
	}
	for _, c := range cases {
		n := func(s string) string { return s }
		if c.eco == "PyPI" {
			n = norm
		}
		got, _ := a.Affects(c.eco, c.name, c.version, n)
		if got != c.want {
			t.Errorf("%s %s@%s affected = %v, want %v", c.eco, c.name, c.version, got, c.want)
		}
	}
	_, fixed := a.Affects("npm", "left-pad", "1.0.0", nil)
	if len(fixed) != 1 || fixed[0] != "1.3.0" {
		t.Errorf("fixed = %v", fixed)
	}
}

func TestSeverity(t *testing.T) {
	cases := []struct{ raw, want string }{
		{`{"id":"A","modified":"2026-01-01T00:00:00Z","database_specific":{"severity":"HIGH"},"affected":[{"package":{"ecosystem":"npm","name":"x"}}]}`, SeverityHigh},
		{`{"id":"A","modified":"2026-01-01T00:00:00Z","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"npm","name":"x"}}]}`, SeverityCritical},
		{`{"id":"A","modified":"2026-01-01T00:00:00Z","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}],"affected":[{"package":{"ecosystem":"npm","name":"x"}}]}`, SeverityLow},
		{`{"id":"A","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"x"},"database_specific":{"severity":"moderate"}}]}`, SeverityModerate},
		{`{"id":"A","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"x"}}]}`, SeverityUnknown},
	}
	for i, c := range cases {
		a := adv(t, c.raw)
		if got := a.SeverityOf("npm", "x", nil); got != c.want {
			t.Errorf("case %d: severity %q, want %q", i, got, c.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, raw := range []string{
		`not json`,
		`{"modified":"2026-01-01T00:00:00Z"}`,
		`{"id":"../x","modified":"2026-01-01T00:00:00Z"}`,
		`{"id":"A","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1"}]}]}]}`,
		`{"id":"A","modified":"2026-01-01T00:00:00Z","affected":[{"package":{}}]}`,
	} {
		if _, err := Parse([]byte(raw)); err == nil {
			t.Errorf("Parse(%s) accepted", raw)
		}
	}
}

func TestDBAndReadPath(t *testing.T) {
	dir := t.TempDir()
	one := `{"id":"OSV-1","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"2.0.0"}]}]}]}`
	two := `[{"id":"OSV-2","modified":"2026-01-01T00:00:00Z","withdrawn":"2026-02-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"versions":["1.0.0"]}]},
	{"id":"OSV-3","modified":"2026-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"example.test/x"},"versions":["1.0.0"]}]}]`
	os.WriteFile(filepath.Join(dir, "one.json"), []byte(one), 0o600)
	os.MkdirAll(filepath.Join(dir, "sub"), 0o700)
	os.WriteFile(filepath.Join(dir, "sub", "two.json"), []byte(two), 0o600)
	os.WriteFile(filepath.Join(dir, ".hidden.json"), []byte("garbage"), 0o600)
	zf, _ := os.Create(filepath.Join(dir, "export.zip"))
	zw := zip.NewWriter(zf)
	w, _ := zw.Create("OSV-4.json")
	w.Write([]byte(strings.ReplaceAll(one, "OSV-1", "OSV-4")))
	zw.Close()
	zf.Close()
	srcs, err := ReadPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all []OSV
	for _, s := range srcs {
		a, err := Parse(s.Raw)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, a)
	}
	if len(all) != 4 {
		t.Fatalf("read %d records, want 4", len(all))
	}
	db := NewDB(all, nil)
	ms := db.Match("npm", "a", "1.0.0")
	if len(ms) != 2 || ms[0].ID != "OSV-1" || ms[1].ID != "OSV-4" {
		t.Fatalf("matches %+v, want OSV-1 and OSV-4 (OSV-2 is withdrawn)", ms)
	}
	if ms := db.Match("npm", "a", "2.0.0"); len(ms) != 0 {
		t.Fatalf("fixed version matched %+v", ms)
	}
	if _, err := ReadPath(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing path accepted")
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"id":""}`), 0o600)
	if _, err := ReadPath(bad); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Fatalf("bad file error %v should name the file", err)
	}
}
