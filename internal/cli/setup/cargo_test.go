package setup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

func TestMergeTOMLTable(t *testing.T) {
	entries := []TOMLEntry{
		{Key: "index", Value: "sparse+http://127.0.0.1:5873/api/v1/packages/cargo/acme/"},
		{Key: "credential-provider", Value: "cargo:token"},
	}
	const section = "[registries.drok]\n" +
		"index = \"sparse+http://127.0.0.1:5873/api/v1/packages/cargo/acme/\"\n" +
		"credential-provider = \"cargo:token\"\n"
	tests := []struct {
		name, existing, want string
		fails                bool
	}{
		{name: "empty file", existing: "", want: section},
		{name: "keeps other tables and appends",
			existing: "# mine\n[build]\njobs = 2\n\n[registries.other]\nindex = \"sparse+https://other.example/\"\n",
			want:     "# mine\n[build]\njobs = 2\n\n[registries.other]\nindex = \"sparse+https://other.example/\"\n\n" + section},
		{name: "replaces in place, keeps other keys of the table",
			existing: "[registries.drok]\nindex = \"sparse+http://old/\"\nprotocol = \"sparse\"\n\n[net]\nretry = 3\n",
			want: "[registries.drok]\nindex = \"sparse+http://127.0.0.1:5873/api/v1/packages/cargo/acme/\"\nprotocol = \"sparse\"\n" +
				"credential-provider = \"cargo:token\"\n\n[net]\nretry = 3\n"},
		{name: "quoted header and keys",
			existing: "[registries.\"drok\"]\n\"index\" = \"sparse+http://old/\"\n",
			want:     "[registries.\"drok\"]\nindex = \"sparse+http://127.0.0.1:5873/api/v1/packages/cargo/acme/\"\ncredential-provider = \"cargo:token\"\n"},
		{name: "idempotent", existing: section, want: section},
		{name: "no final newline", existing: "[net]\nretry = 1", want: "[net]\nretry = 1\n\n" + section},
		{name: "inline definition elsewhere", existing: "[registries]\ndrok = { index = \"sparse+http://old/\" }\n", fails: true},
		{name: "dotted key elsewhere", existing: "registries.drok.index = \"sparse+http://old/\"\n", fails: true},
		{name: "invalid existing file", existing: "[registries\n", fails: true},
	}
	for _, tt := range tests {
		got, err := MergeTOMLTable([]byte(tt.existing), "registries.drok", entries)
		if tt.fails {
			if err == nil {
				t.Errorf("%s: merged without error:\n%s", tt.name, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tt.name, got, tt.want)
		}
	}
}

func TestTOMLString(t *testing.T) {
	if got := tomlString("a\"b\\c\x01"); got != `"a\"b\\c\u0001"` {
		t.Errorf("got %s", got)
	}
}

func cargoOpts(home string, print bool) *CargoOptions {
	ios, _, _, _ := iostreams.Test()
	opts := &CargoOptions{
		CommonOptions: testCommon(ios, "http://127.0.0.1:5873", "drok_secret", ""),
		CargoHome:     func() (string, error) { return home, nil },
		Registry:      "drok",
	}
	opts.Print = print
	return opts
}

func TestCargoRunWritesConfigAndCredentials(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, "config.toml")
	cred := filepath.Join(home, "credentials.toml")
	if err := os.WriteFile(cfg, []byte("[net]\ngit-fetch-with-cli = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cred, []byte("[registries.other]\ntoken = \"keep\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func() (string, string) {
		opts := cargoOpts(home, false)
		if err := cargoRun(opts); err != nil {
			t.Fatal(err)
		}
		c, _ := os.ReadFile(cfg)
		k, _ := os.ReadFile(cred)
		return string(c), string(k)
	}
	c1, k1 := run()
	c2, k2 := run()
	if c1 != c2 || k1 != k2 {
		t.Errorf("second run changed the files")
	}
	wantCfg := "[net]\ngit-fetch-with-cli = true\n\n[registries.drok]\n" +
		"index = \"sparse+http://127.0.0.1:5873/api/v1/packages/cargo/acme/\"\ncredential-provider = \"cargo:token\"\n"
	wantCred := "[registries.other]\ntoken = \"keep\"\n\n[registries.drok]\ntoken = \"drok_secret\"\n"
	if c1 != wantCfg {
		t.Errorf("config.toml:\n%s\nwant:\n%s", c1, wantCfg)
	}
	if k1 != wantCred {
		t.Errorf("credentials.toml:\n%s\nwant:\n%s", k1, wantCred)
	}
	if st, err := os.Stat(cred); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("credentials.toml mode: %v %v", st.Mode(), err)
	}
}

func TestCargoRunPrint(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	opts := &CargoOptions{
		CommonOptions: testCommon(ios, "https://drok.example.com", "drok_secret", ""),
		CargoHome:     func() (string, error) { t.Fatal("CargoHome used with --print"); return "", nil },
		Registry:      "acme-reg",
	}
	opts.Print = true
	if err := cargoRun(opts); err != nil {
		t.Fatal(err)
	}
	want := "[registries.acme-reg]\nindex = \"sparse+https://drok.example.com/api/v1/packages/cargo/acme/\"\ncredential-provider = \"cargo:token\"\n"
	if out.String() != want || strings.Contains(out.String(), "drok_secret") {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	if cargoEnvVar("acme-reg") != "CARGO_REGISTRIES_ACME_REG_TOKEN" {
		t.Error(cargoEnvVar("acme-reg"))
	}
}

func TestCargoRunNotLoggedIn(t *testing.T) {
	opts := cargoOpts(t.TempDir(), false)
	opts.Auth = func() (cmdutil.Auth, error) { return cmdutil.Auth{Server: "http://127.0.0.1:5873"}, nil }
	if code := cmdutil.ExitCode(cargoRun(opts)); code != cmdutil.ExitAuth {
		t.Errorf("exit code %d, want %d", code, cmdutil.ExitAuth)
	}
}
