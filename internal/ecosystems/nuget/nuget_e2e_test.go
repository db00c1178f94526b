package nuget_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// TestNuGetExeV3 drives NuGet.exe 5.8 (mono) against the v3 feed of a
// private org: push, duplicate push refused and skipped, unlist, list,
// install with a dependency and of an exact unlisted version, and
// an anonymous client refused.
func TestNuGetExeV3(t *testing.T) {
	exe := nugetExe(t)
	f := newFeed(t)
	dir := t.TempDir()
	for _, v := range []string{"1.0.0", "1.1.0", "2.0.0-beta"} {
		writeFile(t, dir, "Acme.Widgets."+v+".nupkg", buildNupkg(t, pkgSpec{id: "Acme.Widgets", version: v}))
	}
	writeFile(t, dir, "Acme.App.1.0.0.nupkg", buildNupkg(t, pkgSpec{id: "Acme.App", version: "1.0.0", deps: []string{"Acme.Widgets:1.0.0"}}))
	// NuGet pushes X.snupkg beside X.nupkg to SymbolPackagePublish.
	snupkg := buildNupkg(t, pkgSpec{id: "Acme.App", version: "1.0.0", entries: map[string]string{"lib/netstandard2.0/Acme.App.pdb": "pdb"}})
	writeFile(t, dir, "Acme.App.1.0.0.snupkg", snupkg)
	c := newClient(t, exe, map[string]string{"drok": f.v3}, f.srv.AdminToken)
	c.dir = dir

	out := c.mustRun("push", "*.nupkg", "-Source", "drok", "-ApiKey", f.srv.AdminToken)
	for name, n := range map[string]int{"acme.widgets": 3, "acme.app": 1} {
		if p, err := f.srv.Client.Package(context.Background(), "nuget", f.org, name); err != nil || len(p.Versions) != n {
			t.Fatalf("after push, %s has %+v (%v), want %d versions:\n%s", name, p.Versions, err, n, out)
		}
	}
	if st, body := do(t, "GET", f.root+"v3/flatcontainer/acme.app/1.0.0/acme.app.1.0.0.snupkg", f.srv.AdminToken, false, nil, ""); st != 200 || body != string(snupkg) {
		t.Fatalf("symbol package not stored (%d):\n%s", st, out)
	}
	out, err := c.run("push", "Acme.Widgets.1.0.0.nupkg", "-Source", "drok", "-ApiKey", f.srv.AdminToken)
	if err == nil || !strings.Contains(out, "409") {
		t.Fatalf("duplicate push was not refused with 409 (err %v):\n%s", err, out)
	}
	out = c.mustRun("push", "Acme.Widgets.1.0.0.nupkg", "-Source", "drok", "-ApiKey", f.srv.AdminToken, "-SkipDuplicate")
	if !strings.Contains(strings.ToLower(out), "already exists") && !strings.Contains(out, "409") {
		t.Fatalf("-SkipDuplicate did not report the conflict:\n%s", out)
	}

	c.mustRun("delete", "Acme.Widgets", "1.1.0", "-Source", "drok", "-ApiKey", f.srv.AdminToken)

	out = c.mustRun("list", "Acme", "-Source", "drok", "-AllVersions")
	if !strings.Contains(out, "Acme.Widgets 1.0.0") || strings.Contains(out, "1.1.0") || !strings.Contains(out, "Acme.App 1.0.0") {
		t.Fatalf("list should show Acme.Widgets 1.0.0 and Acme.App but not the unlisted 1.1.0:\n%s", out)
	}

	out = c.mustRun("install", "Acme.App", "-Source", "drok", "-OutputDirectory", "out")
	for _, want := range []string{"Acme.App.1.0.0", "Acme.Widgets.1.0.0"} {
		if _, err := os.Stat(filepath.Join(dir, "out", want, want+".nupkg")); err != nil {
			t.Fatalf("install Acme.App did not install %s: %v\n%s", want, err, out)
		}
	}
	out = c.mustRun("install", "Acme.Widgets", "-Version", "1.1.0", "-Source", "drok", "-OutputDirectory", "exact")
	if _, err := os.Stat(filepath.Join(dir, "exact", "Acme.Widgets.1.1.0", "Acme.Widgets.1.1.0.nupkg")); err != nil {
		t.Fatalf("an unlisted version must still install by exact version: %v\n%s", err, out)
	}

	// A package with more than one registration page (130 versions).
	for i := range 130 {
		if st, body := push(t, f.root+"api/v2/package", f.srv.AdminToken, buildNupkg(t, pkgSpec{id: "Acme.Many", version: fmt.Sprintf("1.0.%d", i)}), ""); st != 201 {
			t.Fatalf("push Acme.Many: %d %s", st, body)
		}
	}
	out = c.mustRun("install", "Acme.Many", "-Version", "1.0.5", "-Source", "drok", "-OutputDirectory", "many")
	if _, err := os.Stat(filepath.Join(dir, "many", "Acme.Many.1.0.5", "Acme.Many.1.0.5.nupkg")); err != nil {
		t.Fatalf("install from a paged registration: %v\n%s", err, out)
	}

	anon := newClient(t, exe, map[string]string{"drok": f.v3}, "")
	anon.dir = dir
	out, err = anon.run("install", "Acme.Widgets", "-Version", "1.0.0", "-Source", "drok", "-OutputDirectory", "anon")
	if err == nil {
		t.Fatalf("anonymous install from a private feed succeeded:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "anon", "Acme.Widgets.1.0.0")); err == nil {
		t.Fatal("anonymous install wrote the package")
	}
}

// TestNuGet2V2 drives Debian's nuget 2.8.7 (v2 OData only) against a feed
// whose packages are public: push on the feed root, list, install with a
// dependency; a private org's feed refuses it.
func TestNuGet2V2(t *testing.T) {
	nuget := nugetDebian(t)
	f := newFeed(t)
	ctx := context.Background()
	pub := "public"
	for _, repo := range []string{"widgets", "base"} {
		if _, err := f.srv.Client.CreateRepo(ctx, f.org, client.RepoEdit{Name: repo, Visibility: &pub}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	writeFile(t, dir, "Widgets.1.0.0.nupkg", buildNupkg(t, pkgSpec{id: "Widgets", version: "1.0.0", deps: []string{"Base:1.0"}}))
	writeFile(t, dir, "Base.1.2.0.nupkg", buildNupkg(t, pkgSpec{id: "Base", version: "1.2.0"}))
	c := newClient(t, nuget, map[string]string{"drok": f.root}, "")
	c.dir = dir
	c.mustRun("push", "Base.1.2.0.nupkg", "-Source", f.root, "-ApiKey", f.srv.AdminToken)
	c.mustRun("push", "Widgets.1.0.0.nupkg", "-Source", f.root, "-ApiKey", f.srv.AdminToken)
	if p, err := f.srv.Client.Package(ctx, "nuget", f.org, "widgets"); err != nil || p.Visibility != "public" {
		t.Fatalf("Widgets should be public: %+v %v", p, err)
	}

	// (`nuget list` is not used: 2.8.7 on mono prints blank lines forever
	// when stdout is not a terminal.)
	out := c.mustRun("install", "Widgets", "-Source", "drok", "-OutputDirectory", "out")
	for _, want := range []string{"Widgets.1.0.0", "Base.1.2.0"} {
		if _, err := os.Stat(filepath.Join(dir, "out", want, want+".nupkg")); err != nil {
			t.Fatalf("nuget 2.8.7 install did not install %s: %v\n%s", want, err, out)
		}
	}

	// Unlisting (drok package yank, with a non-normalised version) hides
	// 1.1.0 from floating resolution; the exact version still installs.
	writeFile(t, dir, "Widgets.1.1.0.nupkg", buildNupkg(t, pkgSpec{id: "Widgets", version: "1.1.0", deps: []string{"Base:1.0"}}))
	c.mustRun("push", "Widgets.1.1.0.nupkg", "-Source", f.root, "-ApiKey", f.srv.AdminToken)
	if _, err := f.srv.Client.Yank(ctx, "nuget", f.org, client.YankRequest{Name: "Widgets", Version: "1.1", Yank: true, Reason: "broken"}); err != nil {
		t.Fatalf("yank: %v", err)
	}
	out = c.mustRun("install", "Widgets", "-Source", "drok", "-OutputDirectory", "floating")
	if _, err := os.Stat(filepath.Join(dir, "floating", "Widgets.1.0.0")); err != nil {
		t.Fatalf("install without a version should skip the unlisted 1.1.0: %v\n%s", err, out)
	}
	out = c.mustRun("install", "Widgets", "-Version", "1.1.0", "-Source", "drok", "-OutputDirectory", "exact")
	if _, err := os.Stat(filepath.Join(dir, "exact", "Widgets.1.1.0", "Widgets.1.1.0.nupkg")); err != nil {
		t.Fatalf("the unlisted 1.1.0 must install by exact version: %v\n%s", err, out)
	}

	// A private org: anonymous nuget 2.8.7 gets nothing.
	if _, err := f.srv.Client.CreateOrg(ctx, "secret"); err != nil {
		t.Fatal(err)
	}
	root := f.srv.URL + "/api/v1/packages/nuget/secret/"
	if st, body := push(t, root+"api/v2/package", f.srv.AdminToken, buildNupkg(t, pkgSpec{id: "Hidden", version: "1.0.0"}), ""); st != 201 {
		t.Fatalf("push Hidden: %d %s", st, body)
	}
	anon := newClient(t, nuget, map[string]string{"secret": root}, "")
	anon.dir = dir
	out, err := anon.run("install", "Hidden", "-Version", "1.0.0", "-Source", "secret", "-OutputDirectory", "anon")
	if err == nil {
		t.Fatalf("anonymous nuget 2.8.7 installed from a private feed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "anon", "Hidden.1.0.0")); err == nil {
		t.Fatal("anonymous install wrote the package")
	}
}
