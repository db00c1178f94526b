package setup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

func TestMergeNpmrc(t *testing.T) {
	entries := []NpmrcEntry{
		{Key: "registry", Value: "http://127.0.0.1:5873/api/v1/packages/npm/acme/"},
		{Key: "//127.0.0.1:5873/api/v1/packages/npm/acme/:_authToken", Value: "drok_new"},
	}
	const want = "registry=http://127.0.0.1:5873/api/v1/packages/npm/acme/\n" +
		"//127.0.0.1:5873/api/v1/packages/npm/acme/:_authToken=drok_new\n"
	tests := []struct {
		name, existing, want string
	}{
		{name: "empty file", existing: "", want: want},
		{name: "keeps other lines and appends",
			existing: "# mine\n@other:registry=https://npm.other.example/\n//npm.other.example/:_authToken=keep\n",
			want:     "# mine\n@other:registry=https://npm.other.example/\n//npm.other.example/:_authToken=keep\n" + want},
		{name: "replaces in place",
			existing: "save-exact=true\nregistry=https://registry.example.test/\n//127.0.0.1:5873/api/v1/packages/npm/acme/:_authToken=drok_old\nfund=false\n",
			want: "save-exact=true\nregistry=http://127.0.0.1:5873/api/v1/packages/npm/acme/\n" +
				"//127.0.0.1:5873/api/v1/packages/npm/acme/:_authToken=drok_new\nfund=false\n"},
		{name: "spaces around = and duplicates",
			existing: "registry = https://a/\nregistry=https://b/\n",
			want:     "registry=http://127.0.0.1:5873/api/v1/packages/npm/acme/\n//127.0.0.1:5873/api/v1/packages/npm/acme/:_authToken=drok_new\n"},
		{name: "no final newline", existing: "fund=false", want: "fund=false\n" + want},
		{name: "idempotent", existing: want, want: want},
		{name: "comment mentioning the key is kept",
			existing: "; registry=https://old/\n",
			want:     "; registry=https://old/\n" + want},
		{name: "other org's token kept",
			existing: "//127.0.0.1:5873/api/v1/packages/npm/other/:_authToken=drok_other\n",
			want:     "//127.0.0.1:5873/api/v1/packages/npm/other/:_authToken=drok_other\n" + want},
	}
	for _, tt := range tests {
		got := string(MergeNpmrc([]byte(tt.existing), entries))
		if got != tt.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tt.name, got, tt.want)
		}
	}
}

func TestNpmEntries(t *testing.T) {
	tests := []struct {
		server, scope string
		want          []string
	}{
		{"http://127.0.0.1:5873", "", []string{
			"registry=http://127.0.0.1:5873/api/v1/packages/npm/acme/",
			"//127.0.0.1:5873/api/v1/packages/npm/acme/:_authToken=T"}},
		{"https://drok.example.com/mirror", "@acme", []string{
			"@acme:registry=https://drok.example.com/mirror/api/v1/packages/npm/acme/",
			"//drok.example.com/mirror/api/v1/packages/npm/acme/:_authToken=T"}},
	}
	for _, tt := range tests {
		entries, err := NpmEntries(Target{Server: tt.server, Org: "acme", Token: "T"}, tt.scope)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range entries {
			if e.String() != tt.want[i] {
				t.Errorf("%s %s: line %d = %q, want %q", tt.server, tt.scope, i, e, tt.want[i])
			}
		}
	}
}

func TestNpmRunWritesUserNpmrc(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".npmrc")
	if err := os.WriteFile(path, []byte("fund=false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(scope string) string {
		ios, _, out, _ := iostreams.Test()
		opts := &NpmOptions{
			CommonOptions: testCommon(ios, "http://127.0.0.1:5873", "drok_secret", home),
			WorkDir:       func() (string, error) { t.Fatal("WorkDir used without --project"); return "", nil },
			Scope:         scope,
		}
		if err := npmRun(opts); err != nil {
			t.Fatal(err)
		}
		if out.Len() != 0 {
			t.Errorf("stdout = %q, want nothing", out)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	first := run("")
	if second := run(""); second != first {
		t.Errorf("second run changed the file:\n%s\nthen:\n%s", first, second)
	}
	want := "fund=false\nregistry=http://127.0.0.1:5873/api/v1/packages/npm/acme/\n" +
		"//127.0.0.1:5873/api/v1/packages/npm/acme/:_authToken=drok_secret\n"
	if first != want {
		t.Errorf("got:\n%s\nwant:\n%s", first, want)
	}
	scoped := run("@acme")
	if !strings.Contains(scoped, "@acme:registry=http://127.0.0.1:5873/api/v1/packages/npm/acme/\n") ||
		strings.Count(scoped, "_authToken") != 1 || !strings.Contains(scoped, "\nregistry=") {
		t.Errorf("scoped run:\n%s", scoped)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
}

func TestNpmRunPrintHidesToken(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	opts := &NpmOptions{CommonOptions: testCommon(ios, "http://127.0.0.1:5873", "drok_secret", "")}
	opts.Print = true
	opts.HomeDir = func() (string, error) { t.Fatal("--print must not touch files"); return "", nil }
	if err := npmRun(opts); err != nil {
		t.Fatal(err)
	}
	want := "registry=http://127.0.0.1:5873/api/v1/packages/npm/acme/\n" +
		"//127.0.0.1:5873/api/v1/packages/npm/acme/:_authToken=${DROK_TOKEN}\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestNpmRunNotLoggedIn(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	opts := &NpmOptions{CommonOptions: testCommon(ios, "http://127.0.0.1:5873", "", t.TempDir())}
	if code := cmdutil.ExitCode(npmRun(opts)); code != cmdutil.ExitAuth {
		t.Errorf("exit code %d, want %d", code, cmdutil.ExitAuth)
	}
}
