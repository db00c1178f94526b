package daemon

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRoutePackagesAgreesWithMux checks that every request the package
// fast path takes would reach the same handler with the same org through
// the mux, without a redirect.
func TestRoutePackagesAgreesWithMux(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer s.index.Close()
	defer s.ln.Close()
	paths := []string{
		"/api/v1/packages/maven/acme/com/example/lib/maven-metadata.xml",
		"/api/v1/packages/maven/acme/",
		"/api/v1/packages/maven/acme",
		"/api/v1/packages/maven//x",
		"/api/v1/packages/maven/acme/a//b",
		"/api/v1/packages/maven/acme/a/../b",
		"/api/v1/packages/maven/acme/a/./b",
		"/api/v1/packages/maven/acme/a/..",
		"/api/v1/packages/maven/acme/a/.",
		"/api/v1/packages/maven/ac%20me/x",
		"/api/v1/packages/maven/acme/a%2Fb",
		"/api/v1/packages/nuget/acme/index.json",
		"/api/v1/packages/nuget/acme/v3/registration/pkg/index.json",
		"/api/v1/packages/npm/acme/@scope%2fname",
		"/api/v1/packages/pypi/acme/simple/",
		"/api/v1/packages/cargo/acme/config.json",
		"/api/v1/packages/docker/acme/img",
		"/api/v1/packages/unknown/acme/x",
		"/api/v1/packages/",
		"/api/v1/orgs/acme/packages",
		"/v2/acme/img/tags/list",
	}
	taken := 0
	for _, p := range paths {
		for _, method := range []string{"GET", "HEAD", "PUT", "DELETE", "CONNECT"} {
			r := httptest.NewRequest(method, "http://example.test"+p, nil)
			_, org, ok := packageRoute(s.packages, r)
			if !ok {
				continue
			}
			taken++
			_, pattern := s.mux.Handler(r)
			if want := packagesPrefix + ecoOf(r.URL.EscapedPath()) + "/{org}/"; pattern != want {
				t.Errorf("%s %s: fast path taken, mux pattern %q, want %q", method, p, pattern, want)
				continue
			}
			// The mux sets the org path value (and redirects) only while
			// serving: replay the request on a mux with that one pattern.
			rec := httptest.NewRecorder()
			var muxOrg string
			probe := http.NewServeMux()
			probe.HandleFunc(pattern, func(_ http.ResponseWriter, r *http.Request) { muxOrg = r.PathValue("org") })
			probe.ServeHTTP(rec, r.Clone(r.Context()))
			if rec.Code != http.StatusOK || muxOrg != org {
				t.Errorf("%s %s: fast path org %q, mux org %q (status %d)", method, p, org, muxOrg, rec.Code)
			}
		}
	}
	if taken == 0 {
		t.Fatal("the fast path took no request")
	}
}

func ecoOf(p string) string {
	rest := p[len(packagesPrefix):]
	for i := range len(rest) {
		if rest[i] == '/' {
			return rest[:i]
		}
	}
	return rest
}
