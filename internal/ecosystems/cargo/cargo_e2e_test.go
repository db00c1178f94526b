package cargo_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/cli/setup"
	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
)

// cargoBin is the real cargo; the e2e tests fail (never skip) without it.
func cargoBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("cargo"); err == nil {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".cargo", "bin", "cargo")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("the cargo e2e tests need cargo on PATH or in ~/.cargo/bin (install it with rustup: https://rustup.rs)")
	return ""
}

// fixture is one daemon with one org.
type fixture struct {
	srv   *daemontest.Server
	org   string
	index string // sparse index URL with trailing slash (without sparse+)
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := daemontest.Start(t)
	f := &fixture{srv: srv, org: "acme"}
	if _, err := srv.Client.CreateOrg(context.Background(), f.org); err != nil {
		t.Fatalf("create org: %v", err)
	}
	f.index = srv.URL + "/api/v1/packages/cargo/" + f.org + "/"
	return f
}

// cargoUser is a CARGO_HOME configured for the fixture's registry only.
type cargoUser struct {
	*daemontest.Tool
	target string
}

// cargoAs returns cargo configured with registry "drok" and token ("" =
// none). CARGO_HOME, the target directory and HOME are temporary.
func (f *fixture) cargoAs(t *testing.T, token string) *cargoUser {
	t.Helper()
	bin := cargoBin(t)
	home := t.TempDir()
	cfg := `[registries.drok]
index = "sparse+` + f.index + `"
credential-provider = "cargo:token"

[registry]
default = "drok"

[net]
retry = 0

[publish]
timeout = 30

[term]
color = "never"
progress.when = "never"
`
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CARGO") || k == "HOME" || k == "RUSTUP_HOME" {
			continue
		}
		env = append(env, kv)
	}
	rustup := os.Getenv("RUSTUP_HOME")
	if rustup == "" {
		if h, err := os.UserHomeDir(); err == nil {
			rustup = filepath.Join(h, ".rustup")
		}
	}
	env = append(env, "CARGO_HOME="+home, "HOME="+home, "RUSTUP_HOME="+rustup,
		"CARGO_TARGET_DIR="+filepath.Join(home, "target"), "CARGO_INCREMENTAL=0",
		"CARGO_HTTP_TIMEOUT=30", "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	if token != "" {
		env = append(env, "CARGO_REGISTRIES_DROK_TOKEN="+token)
	}
	return &cargoUser{Tool: &daemontest.Tool{T: t, Bin: bin, Env: env, Timeout: 3 * time.Minute}, target: filepath.Join(home, "target")}
}

// writeProject writes files (path → content) below a new directory.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func baseUtil(t *testing.T, version, body string) string {
	return writeProject(t, map[string]string{
		"Cargo.toml": `[package]
name = "base-util"
version = "` + version + `"
edition = "2021"
description = "drok test crate"
license = "MIT"
publish = ["drok"]

[features]
default = []
extra = []
`,
		"src/lib.rs": `pub fn version() -> &'static str { "` + version + `" }
` + body + `
#[cfg(feature = "extra")]
pub fn extra() -> u32 { 42 }
`,
	})
}

func lockedVersion(t *testing.T, dir, crate string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "Cargo.lock"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if l == `name = "`+crate+`"` && i+1 < len(lines) {
			return strings.TrimSuffix(strings.TrimPrefix(lines[i+1], `version = "`), `"`)
		}
	}
	t.Fatalf("Cargo.lock has no %s:\n%s", crate, b)
	return ""
}

func consumer(t *testing.T, deps string) string {
	return writeProject(t, map[string]string{
		"Cargo.toml": `[package]
name = "consumer"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
` + deps,
		"src/main.rs": `fn main() { println!("{}", app_lib::hello()); }
`,
	})
}

// TestCargoEndToEnd drives the real cargo: two crates published (one
// depending on the other through a renamed dependency with features and
// an optional dep: feature), a fresh project built from the sparse
// index, yank and unyank (new resolutions avoid the yanked version, a
// lock file pinning it still builds), duplicate publishes refused, and
// an anonymous cargo refused by a private org.
func TestCargoEndToEnd(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.cargoAs(t, f.srv.AdminToken)

	base := baseUtil(t, "0.1.0", "")
	c.Must(base, "publish", "--registry", "drok", "--no-verify", "--allow-dirty")
	tiny := writeProject(t, map[string]string{
		"Cargo.toml": "[package]\nname = \"Tiny_Opt\"\nversion = \"1.0.0+build.7\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"optional\"\n",
		"src/lib.rs": "pub fn version() -> &'static str { \"tiny\" }\n",
	})
	c.Must(tiny, "publish", "--registry", "drok", "--no-verify", "--allow-dirty")

	app := writeProject(t, map[string]string{
		"Cargo.toml": `[package]
name = "app_lib"
version = "0.1.0"
edition = "2021"
description = "depends on base-util under another name"
license = "MIT"
publish = ["drok"]

[dependencies]
util = { package = "base-util", version = "0.1", registry = "drok", features = ["extra"] }
opt = { package = "Tiny_Opt", version = "1", registry = "drok", optional = true, default-features = false }

[features]
with-opt = ["dep:opt"]
`,
		"src/lib.rs": `pub fn hello() -> String {
    let mut s = format!("hello from app_lib with util {} extra {}", util::version(), util::extra());
    #[cfg(feature = "with-opt")]
    { s.push_str(&format!(" opt {}", opt::version())); }
    s
}
`,
	})
	c.Must(app, "publish", "--registry", "drok", "--no-verify", "--allow-dirty")

	// The index file as cargo reads it.
	st, body := get(t, f.index+"ap/p_/app_lib", f.srv.AdminToken, nil)
	if st != 200 || !strings.Contains(body, `"package":"base-util"`) || !strings.Contains(body, `"name":"util"`) ||
		!strings.Contains(body, `"features2":{"with-opt":["dep:opt"]}`) || !strings.Contains(body, `"v":2`) {
		t.Fatalf("index of app_lib: %d\n%s", st, body)
	}

	// A fresh project builds against the registry.
	cons := consumer(t, `app_lib = { version = "0.1", registry = "drok", features = ["with-opt"] }
`)
	out := c.Must(cons, "run", "-q")
	t.Logf("consumer: %s", out)
	if !strings.Contains(out, "hello from app_lib with util 0.1.0 extra 42 opt tiny") {
		t.Fatalf("consumer output: %s", out)
	}

	// Duplicate publish: cargo itself refuses (it reads the index); the
	// server refuses different bytes for the same version.
	changed := baseUtil(t, "0.1.0", "pub fn changed() {}")
	c.MustFail(changed, "already exists", "publish", "--registry", "drok", "--no-verify", "--allow-dirty")

	// Yank: a newer version, locked by one project.
	c.Must(baseUtil(t, "0.1.1", ""), "publish", "--registry", "drok", "--no-verify", "--allow-dirty")
	pinned := writeProject(t, map[string]string{
		"Cargo.toml":  "[package]\nname = \"pinned\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nbase-util = { version = \"0.1\", registry = \"drok\" }\n",
		"src/main.rs": "fn main() { println!(\"{}\", base_util::version()); }\n",
	})
	c.Must(pinned, "generate-lockfile")
	if v := lockedVersion(t, pinned, "base-util"); v != "0.1.1" {
		t.Fatalf("locked %s, want 0.1.1", v)
	}
	c.Must(pinned, "yank", "--registry", "drok", "--version", "0.1.1", "base-util")
	st, body = get(t, f.index+"ba/se/base-util", f.srv.AdminToken, nil)
	if st != 200 || !strings.Contains(body, `"vers":"0.1.1","deps":[],"cksum"`) || !strings.Contains(body, `"yanked":true`) {
		t.Fatalf("index after yank: %d\n%s", st, body)
	}
	if out := c.Must(pinned, "run", "-q"); strings.TrimSpace(out) != "0.1.1" {
		t.Fatalf("locked build of yanked version printed %q", out)
	}
	fresh := writeProject(t, map[string]string{
		"Cargo.toml":  "[package]\nname = \"fresh\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nbase-util = { version = \"0.1\", registry = \"drok\" }\n",
		"src/main.rs": "fn main() { println!(\"{}\", base_util::version()); }\n",
	})
	c.Must(fresh, "generate-lockfile")
	if v := lockedVersion(t, fresh, "base-util"); v != "0.1.0" {
		t.Fatalf("fresh resolution picked %s despite the yank, want 0.1.0", v)
	}
	c.Must(pinned, "yank", "--registry", "drok", "--undo", "--version", "0.1.1", "base-util")
	c.Must(fresh, "update")
	if v := lockedVersion(t, fresh, "base-util"); v != "0.1.1" {
		t.Fatalf("after unyank resolution picked %s, want 0.1.1", v)
	}

	// drok's own yank (REST, `drok package yank`) is the same index flag.
	if _, err := f.srv.Client.Yank(ctx, "cargo", f.org, client.YankRequest{Name: "base-util", Version: "0.1.1", Yank: true}); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(fresh, "Cargo.lock"))
	c.Must(fresh, "generate-lockfile")
	if v := lockedVersion(t, fresh, "base-util"); v != "0.1.0" {
		t.Fatalf("after REST yank resolution picked %s, want 0.1.0", v)
	}

	// Owners and search through cargo.
	if out := c.Must(app, "owner", "--registry", "drok", "--list", "app_lib"); !strings.Contains(out, "admin") {
		t.Fatalf("cargo owner --list: %s", out)
	}
	if out := c.Must(app, "search", "--registry", "drok", "base"); !strings.Contains(out, `base-util = "0.1.0"`) {
		t.Fatalf("cargo search: %s", out)
	}

	// An anonymous cargo cannot read this org (its crates are private).
	anon := f.cargoAs(t, "")
	other := consumer(t, "app_lib = { version = \"0.1\", registry = \"drok\" }\n")
	out = anon.MustFail(other, "token", "generate-lockfile")
	if strings.Contains(out, "app_lib v0.1.0") {
		t.Fatalf("anonymous cargo resolved the private crate:\n%s", out)
	}
	if st, _ := get(t, f.index+"config.json", "", nil); st != http.StatusUnauthorized {
		t.Fatalf("anonymous config.json: %d, want 401", st)
	}
	if st, _ := get(t, f.index+"ap/p_/app_lib", "", nil); st != http.StatusUnauthorized {
		t.Fatalf("anonymous index file: %d, want 401", st)
	}
}

// TestSetupCargoConfig: the files `drok setup cargo` writes (merged into
// an existing config) are all the real cargo needs: no token in the
// environment.
func TestSetupCargoConfig(t *testing.T) {
	f := newFixture(t)
	c := f.cargoAs(t, "")
	home := envValue(c.Env, "CARGO_HOME")
	target := setup.Target{Server: f.srv.URL, Org: f.org, Token: f.srv.AdminToken}
	for file, entries := range map[string][]setup.TOMLEntry{
		"config.toml":      setup.CargoEntries(target),
		"credentials.toml": {{Key: "token", Value: target.Token}},
	} {
		p := filepath.Join(home, file)
		old, _ := os.ReadFile(p)
		merged, err := setup.MergeTOMLTable(old, "registries.drok", entries)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, merged, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c.Must(baseUtil(t, "0.3.0", ""), "publish", "--registry", "drok", "--no-verify", "--allow-dirty")
	if out := c.Must(t.TempDir(), "search", "--registry", "drok", "base-util"); !strings.Contains(out, `base-util = "0.3.0"`) {
		t.Fatalf("cargo search: %s", out)
	}
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

// TestCargoPublicOrgAnonymous: an org whose crates are all public says
// auth-required false, and a cargo without any token builds against it.
// The publish here runs cargo's verification build.
func TestCargoPublicOrgAnonymous(t *testing.T) {
	f := newFixture(t)
	pub := "public"
	for _, repo := range []string{"open-lib", "all-kinds"} {
		if _, err := f.srv.Client.CreateRepo(context.Background(), f.org, client.RepoEdit{Name: repo, Visibility: &pub}); err != nil {
			t.Fatal(err)
		}
	}
	lib := writeProject(t, map[string]string{
		"Cargo.toml": "[package]\nname = \"open-lib\"\nversion = \"2.0.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"public\"\n",
		"src/lib.rs": "pub fn hello() -> String { \"hello from open-lib\".into() }\n",
	})
	f.cargoAs(t, f.srv.AdminToken).Must(lib, "publish", "--registry", "drok", "--allow-dirty")
	// Every dependency kind, a target-specific one and an optional one
	// with its implicit feature: cargo's metadata agrees with its
	// normalised Cargo.toml.
	kinds := writeProject(t, map[string]string{
		"Cargo.toml": `[package]
name = "all-kinds"
version = "0.1.0"
edition = "2021"
license = "MIT"
description = "every dependency kind"
rust-version = "1.70"

[dependencies]
open-lib = { version = "2", registry = "drok", optional = true }

[target.'cfg(unix)'.dependencies]
unix-lib = { package = "open-lib", version = "2.0", registry = "drok", default-features = false }

[dev-dependencies]
open-lib = { version = "=2.0.0", registry = "drok" }

[build-dependencies]
open-lib = { version = ">=2, <3", registry = "drok" }
`,
		"src/lib.rs": "pub fn f() {}\n",
	})
	f.cargoAs(t, f.srv.AdminToken).Must(kinds, "publish", "--registry", "drok", "--no-verify", "--allow-dirty")
	line := get2(t, f.index+"al/l-/all-kinds", "")
	for _, want := range []string{`"kind":"dev"`, `"kind":"build"`, `"target":"cfg(unix)"`, `"package":"open-lib"`, `"optional":true`, `"rust_version":"1.70"`} {
		if !strings.Contains(line, want) {
			t.Errorf("all-kinds index entry lacks %s:\n%s", want, line)
		}
	}
	app := writeProject(t, map[string]string{
		"Cargo.toml":  "[package]\nname = \"anon\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nopen-lib = { version = \"2\", registry = \"drok\" }\n",
		"src/main.rs": "fn main() { println!(\"{}\", open_lib::hello()); }\n",
	})
	if out := f.cargoAs(t, "").Must(app, "run", "-q"); !strings.Contains(out, "hello from open-lib") {
		t.Fatalf("anonymous build: %s", out)
	}
}
