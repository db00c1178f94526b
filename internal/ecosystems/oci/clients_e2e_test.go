package oci_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/cli/setup"
	"github.com/drok-dev/drok/internal/daemon/client"
)

const (
	craneInstall  = "go install github.com/google/go-containerregistry/cmd/crane@v0.22.1"
	orasInstall   = "go install oras.land/oras/cmd/oras@v1.3.6"
	skopeoInstall = "apt-get install skopeo"
)

// clientEnv is a HOME with docker and containers credentials for one
// token ("" = anonymous: empty credential files).
func clientEnv(t *testing.T, host, token string) []string {
	t.Helper()
	home := t.TempDir()
	docker, containers := setup.DockerConfigPaths(home, func(string) string { return "" })
	for _, p := range []string{docker, containers} {
		data := []byte("{}\n")
		if token != "" {
			var err error
			if data, err = setup.MergeDockerAuth(nil, host, setup.DockerUser, token); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"HOME=" + home, "DOCKER_CONFIG=" + filepath.Dir(docker), "REGISTRY_AUTH_FILE=" + containers,
		"XDG_RUNTIME_DIR=" + filepath.Join(home, "run"), "PATH=" + os.Getenv("PATH")}
	return env
}

func run(t *testing.T, env []string, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustRun(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	out, err := run(t, env, bin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(out)
}

func (f *fixture) repo(t *testing.T, name, visibility string) {
	t.Helper()
	if _, err := f.srv.Client.CreateRepo(context.Background(), "acme", client.RepoEdit{Name: name, Visibility: &visibility}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) token(t *testing.T, scopes ...string) string {
	t.Helper()
	tk, err := f.srv.Client.CreateToken(context.Background(), client.CreateToken{Name: "t" + strings.Join(scopes, ""), Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return tk.Secret
}

// TestCraneMultiArchRoundTrip: crane pushes a multi-arch OCI layout with
// a token from the docker config (the Bearer token flow), copies it to
// another repository (cross-repository mount), pulls it back as a layout,
// and the digests match; a read-only token cannot push; a release tag
// cannot move while "latest" can; anonymous pulls of the private image
// are refused and of a public image work.
func TestCraneMultiArchRoundTrip(t *testing.T) {
	t.Parallel()
	crane := tool(t, "crane", craneInstall)
	f := newFixture(t)
	f.repo(t, "app", "private")
	f.repo(t, "web", "public")
	write := clientEnv(t, f.host, f.token(t, "package:read", "package:write"))
	read := clientEnv(t, f.host, f.token(t, "package:read"))
	anon := clientEnv(t, f.host, "")

	l := writeLayout(t, t.TempDir(), 1, "1.0.0", 64<<10)
	ref := f.host + "/acme/app:1.0.0"
	mustRun(t, write, crane, "push", l.dir, ref)
	if got := mustRun(t, write, crane, "digest", ref); got != l.Index {
		t.Fatalf("digest of %s = %s, want %s", ref, got, l.Index)
	}
	// copy out to another repository and pull it back as a layout
	mustRun(t, write, crane, "copy", ref, f.host+"/acme/app/mirror:1.0.0")
	if got := mustRun(t, write, crane, "digest", f.host+"/acme/app/mirror:1.0.0"); got != l.Index {
		t.Fatalf("copied digest = %s, want %s", got, l.Index)
	}
	out := t.TempDir()
	mustRun(t, write, crane, "pull", "--format=oci", ref, out)
	for _, d := range append([]string{l.Index}, l.Images...) {
		b, err := os.ReadFile(filepath.Join(out, "blobs", "sha256", d[7:]))
		if err != nil || sha(b) != d {
			t.Errorf("pulled layout lacks %s: %v", d, err)
		}
	}
	for _, d := range l.Images {
		if got := mustRun(t, write, crane, "manifest", f.host+"/acme/app@"+d); sha([]byte(got)) != d && !strings.Contains(got, "layers") {
			t.Errorf("manifest %s: %s", d, got)
		}
	}
	if tags := mustRun(t, write, crane, "ls", f.host+"/acme/app"); tags != "1.0.0" {
		t.Errorf("crane ls = %q", tags)
	}

	// a read-only token pulls but cannot push
	mustRun(t, read, crane, "digest", ref)
	l2 := writeLayout(t, t.TempDir(), 2, "2.0.0", 1024)
	if out, err := run(t, read, crane, "push", l2.dir, f.host+"/acme/app:2.0.0"); err == nil {
		t.Fatalf("read-only token pushed: %s", out)
	}
	// a release tag cannot move; latest can
	if out, err := run(t, write, crane, "push", l2.dir, ref); err == nil || !strings.Contains(out, "immutable") {
		t.Fatalf("moving 1.0.0 was not refused clearly: %v\n%s", err, out)
	}
	if got := mustRun(t, write, crane, "digest", ref); got != l.Index {
		t.Fatalf("1.0.0 moved to %s", got)
	}
	mustRun(t, write, crane, "push", l.dir, f.host+"/acme/app:latest")
	mustRun(t, write, crane, "push", l2.dir, f.host+"/acme/app:latest")
	if got := mustRun(t, write, crane, "digest", f.host+"/acme/app:latest"); got != l2.Index {
		t.Fatalf("latest = %s, want %s", got, l2.Index)
	}

	// anonymous: the private image is refused, a public one pulls
	if out, err := run(t, anon, crane, "digest", ref); err == nil {
		t.Fatalf("anonymous pull of a private image: %s", out)
	}
	mustRun(t, write, crane, "copy", ref, f.host+"/acme/web:1.0.0")
	if got := mustRun(t, anon, crane, "digest", f.host+"/acme/web:1.0.0"); got != l.Index {
		t.Fatalf("anonymous digest of public image = %s", got)
	}
	mustRun(t, anon, crane, "pull", "--format=oci", f.host+"/acme/web:1.0.0", t.TempDir())
	if out, err := run(t, anon, crane, "push", l2.dir, f.host+"/acme/web:2.0.0"); err == nil {
		t.Fatalf("anonymous push: %s", out)
	}
}

// TestSkopeoMultiArchCopy: skopeo copies the multi-arch layout in with
// --all and credentials from the containers auth file, then copies it
// out again into a layout; digests are kept.
func TestSkopeoMultiArchCopy(t *testing.T) {
	t.Parallel()
	skopeo := tool(t, "skopeo", skopeoInstall)
	f := newFixture(t)
	f.repo(t, "tools", "private")
	env := clientEnv(t, f.host, f.token(t, "package:read", "package:write"))
	l := writeLayout(t, t.TempDir(), 3, "1.2.3", 32<<10)
	ref := "docker://" + f.host + "/acme/tools:1.2.3"
	mustRun(t, env, skopeo, "copy", "--all", "--preserve-digests", "--dest-tls-verify=false", "oci:"+l.dir+":1.2.3", ref)
	insp := mustRun(t, env, skopeo, "inspect", "--raw", "--tls-verify=false", ref)
	if sha([]byte(insp)) != l.Index {
		t.Fatalf("inspect --raw digest %s, want %s", sha([]byte(insp)), l.Index)
	}
	out := t.TempDir()
	mustRun(t, env, skopeo, "copy", "--all", "--preserve-digests", "--src-tls-verify=false", ref, "oci:"+out+":copy")
	for _, d := range append([]string{l.Index}, l.Images...) {
		if _, err := os.Stat(filepath.Join(out, "blobs", "sha256", d[7:])); err != nil {
			t.Errorf("copied-out layout lacks %s", d)
		}
	}
	// anonymous skopeo is refused
	anon := clientEnv(t, f.host, "")
	if out, err := run(t, anon, skopeo, "inspect", "--raw", "--tls-verify=false", ref); err == nil {
		t.Fatalf("anonymous skopeo read a private image: %s", out)
	}
}

// TestOrasArtifactAndReferrer: oras pushes an artifact with an artifact
// type, pulls it back, attaches a signature-like referrer and discovers
// it through the referrers API.
func TestOrasArtifactAndReferrer(t *testing.T) {
	t.Parallel()
	oras := tool(t, "oras", orasInstall)
	f := newFixture(t)
	f.repo(t, "charts", "private")
	tok := f.token(t, "package:read", "package:write")
	env := clientEnv(t, f.host, tok)
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "notes.txt"), []byte("hello artifact\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "sig.txt"), []byte("signed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := f.host + "/acme/charts:v1"
	auth := []string{"--plain-http", "-u", "drok", "-p", tok}
	cmd := func(args ...string) []string { return append(args, auth...) }
	push := mustRunIn(t, env, work, oras, cmd("push", ref, "--artifact-type", "application/vnd.drok.test", "notes.txt:text/plain")...)
	if !strings.Contains(push, "Pushed") {
		t.Fatalf("oras push: %s", push)
	}
	pulled := t.TempDir()
	mustRunIn(t, env, pulled, oras, cmd("pull", ref)...)
	if b, err := os.ReadFile(filepath.Join(pulled, "notes.txt")); err != nil || string(b) != "hello artifact\n" {
		t.Fatalf("pulled notes.txt = %q, %v", b, err)
	}
	mustRunIn(t, env, work, oras, cmd("attach", "--artifact-type", "application/vnd.drok.signature", ref, "sig.txt:text/plain")...)
	disc := mustRunIn(t, env, work, oras, cmd("discover", "--format", "json", "--artifact-type", "application/vnd.drok.signature", ref)...)
	if !strings.Contains(disc, "application/vnd.drok.signature") {
		t.Fatalf("oras discover found no referrer: %s", disc)
	}
	none := mustRunIn(t, env, work, oras, cmd("discover", "--format", "json", "--artifact-type", "application/vnd.other", ref)...)
	if strings.Contains(none, "application/vnd.drok.signature") {
		t.Fatalf("artifactType filter ignored: %s", none)
	}
}

func mustRunIn(t *testing.T, env []string, dir, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestSkopeoDockerSchema2: skopeo converts the image to Docker schema 2
// (manifest list + v2 manifests) on the way in; drok stores and serves
// those media types as pushed.
func TestSkopeoDockerSchema2(t *testing.T) {
	t.Parallel()
	skopeo := tool(t, "skopeo", skopeoInstall)
	f := newFixture(t)
	env := clientEnv(t, f.host, f.srv.AdminToken)
	l := writeLayout(t, t.TempDir(), 11, "2.0.0", 8<<10)
	ref := "docker://" + f.host + "/acme/legacy:2.0.0"
	mustRun(t, env, skopeo, "copy", "--all", "--format", "v2s2", "--dest-tls-verify=false", "oci:"+l.dir+":2.0.0", ref)
	raw := mustRun(t, env, skopeo, "inspect", "--raw", "--tls-verify=false", ref)
	if !strings.Contains(raw, "application/vnd.docker.distribution.manifest.list.v2+json") {
		t.Fatalf("not a Docker manifest list: %s", raw)
	}
	g := reg{base: f.srv.URL}
	r := g.do(t, "GET", "/v2/acme/legacy/manifests/2.0.0", f.srv.AdminToken, nil, nil)
	if r.header.Get("Content-Type") != "application/vnd.docker.distribution.manifest.list.v2+json" {
		t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
	}
	out := t.TempDir()
	mustRun(t, env, skopeo, "copy", "--all", "--src-tls-verify=false", ref, "dir:"+out)
}
