package maven_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/daemontest"
	"github.com/drok-dev/drok/internal/ecosystems/maven"
)

// mavenRoute is one request of the access matrix.
type mavenRoute struct {
	kind  maven.RouteKind
	name  string
	write bool
	// rest marks drok's REST routes, which answer anonymous callers 401
	// in drok's JSON format, without a Basic challenge.
	rest bool
	// path returns method and path (below the repository root) for
	// package artifact as principal i.
	req func(artifact string, i int) (method, path string, body []byte)
}

func g(artifact string) string { return "com/example/" + artifact + "/" }

var mavenRoutes = []mavenRoute{
	{kind: maven.RouteArtifactMetadata, name: "metadata", req: func(a string, _ int) (string, string, []byte) {
		return "GET", g(a) + "maven-metadata.xml", nil
	}},
	{kind: maven.RouteArtifactMetadata, name: "metadata sha1", req: func(a string, _ int) (string, string, []byte) {
		return "GET", g(a) + "maven-metadata.xml.sha1", nil
	}},
	{kind: maven.RouteVersionMetadata, name: "snapshot metadata", req: func(a string, _ int) (string, string, []byte) {
		return "GET", g(a) + "1.0-SNAPSHOT/maven-metadata.xml", nil
	}},
	{kind: maven.RouteFile, name: "file", req: func(a string, _ int) (string, string, []byte) {
		return "GET", g(a) + "1.0/" + a + "-1.0.jar", nil
	}},
	{kind: maven.RouteFile, name: "file head", req: func(a string, _ int) (string, string, []byte) {
		return "HEAD", g(a) + "1.0/" + a + "-1.0.jar", nil
	}},
	{kind: maven.RouteFile, name: "file sha512", req: func(a string, _ int) (string, string, []byte) {
		return "GET", g(a) + "1.0/" + a + "-1.0.jar.sha512", nil
	}},
	{kind: maven.RouteFile, name: "snapshot literal", req: func(a string, _ int) (string, string, []byte) {
		return "GET", g(a) + "1.0-SNAPSHOT/" + a + "-1.0-SNAPSHOT.jar", nil
	}},
	{kind: maven.RouteREST, name: "REST details", rest: true, req: func(a string, _ int) (string, string, []byte) {
		return "GET", "com.example:" + a, nil
	}},
	{kind: maven.RouteFile, name: "deploy file", write: true, req: func(a string, i int) (string, string, []byte) {
		return "PUT", fmt.Sprintf("%s2.0.%d/%s-2.0.%d.jar", g(a), i, a, i), []byte("jar")
	}},
	{kind: maven.RouteFile, name: "deploy checksum", write: true, req: func(a string, _ int) (string, string, []byte) {
		return "PUT", g(a) + "1.0/" + a + "-1.0.jar.sha1", []byte(sha1hex([]byte("seed jar")))
	}},
	{kind: maven.RouteArtifactMetadata, name: "deploy metadata", write: true, req: func(a string, _ int) (string, string, []byte) {
		return "PUT", g(a) + "maven-metadata.xml", []byte("<metadata/>")
	}},
	{kind: maven.RouteVersionMetadata, name: "deploy snapshot metadata", write: true, req: func(a string, _ int) (string, string, []byte) {
		return "PUT", g(a) + "1.0-SNAPSHOT/maven-metadata.xml", []byte("<metadata/>")
	}},
	{kind: maven.RouteREST, name: "REST delete version", write: true, rest: true, req: func(a string, i int) (string, string, []byte) {
		return "DELETE", fmt.Sprintf("com.example:%s/5.0.%d", a, i), nil
	}},
}

var exemptMavenKinds = map[maven.RouteKind]string{
	maven.RouteUnknown: "not a route (404 before any lookup)",
	maven.RouteInvalid: "rejected before any lookup (TestBadInputChangesNothing)",
}

// TestMavenAccessMatrix is RELIABILITY 14 for Maven: every principal kind
// × every visibility × every route, over HTTP. A route kind neither
// covered nor exempt fails the test.
func TestMavenAccessMatrix(t *testing.T) {
	covered := map[maven.RouteKind]bool{}
	for _, r := range mavenRoutes {
		covered[r.kind] = true
	}
	for k := maven.RouteUnknown; k <= maven.RouteREST; k++ {
		if !covered[k] && exemptMavenKinds[k] == "" {
			t.Errorf("maven route kind %d is missing from the access matrix", k)
		}
	}
	f := newRepoNoOrg(t)
	fx := daemontest.NewAccessFixture(t, f.srv, f.org)
	names := map[string]string{}
	for i, a := range daemontest.Visibilities {
		names[a] = "com.example:" + a
		seed := map[string][]byte{
			"1.0/" + a + "-1.0.jar":                            []byte("seed jar"),
			"1.0/" + a + "-1.0.pom":                            pomXML("com.example", a, "1.0"),
			"1.0-SNAPSHOT/" + a + "-1.0-20240101.120000-1.jar": []byte("snapshot"),
		}
		for j := range fx.Principals {
			seed[fmt.Sprintf("5.0.%d/%s-5.0.%d.jar", j, a, j)] = []byte("to delete")
		}
		for p, body := range seed {
			if st, b := f.put(g(a)+p, body); st != 201 {
				t.Fatalf("seed %d %s: %d %s", i, p, st, b)
			}
		}
	}
	fx.Settle(t, f.srv, "maven", names)

	for i, p := range fx.Principals {
		for j, a := range daemontest.Visibilities {
			for _, r := range mavenRoutes {
				t.Run(fmt.Sprintf("%s/%s/%s", p.Name, a, r.name), func(t *testing.T) {
					method, path, body := r.req(a, i)
					st, msg, hdr := f.do(method, path, p.Token, body, nil)
					want := daemontest.ExpectStatus(p, j, r.write, true)
					if !daemontest.StatusMatches(st, want) {
						t.Errorf("%s %s: status %d, want %d: %.200s", method, path, st, want, msg)
					}
					if st == http.StatusUnauthorized && !r.rest && !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic") {
						t.Errorf("401 without a Basic challenge")
					}
				})
			}
		}
	}
}
