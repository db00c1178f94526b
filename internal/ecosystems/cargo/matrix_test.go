package cargo_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/daemontest"
	"github.com/drok-dev/drok/internal/ecosystems/cargo"
)

// matrixRoute is one Cargo route exercised by the access matrix.
type matrixRoute struct {
	kind  cargo.RouteKind
	name  string
	write bool
	// admin routes need admin rights, which no fixture principal holds
	// (the admin user's tokens lack the admin scope).
	admin bool
	// listed routes answer 200 and show or hide the crate.
	listed bool
	do     func(t *testing.T, base, tok, pkg string, i int) (int, string)
}

var cargoMatrixRoutes = []matrixRoute{
	{kind: cargo.RouteIndex, name: "index file", do: func(t *testing.T, base, tok, pkg string, _ int) (int, string) {
		return get(t, base+cargo.IndexPath(pkg), tok, nil)
	}},
	{kind: cargo.RouteDownload, name: "download", do: func(t *testing.T, base, tok, pkg string, _ int) (int, string) {
		return get(t, base+"api/v1/crates/"+pkg+"/1.0.0/download", tok, nil)
	}},
	{kind: cargo.RouteOwners, name: "owners list", do: func(t *testing.T, base, tok, pkg string, _ int) (int, string) {
		return get(t, base+"api/v1/crates/"+pkg+"/owners", tok, nil)
	}},
	{kind: cargo.RouteSearch, name: "search", listed: true, do: func(t *testing.T, base, tok, pkg string, _ int) (int, string) {
		return get(t, base+"api/v1/crates?q="+pkg+"&per_page=100", tok, nil)
	}},
	{kind: cargo.RoutePublish, name: "publish", write: true, do: func(t *testing.T, base, tok, pkg string, i int) (int, string) {
		v := fmt.Sprintf("2.0.%d", i)
		return do(t, http.MethodPut, base+"api/v1/crates/new", tok, publishBody(t, newCrateJSON(pkg, v), simpleCrate(t, pkg, v, "")), nil)
	}},
	{kind: cargo.RouteYank, name: "yank", write: true, do: func(t *testing.T, base, tok, pkg string, _ int) (int, string) {
		return do(t, http.MethodDelete, base+"api/v1/crates/"+pkg+"/1.0.0/yank", tok, nil, nil)
	}},
	{kind: cargo.RouteUnyank, name: "unyank", write: true, do: func(t *testing.T, base, tok, pkg string, _ int) (int, string) {
		return do(t, http.MethodPut, base+"api/v1/crates/"+pkg+"/1.0.0/unyank", tok, nil, nil)
	}},
	{kind: cargo.RouteOwners, name: "owners add", write: true, admin: true, do: func(t *testing.T, base, tok, pkg string, _ int) (int, string) {
		return do(t, http.MethodPut, base+"api/v1/crates/"+pkg+"/owners", tok, []byte(`{"users":["outsider"]}`), nil)
	}},
	{kind: cargo.RouteOwners, name: "owners remove", write: true, admin: true, do: func(t *testing.T, base, tok, pkg string, _ int) (int, string) {
		return do(t, http.MethodDelete, base+"api/v1/crates/"+pkg+"/owners", tok, []byte(`{"users":["collab"]}`), nil)
	}},
}

// exemptKinds are Cargo routes that are not about one crate, with why.
var exemptKinds = map[cargo.RouteKind]string{
	cargo.RouteUnknown: "not a Cargo route (REST API)",
	cargo.RouteInvalid: "rejected before any lookup",
}

// TestCargoAccessMatrix is RELIABILITY 14 for Cargo: every principal kind
// × every visibility × every crate route, over HTTP. A route kind that is
// neither covered nor exempt fails the test. The org has non-public
// crates, so config.json says auth-required and anonymous callers are
// challenged (401) instead of told 404.
func TestCargoAccessMatrix(t *testing.T) {
	covered := map[cargo.RouteKind]bool{}
	for _, r := range cargoMatrixRoutes {
		covered[r.kind] = true
	}
	covered[cargo.RouteConfig] = true // org-level: the loop at the end
	for k := cargo.RouteUnknown; k <= cargo.RouteInvalid; k++ {
		if !covered[k] && exemptKinds[k] == "" {
			t.Errorf("cargo route kind %d is missing from the access matrix", k)
		}
	}

	srv := daemontest.Start(t)
	fx := daemontest.NewAccessFixture(t, srv, "acme")
	base := srv.URL + "/api/v1/packages/cargo/acme/"
	for _, pkg := range daemontest.Visibilities {
		body := publishBody(t, newCrateJSON(pkg, "1.0.0"), simpleCrate(t, pkg, "1.0.0", ""))
		if st, b := do(t, http.MethodPut, base+"api/v1/crates/new", srv.AdminToken, body, nil); st != http.StatusOK {
			t.Fatalf("seed %s: %d %s", pkg, st, b)
		}
	}
	fx.Settle(t, srv, "cargo", nil)

	for i, p := range fx.Principals {
		for j, pkg := range daemontest.Visibilities {
			for _, r := range cargoMatrixRoutes {
				t.Run(fmt.Sprintf("%s/%s/%s", p.Name, pkg, r.name), func(t *testing.T) {
					st, body := r.do(t, base, p.Token, pkg, i)
					if r.listed {
						if p.Bad {
							if st != http.StatusUnauthorized {
								t.Errorf("bad token: %d", st)
							}
							return
						}
						got := strings.Contains(body, `"name":"`+pkg+`"`)
						if st != http.StatusOK || got != p.Read[j] {
							t.Errorf("status %d, listed=%v, want listed=%v: %.200s", st, got, p.Read[j], body)
						}
						return
					}
					pp := p
					if r.admin {
						pp.Write = [4]bool{}
					}
					want := daemontest.ExpectStatus(pp, j, r.write, true)
					if !daemontest.StatusMatches(st, want) {
						t.Errorf("status %d, want %d: %.200s", st, want, body)
					}
					if st >= 400 && !strings.Contains(body, `{"errors":[{"detail":`) {
						t.Errorf("error body not in cargo's format: %s", body)
					}
				})
			}
		}
	}
	// config.json is about the org: this org has non-public crates, so
	// anonymous callers are challenged; every valid token may read it
	// (the org has a public crate, so its existence is no secret).
	for _, p := range fx.Principals {
		t.Run(p.Name+"/config.json", func(t *testing.T) {
			st, body := get(t, base+"config.json", p.Token, nil)
			want := http.StatusOK
			if p.Bad || p.Token == "" {
				want = http.StatusUnauthorized
			}
			if st != want || (st == 200 && !strings.Contains(body, `"auth-required":true`)) {
				t.Errorf("status %d, want %d: %s", st, want, body)
			}
		})
	}
}
