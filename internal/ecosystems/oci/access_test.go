package oci_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/daemontest"
	"github.com/drok-dev/drok/internal/ecosystems/oci"
)

// seed is what the admin pushed into one image of the matrix.
type seed struct {
	repo     string
	manifest string // digest tagged "seed"
	config   string // a blob of the seed image
	// per principal i: a manifest to delete, a tag to delete, a blob to
	// delete and an upload session opened by the admin
	delManifest, delTag, delBlob, session []string
}

type matrixRoute struct {
	kind   int
	name   string
	write  bool
	listed bool
	do     func(t *testing.T, g reg, tok string, s *seed, i int) resp
}

var ociRoutes = []matrixRoute{
	{kind: oci.RouteTags, name: "tags/list", do: func(t *testing.T, g reg, tok string, s *seed, _ int) resp {
		return g.do(t, "GET", "/v2/"+s.repo+"/tags/list", tok, nil, nil)
	}},
	{kind: oci.RouteManifest, name: "manifest GET by tag", do: func(t *testing.T, g reg, tok string, s *seed, _ int) resp {
		return g.do(t, "GET", "/v2/"+s.repo+"/manifests/seed", tok, nil, nil)
	}},
	{kind: oci.RouteManifest, name: "manifest HEAD by digest", do: func(t *testing.T, g reg, tok string, s *seed, _ int) resp {
		return g.do(t, "HEAD", "/v2/"+s.repo+"/manifests/"+s.manifest, tok, nil, nil)
	}},
	{kind: oci.RouteBlob, name: "blob GET", do: func(t *testing.T, g reg, tok string, s *seed, _ int) resp {
		return g.do(t, "GET", "/v2/"+s.repo+"/blobs/"+s.config, tok, nil, nil)
	}},
	{kind: oci.RouteBlob, name: "blob HEAD", do: func(t *testing.T, g reg, tok string, s *seed, _ int) resp {
		return g.do(t, "HEAD", "/v2/"+s.repo+"/blobs/"+s.config, tok, nil, nil)
	}},
	{kind: oci.RouteReferrers, name: "referrers", do: func(t *testing.T, g reg, tok string, s *seed, _ int) resp {
		return g.do(t, "GET", "/v2/"+s.repo+"/referrers/"+s.manifest, tok, nil, nil)
	}},
	{kind: oci.RouteCatalog, name: "catalog", listed: true, do: func(t *testing.T, g reg, tok string, s *seed, _ int) resp {
		return g.do(t, "GET", "/v2/_catalog", tok, nil, nil)
	}},
	{kind: oci.RouteUploadStart, name: "upload POST", write: true, do: func(t *testing.T, g reg, tok string, s *seed, _ int) resp {
		return g.do(t, "POST", "/v2/"+s.repo+"/blobs/uploads/", tok, nil, nil)
	}},
	{kind: oci.RouteUploadStart, name: "monolithic POST", write: true, do: func(t *testing.T, g reg, tok string, s *seed, i int) resp {
		b := []byte(fmt.Sprintf("mono %s %d", s.repo, i))
		return g.do(t, "POST", "/v2/"+s.repo+"/blobs/uploads/?digest="+sha(b), tok, b, nil)
	}},
	{kind: oci.RouteUpload, name: "upload GET status", write: true, do: func(t *testing.T, g reg, tok string, s *seed, i int) resp {
		return g.do(t, "GET", s.session[4*i], tok, nil, nil)
	}},
	{kind: oci.RouteUpload, name: "upload PATCH", write: true, do: func(t *testing.T, g reg, tok string, s *seed, i int) resp {
		return g.do(t, "PATCH", s.session[4*i+1], tok, []byte("chunk"), map[string]string{"Content-Range": "0-4"})
	}},
	{kind: oci.RouteUpload, name: "upload PUT", write: true, do: func(t *testing.T, g reg, tok string, s *seed, i int) resp {
		b := []byte(fmt.Sprintf("put %s %d", s.repo, i))
		return g.do(t, "PUT", s.session[4*i+2]+"?digest="+sha(b), tok, b, nil)
	}},
	{kind: oci.RouteUpload, name: "upload DELETE", write: true, do: func(t *testing.T, g reg, tok string, s *seed, i int) resp {
		return g.do(t, "DELETE", s.session[4*i+3], tok, nil, nil)
	}},
	{kind: oci.RouteManifest, name: "manifest PUT", write: true, do: func(t *testing.T, g reg, tok string, s *seed, i int) resp {
		m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": oci.MediaOCIIndex, "manifests": []any{},
			"annotations": map[string]string{"p": fmt.Sprint(i)}})
		return g.do(t, "PUT", fmt.Sprintf("/v2/%s/manifests/p%d", s.repo, i), tok, m, map[string]string{"Content-Type": oci.MediaOCIIndex})
	}},
	{kind: oci.RouteManifest, name: "manifest DELETE", write: true, do: func(t *testing.T, g reg, tok string, s *seed, i int) resp {
		return g.do(t, "DELETE", "/v2/"+s.repo+"/manifests/"+s.delManifest[i], tok, nil, nil)
	}},
	{kind: oci.RouteManifest, name: "tag DELETE", write: true, do: func(t *testing.T, g reg, tok string, s *seed, i int) resp {
		return g.do(t, "DELETE", "/v2/"+s.repo+"/manifests/"+s.delTag[i], tok, nil, nil)
	}},
	{kind: oci.RouteBlob, name: "blob DELETE", write: true, do: func(t *testing.T, g reg, tok string, s *seed, i int) resp {
		return g.do(t, "DELETE", "/v2/"+s.repo+"/blobs/"+s.delBlob[i], tok, nil, nil)
	}},
}

// exemptRoutes are /v2/ routes not about one image, with why.
var exemptRoutes = map[int]string{
	oci.RouteUnknown: "not a route",
	oci.RoutePing:    "about the caller; TestPingAndTokenEndpoint",
	oci.RouteToken:   "grants are checked per principal in TestOCIAccessMatrix's token column",
}

// TestOCIAccessMatrix is RELIABILITY 14 for OCI: every principal kind ×
// every visibility × every /v2/ route, plus what /v2/token grants and a
// read through a registry token. A route kind neither covered nor exempt
// fails the test.
func TestOCIAccessMatrix(t *testing.T) {
	covered := map[int]bool{}
	for _, r := range ociRoutes {
		covered[r.kind] = true
	}
	for k := oci.RouteUnknown; k <= oci.RouteLast; k++ {
		if !covered[k] && exemptRoutes[k] == "" {
			t.Errorf("OCI route kind %d is missing from the access matrix", k)
		}
	}
	srv := daemontest.Start(t)
	g := reg{base: srv.URL}
	fx := daemontest.NewAccessFixture(t, srv, "acme")
	admin := srv.AdminToken
	seeds := map[string]*seed{}
	for _, v := range daemontest.Visibilities {
		s := &seed{repo: "acme/" + v}
		m := g.image(t, admin, s.repo, "seed "+v)
		s.manifest = g.mustPutManifest(t, admin, s.repo, "seed", m)
		var cfg struct {
			Config struct{ Digest string } `json:"config"`
		}
		_ = json.Unmarshal(m, &cfg)
		s.config = cfg.Config.Digest
		for i := range fx.Principals {
			dm := g.image(t, admin, s.repo, fmt.Sprintf("del %s %d", v, i))
			s.delManifest = append(s.delManifest, g.mustPutManifest(t, admin, s.repo, fmt.Sprintf("del%d", i), dm))
			g.mustPutManifest(t, admin, s.repo, fmt.Sprintf("d%d", i), m)
			s.delTag = append(s.delTag, fmt.Sprintf("d%d", i))
			s.delBlob = append(s.delBlob, g.pushBlob(t, admin, s.repo, []byte(fmt.Sprintf("blob %s %d", v, i))))
			for range 4 {
				s.session = append(s.session, g.startUpload(t, admin, s.repo))
			}
		}
		seeds[v] = s
	}
	fx.Settle(t, srv, "docker", nil)

	for i, p := range fx.Principals {
		for j, v := range daemontest.Visibilities {
			s := seeds[v]
			for _, r := range ociRoutes {
				t.Run(fmt.Sprintf("%s/%s/%s", p.Name, v, r.name), func(t *testing.T) {
					res := r.do(t, g, p.Token, s, i)
					if r.listed {
						if p.Bad {
							if res.status != http.StatusUnauthorized {
								t.Errorf("bad token: %d", res.status)
							}
							return
						}
						listed := strings.Contains(res.body, `"`+s.repo+`"`)
						if res.status != http.StatusOK || listed != p.Read[j] {
							t.Errorf("status %d, listed=%v, want listed=%v", res.status, listed, p.Read[j])
						}
						return
					}
					want := daemontest.ExpectStatus(p, j, r.write, true)
					if !daemontest.StatusMatches(res.status, want) {
						t.Errorf("status %d, want %d: %.300s", res.status, want, res.body)
					}
					if res.status == http.StatusUnauthorized && !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer realm=") {
						t.Errorf("401 without a Bearer challenge: %q", res.header.Get("WWW-Authenticate"))
					}
					if res.status >= 400 && r.name != "blob HEAD" && r.name != "manifest HEAD by digest" && errorCode(res.body) == "" {
						t.Errorf("error body is not OCI errcode JSON: %.200s", res.body)
					}
				})
			}
			t.Run(fmt.Sprintf("%s/%s/token", p.Name, v), func(t *testing.T) {
				res := g.do(t, "GET", "/v2/token?service=x&scope=repository:"+s.repo+":pull,push", p.Token, nil, nil)
				if p.Bad {
					if res.status != http.StatusUnauthorized {
						t.Errorf("bad token got a registry token: %d", res.status)
					}
					return
				}
				var tr struct {
					Token string `json:"token"`
				}
				if res.status != http.StatusOK || json.Unmarshal([]byte(res.body), &tr) != nil || tr.Token == "" {
					t.Fatalf("token: %d %s", res.status, res.body)
				}
				actions := grantedActions(t, tr.Token)
				if slices.Contains(actions, "pull") != p.Read[j] || slices.Contains(actions, "push") != p.Write[j] {
					t.Errorf("granted %v, want pull=%v push=%v", actions, p.Read[j], p.Write[j])
				}
				// the registry token authenticates like the drok token
				got := g.do(t, "GET", "/v2/"+s.repo+"/manifests/seed", tr.Token, nil, nil)
				want := daemontest.ExpectStatus(p, j, false, true)
				if !daemontest.StatusMatches(got.status, want) {
					t.Errorf("read with registry token: %d, want %d", got.status, want)
				}
			})
		}
	}
}

// grantedActions decodes the access claim of a registry token (the
// signature is the daemon's business; this only reads what it grants).
func grantedActions(t *testing.T, tok string) []string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	raw, err := decodeSegment(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Access []struct {
			Actions []string `json:"actions"`
		} `json:"access"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range c.Access {
		out = append(out, a.Actions...)
	}
	return out
}
