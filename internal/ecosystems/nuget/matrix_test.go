package nuget_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/daemontest"
	"github.com/drok-dev/drok/internal/ecosystems/nuget"
)

// matrixRoute is one NuGet route of the access matrix.
type matrixRoute struct {
	kind  nuget.RouteKind
	name  string
	write bool
	// org routes carry no package data: every valid principal but the
	// anonymous one (challenged, the org has hidden packages) gets 200.
	org bool
	// listed routes answer 200 and show the package to readers only.
	listed bool
	// perPackage listed routes look at one package only: anonymous
	// callers are challenged only when they cannot read it.
	perPackage bool
	// marker is what a listed route's body contains for the package.
	marker func(pkg string) string
	do     func(t *testing.T, f *feed, tok, pkg string, i int) (int, string)
}

func get(path string) func(t *testing.T, f *feed, tok, pkg string, i int) (int, string) {
	return func(t *testing.T, f *feed, tok, pkg string, _ int) (int, string) {
		return do(t, http.MethodGet, f.root+strings.ReplaceAll(path, "PKG", pkg), tok, false, nil, "")
	}
}

var v3Marker = func(pkg string) string { return `"id":"` + pkg + `"` }
var v2Marker = func(pkg string) string { return `<title type="text">` + pkg + `</title>` }

var matrixRoutes = []matrixRoute{
	{kind: nuget.RouteRoot, name: "v2 service document", org: true, do: get("")},
	{kind: nuget.RouteServiceIndex, name: "v3 service index", org: true, do: get("index.json")},
	{kind: nuget.RouteV2Metadata, name: "$metadata", org: true, do: get("$metadata")},
	{kind: nuget.RouteFlatIndex, name: "flat index", do: get("v3/flatcontainer/PKG/index.json")},
	{kind: nuget.RouteFlatFile, name: "flat nupkg", do: get("v3/flatcontainer/PKG/1.0.0/PKG.1.0.0.nupkg")},
	{kind: nuget.RouteFlatFile, name: "flat nuspec", do: get("v3/flatcontainer/PKG/1.0.0/PKG.1.0.0.nuspec")},
	{kind: nuget.RouteRegIndex, name: "registration index", do: get("v3/registration/PKG/index.json")},
	{kind: nuget.RouteRegPage, name: "registration page", do: get("v3/registration/PKG/page/1.0.0/5.0.7.json")},
	{kind: nuget.RouteRegLeaf, name: "registration leaf", do: get("v3/registration/PKG/1.0.0.json")},
	{kind: nuget.RoutePackage, name: "v2 download", do: get("api/v2/package/PKG/1.0.0")},
	{kind: nuget.RouteV2Entry, name: "Packages(Id,Version)", do: get("Packages(Id='PKG',Version='1.0.0')")},
	{kind: nuget.RouteSearch, name: "v3 search", listed: true, marker: v3Marker, do: get("v3/search?q=PKG&take=100")},
	{kind: nuget.RouteAutocomplete, name: "autocomplete", listed: true, marker: func(p string) string { return `"` + p + `"` }, do: get("v3/autocomplete?q=PKG")},
	{kind: nuget.RouteV2Packages, name: "Packages()", listed: true, marker: v2Marker, do: func(t *testing.T, f *feed, tok, pkg string, _ int) (int, string) {
		return do(t, http.MethodGet, f.root+"Packages()?$filter="+url.QueryEscape("Id eq '"+pkg+"'"), tok, false, nil, "")
	}},
	{kind: nuget.RouteV2FindByID, name: "FindPackagesById()", listed: true, perPackage: true, marker: v2Marker, do: get("FindPackagesById()?id='PKG'")},
	{kind: nuget.RouteV2Search, name: "Search()", listed: true, marker: v2Marker, do: get("Search()?searchTerm='PKG'")},
	{kind: nuget.RoutePublish, name: "push", write: true, do: func(t *testing.T, f *feed, tok, pkg string, i int) (int, string) {
		return push(t, f.root+"api/v2/package", tok, buildNupkg(t, pkgSpec{id: pkg, version: fmt.Sprintf("2.0.%d", i)}), "")
	}},
	{kind: nuget.RouteRoot, name: "push on the root", write: true, do: func(t *testing.T, f *feed, tok, pkg string, i int) (int, string) {
		return push(t, f.root, tok, buildNupkg(t, pkgSpec{id: pkg, version: fmt.Sprintf("2.1.%d", i)}), "")
	}},
	{kind: nuget.RouteSymbolPublish, name: "symbol push", write: true, do: func(t *testing.T, f *feed, tok, pkg string, i int) (int, string) {
		return push(t, f.root+"api/v2/symbolpackage", tok, buildNupkg(t, pkgSpec{id: pkg, version: fmt.Sprintf("3.0.%d", i)}), "")
	}},
	{kind: nuget.RoutePackage, name: "unlist", write: true, do: func(t *testing.T, f *feed, tok, pkg string, i int) (int, string) {
		return do(t, http.MethodDelete, fmt.Sprintf("%sapi/v2/package/%s/4.0.%d", f.root, pkg, i), tok, true, nil, "")
	}},
	{kind: nuget.RoutePackage, name: "relist", write: true, do: func(t *testing.T, f *feed, tok, pkg string, i int) (int, string) {
		return do(t, http.MethodPost, fmt.Sprintf("%sapi/v2/package/%s/5.0.%d", f.root, pkg, i), tok, true, nil, "")
	}},
}

var exemptKinds = map[nuget.RouteKind]string{
	nuget.RouteUnknown: "handed to the REST API, which has its own matrix",
	nuget.RouteInvalid: "rejected before any lookup",
}

// TestAccessMatrix is RELIABILITY 14 for NuGet: every principal ×
// visibility × route. A route kind neither covered nor exempt fails.
func TestAccessMatrix(t *testing.T) {
	covered := map[nuget.RouteKind]bool{}
	for _, r := range matrixRoutes {
		covered[r.kind] = true
	}
	for k := nuget.RouteUnknown; k <= nuget.RouteInvalid; k++ {
		if !covered[k] && exemptKinds[k] == "" {
			t.Errorf("NuGet route kind %d is missing from the access matrix", k)
		}
	}

	srv := daemontest.Start(t)
	fx := daemontest.NewAccessFixture(t, srv, "acme")
	f := &feed{srv: srv, org: fx.Org, root: srv.URL + "/api/v1/packages/nuget/acme/"}
	for _, pkg := range daemontest.Visibilities {
		versions := []string{"1.0.0"}
		for i := range fx.Principals {
			versions = append(versions, fmt.Sprintf("3.0.%d", i), fmt.Sprintf("4.0.%d", i), fmt.Sprintf("5.0.%d", i))
		}
		for _, v := range versions {
			mustPush(t, f, pkgSpec{id: pkg, version: v})
		}
	}
	fx.Settle(t, srv, "nuget", nil)

	for i, p := range fx.Principals {
		for j, pkg := range daemontest.Visibilities {
			for _, r := range matrixRoutes {
				t.Run(fmt.Sprintf("%s/%s/%s", p.Name, pkg, r.name), func(t *testing.T) {
					st, body := r.do(t, f, p.Token, pkg, i)
					anonymous := p.Token == ""
					switch {
					case p.Bad:
						if st != http.StatusUnauthorized {
							t.Errorf("bad token: status %d", st)
						}
					case r.org || r.listed:
						if anonymous && !(r.perPackage && p.Read[j]) {
							// The org holds packages anonymous callers cannot see.
							if st != http.StatusUnauthorized {
								t.Errorf("anonymous: status %d, want a 401 challenge", st)
							}
							return
						}
						if st != http.StatusOK {
							t.Errorf("status %d: %.200s", st, body)
							return
						}
						if r.listed && strings.Contains(body, r.marker(pkg)) != p.Read[j] {
							t.Errorf("package listed=%v, want %v", !p.Read[j], p.Read[j])
						}
					default:
						want := daemontest.ExpectStatus(p, j, r.write, true)
						// Pushes are checked against the org before the
						// body (and so the package) is known: callers who
						// may publish nothing there get 404.
						if r.write && (r.kind == nuget.RoutePublish || r.kind == nuget.RouteRoot || r.kind == nuget.RouteSymbolPublish) &&
							p.Name == "non-member" {
							want = http.StatusNotFound
						}
						if !daemontest.StatusMatches(st, want) {
							t.Errorf("status %d, want %d: %.200s", st, want, body)
						}
					}
				})
			}
		}
	}
}
