package maven_test

import (
	"archive/zip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
)

// mvnBin is the real Maven client; the e2e tests fail (never skip) without it.
func mvnBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("mvn")
	if err != nil {
		t.Fatalf("the Maven e2e tests need mvn and a JDK on PATH (apt-get install maven default-jdk-headless): %v", err)
	}
	return p
}

// mvnEnv is a Maven configuration for one daemon: a settings.xml with the
// drok server credentials (none for anonymous). Plugins still come from
// the default central repository into the user's normal local repository
// (~/.m2/repository), so repeated runs are fast; the artifacts of the
// test use a fresh groupId that is removed from there afterwards.
type mvnEnv struct {
	t        *testing.T
	bin      string
	dir      string
	settings string
	repo     string // deploy/resolve URL with trailing slash
}

func newMvnEnv(t *testing.T, repo, token string) *mvnEnv {
	t.Helper()
	dir := t.TempDir()
	server := ""
	if token != "" {
		server = "<servers><server><id>drok</id><username>drok</username><password>" + token + "</password></server></servers>"
	}
	settings := filepath.Join(dir, "settings.xml")
	if err := os.WriteFile(settings, []byte(`<settings>`+server+`</settings>`), 0o600); err != nil {
		t.Fatal(err)
	}
	return &mvnEnv{t: t, bin: mvnBin(t), dir: dir, settings: settings, repo: repo}
}

func (m *mvnEnv) run(dir string, args ...string) (string, error) {
	m.t.Helper()
	all := append([]string{"-B", "-ntp", "-s", m.settings}, args...)
	cmd := exec.Command(m.bin, all...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MAVEN_OPTS=-Xmx256m -XX:TieredStopAtLevel=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// libProject writes a one-class library project g:lib:version whose jar
// carries build.txt = marker.
func libProject(t *testing.T, group, version, marker string) string {
	t.Helper()
	dir := t.TempDir()
	pom := `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>` + group + `</groupId>
  <artifactId>lib</artifactId>
  <version>` + version + `</version>
  <properties>
    <maven.compiler.source>17</maven.compiler.source>
    <maven.compiler.target>17</maven.compiler.target>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
</project>
`
	files := map[string]string{
		"pom.xml":                      pom,
		"src/main/java/e2e/Lib.java":   "package e2e;\npublic class Lib { public static String v() { return \"" + marker + "\"; } }\n",
		"src/main/resources/build.txt": marker,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// consumerProject writes a multi-module project whose modules each depend
// on one version (or range) of g:lib and write their classpath to cp.txt.
func consumerProject(t *testing.T, group, repo string, versions map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	var modules strings.Builder
	for mod, v := range versions {
		modules.WriteString("<module>" + mod + "</module>")
		pom := `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>e2e.consumer</groupId><artifactId>parent</artifactId><version>1</version></parent>
  <artifactId>` + mod + `</artifactId>
  <dependencies><dependency><groupId>` + group + `</groupId><artifactId>lib</artifactId><version>` + v + `</version></dependency></dependencies>
</project>
`
		if err := os.MkdirAll(filepath.Join(dir, mod), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, mod, "pom.xml"), []byte(pom), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	parent := `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>e2e.consumer</groupId>
  <artifactId>parent</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <modules>` + modules.String() + `</modules>
  <repositories>
    <repository>
      <id>drok</id>
      <url>` + repo + `</url>
      <releases><enabled>true</enabled></releases>
      <snapshots><enabled>true</enabled><updatePolicy>always</updatePolicy></snapshots>
    </repository>
  </repositories>
</project>
`
	if err := os.WriteFile(filepath.Join(dir, "pom.xml"), []byte(parent), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// jarMarker returns build.txt of the jar at path.
func jarMarker(t *testing.T, path string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer zr.Close()
	f, err := zr.Open("build.txt")
	if err != nil {
		t.Fatalf("%s has no build.txt: %v", path, err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}

func uniqueGroup(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	group := "dev.drok.e2e.r" + hex.EncodeToString(b)
	t.Cleanup(func() {
		home, err := os.UserHomeDir()
		if err == nil {
			_ = os.RemoveAll(filepath.Join(home, ".m2", "repository", filepath.FromSlash(strings.ReplaceAll(group, ".", "/"))))
		}
	})
	return group
}

// TestMavenE2E drives the real mvn: deploys of releases and of two
// SNAPSHOT builds (only the newest kept, max_snapshots=1), a failing
// re-deploy of a release, a consumer that
// resolves a release, the newest SNAPSHOT and a range that skips a yanked
// version, and an anonymous consumer refused by a private package.
func TestMavenE2E(t *testing.T) {
	ctx := context.Background()
	srv := daemontest.Start(t)
	org := "acme"
	if _, err := srv.Client.CreateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	private := "private"
	if _, err := srv.Client.CreateRepo(ctx, org, client.RepoEdit{Name: "lib", Visibility: &private}); err != nil {
		t.Fatal(err)
	}
	one := 1
	if _, err := srv.Client.EditOrg(ctx, org, client.OrgSettings{MaxSnapshots: &one}); err != nil {
		t.Fatal(err)
	}
	repo := srv.URL + "/api/v1/packages/maven/" + org + "/"
	group := uniqueGroup(t)
	m := newMvnEnv(t, repo, srv.AdminToken)
	var releaseDir string
	deploy := func(version, marker string) (string, error) {
		dir := libProject(t, group, version, marker)
		if releaseDir == "" {
			releaseDir = dir
		}
		return m.run(dir, "deploy", "-DaltDeploymentRepository=drok::default::"+repo)
	}
	for _, d := range [][2]string{{"1.0", "release 1.0"}, {"1.1", "release 1.1"}, {"2.0-SNAPSHOT", "snapshot build 1"}, {"2.0-SNAPSHOT", "snapshot build 2"}} {
		if out, err := deploy(d[0], d[1]); err != nil {
			t.Fatalf("mvn deploy %s: %v\n%s", d[0], err, out)
		}
	}
	out, err := deploy("1.0", "release 1.0 again")
	if err == nil || !strings.Contains(out, "409") {
		t.Fatalf("re-deploy of release 1.0 should fail with 409: err=%v\n%s", err, out)
	}

	// The server's view: two builds of the SNAPSHOT, metadata generated.
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", repo+path, nil)
		req.SetBasicAuth("drok", srv.AdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	gpath := strings.ReplaceAll(group, ".", "/") + "/lib/"
	if st, body := get(gpath + "2.0-SNAPSHOT/maven-metadata.xml"); st != 200 || !strings.Contains(body, "<buildNumber>2</buildNumber>") {
		t.Fatalf("snapshot metadata: %d\n%s", st, body)
	}
	if st, body := get(gpath + "maven-metadata.xml"); st != 200 || !strings.Contains(body, "<release>1.1</release>") || !strings.Contains(body, "<latest>2.0-SNAPSHOT</latest>") {
		t.Fatalf("artifact metadata: %d\n%s", st, body)
	}

	// max_snapshots=1: only the second build's files remain.
	p, err := srv.Client.Package(ctx, "maven", org, group+":lib")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range p.Versions {
		if v.Version != "2.0-SNAPSHOT" {
			continue
		}
		if len(v.Files) != 2 {
			t.Errorf("SNAPSHOT files after retention: %+v", v.Files)
		}
		for _, f := range v.Files {
			if !strings.HasSuffix(f.Name, "-2.jar") && !strings.HasSuffix(f.Name, "-2.pom") {
				t.Errorf("file of an old build kept: %s", f.Name)
			}
		}
	}

	// Yank 1.1: the range [1.0,2.0) must pick 1.0 now.
	if _, err := srv.Client.Yank(ctx, "maven", org, client.YankRequest{Name: group + ":lib", Version: "1.1", Yank: true}); err != nil {
		t.Fatalf("yank: %v", err)
	}
	if st, body := get(gpath + "maven-metadata.xml"); st != 200 || strings.Contains(body, "1.1") {
		t.Fatalf("yanked 1.1 still in metadata: %d\n%s", st, body)
	}
	if st, _ := get(gpath + "1.1/lib-1.1.jar"); st != 200 {
		t.Fatalf("yanked version's jar by exact path: %d", st)
	}

	// mvn deploy also installed every build into ~/.m2/repository (the
	// refused re-deploy too): remove them so the consumer asks the server.
	forget := func() {
		home, _ := os.UserHomeDir()
		if err := os.RemoveAll(filepath.Join(home, ".m2", "repository", filepath.FromSlash(strings.ReplaceAll(group, ".", "/")))); err != nil {
			t.Fatal(err)
		}
	}
	forget()
	want := map[string]string{"release": "release 1.0", "snapshot": "snapshot build 2", "range": "release 1.0"}
	cons := consumerProject(t, group, repo, map[string]string{"release": "1.0", "snapshot": "2.0-SNAPSHOT", "range": "[1.0,1.99]"})
	out, err = m.run(cons, "-U", "dependency:build-classpath", "-Dmdep.outputFile=cp.txt")
	if err != nil {
		t.Fatalf("consumer: %v\n%s", err, out)
	}
	for mod, marker := range want {
		cp, err := os.ReadFile(filepath.Join(cons, mod, "cp.txt"))
		if err != nil {
			t.Fatalf("%s classpath: %v\n%s", mod, err, out)
		}
		jar := strings.TrimSpace(strings.Split(string(cp), string(os.PathListSeparator))[0])
		if got := jarMarker(t, jar); got != marker {
			t.Errorf("%s resolved %s with %q, want %q", mod, jar, got, marker)
		}
	}

	// The jar mvn built embeds its pom.xml: `drok package publish` reads
	// the coordinates from it.
	jar, err := os.Open(filepath.Join(releaseDir, "target", "lib-1.0.jar"))
	if err != nil {
		t.Fatal(err)
	}
	defer jar.Close()
	if _, err := srv.Client.CreateOrg(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	pub, err := srv.Client.Publish(ctx, "other", "", "lib-1.0.jar", jar)
	if err != nil || pub.Name != group+":lib" || pub.Version != "1.0" || len(pub.Files) != 2 {
		t.Fatalf("drok package publish of the mvn-built jar: %+v %v", pub, err)
	}

	// Anonymous: the package is private, Maven reports the 401.
	anon := newMvnEnv(t, repo, "")
	group2Cons := consumerProject(t, group, repo, map[string]string{"anon": "1.0"})
	forget()
	out, err = anon.run(group2Cons, "-U", "dependency:build-classpath", "-Dmdep.outputFile=cp.txt")
	if err == nil || !strings.Contains(out, "401") {
		t.Fatalf("anonymous resolution of a private package should fail with 401: err=%v\n%s", err, out)
	}
}
