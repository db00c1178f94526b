package setup

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

func TestMergeIni(t *testing.T) {
	entries := []IniEntry{{Key: "index-url", Value: "http://new/"}}
	tests := []struct{ name, existing, want string }{
		{"empty", "", "[global]\nindex-url = http://new/\n"},
		{"replaces in place, keeps others",
			"[global]\ntimeout = 60\nindex-url = http://old/\nretries = 2\n\n[install]\nuser = false\n",
			"[global]\ntimeout = 60\nindex-url = http://new/\nretries = 2\n\n[install]\nuser = false\n"},
		{"adds to the end of its section",
			"[global]\ntimeout = 60\n\n[install]\nuser = false\n",
			"[global]\ntimeout = 60\nindex-url = http://new/\n\n[install]\nuser = false\n"},
		{"appends a missing section",
			"[install]\nuser = false",
			"[install]\nuser = false\n\n[global]\nindex-url = http://new/\n"},
		{"drops continuation lines and duplicates of the key",
			"[global]\nINDEX-URL =\n    http://a/\n    http://b/\nindex-url: http://c/\n# comment\n",
			"[global]\nindex-url = http://new/\n# comment\n"},
		{"same key in another section untouched",
			"[other]\nindex-url = http://keep/\n",
			"[other]\nindex-url = http://keep/\n\n[global]\nindex-url = http://new/\n"},
		{"idempotent", "[global]\nindex-url = http://new/\n", "[global]\nindex-url = http://new/\n"},
	}
	for _, tt := range tests {
		if got := string(MergeIni([]byte(tt.existing), "global", entries)); got != tt.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tt.name, got, tt.want)
		}
	}
}

func TestMergePypirc(t *testing.T) {
	target := Target{Server: "http://127.0.0.1:5873", Org: "acme", Token: "drok_T"}
	drok := "[drok]\nrepository = http://127.0.0.1:5873/api/v1/packages/pypi/acme/\nusername = __token__\npassword = drok_T\n"
	tests := []struct{ name, existing, want string }{
		{"empty", "", "[distutils]\nindex-servers =\n    pypi\n    testpypi\n    drok\n\n" + drok},
		{"keeps other servers",
			"[distutils]\nindex-servers =\n    pypi\n    corp\n\n[corp]\nrepository = https://corp.example/\nusername = me\n",
			"[distutils]\nindex-servers =\n    pypi\n    corp\n    drok\n\n[corp]\nrepository = https://corp.example/\nusername = me\n\n" + drok},
		{"replaces an old drok section",
			"[distutils]\nindex-servers = pypi drok\n\n[drok]\nrepository = http://old/\nusername = __token__\npassword = drok_old\n",
			"[distutils]\nindex-servers =\n    pypi\n    drok\n\n" + drok},
	}
	for _, tt := range tests {
		got := string(MergePypirc([]byte(tt.existing), target))
		if got != tt.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tt.name, got, tt.want)
		}
		if again := string(MergePypirc([]byte(got), target)); again != got {
			t.Errorf("%s: not idempotent:\n%s", tt.name, again)
		}
	}
}

func TestPipIndexURL(t *testing.T) {
	u, err := PipIndexURL(Target{Server: "https://drok.example.com/base", Org: "acme", Token: "drok_a/b"})
	if err != nil || u != "https://__token__:drok_a%2Fb@drok.example.com/base/api/v1/packages/pypi/acme/simple/" {
		t.Errorf("PipIndexURL = %q, %v", u, err)
	}
	if _, err := PipIndexURL(Target{Server: "not a url", Org: "acme"}); err == nil {
		t.Errorf("bad server accepted")
	}
}

func pipOpts(t *testing.T, home string, env map[string]string) (*PipOptions, *iostreams.IOStreams) {
	ios, _, _, _ := iostreams.Test()
	return &PipOptions{
		CommonOptions: testCommon(ios, "http://127.0.0.1:5873", "drok_secret", home),
		Getenv:        func(k string) string { return env[k] },
	}, ios
}

// TestPipRunWritesFiles writes pip.conf and .pypirc, keeps other
// settings, is idempotent, uses mode 0600, and the real pip and twine
// read what it wrote.
func TestPipRunWritesFiles(t *testing.T) {
	home := t.TempDir()
	conf := filepath.Join(home, ".config", "pip", "pip.conf")
	rc := filepath.Join(home, ".pypirc")
	if err := os.MkdirAll(filepath.Dir(conf), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("[global]\ntimeout = 30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts, _ := pipOpts(t, home, nil)
	if err := pipRun(opts); err != nil {
		t.Fatal(err)
	}
	first := map[string]string{}
	for _, p := range []string{conf, rc} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		first[p] = string(b)
		st, _ := os.Stat(p)
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, st.Mode().Perm())
		}
	}
	if err := pipRun(opts); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{conf, rc} {
		if b, _ := os.ReadFile(p); string(b) != first[p] {
			t.Errorf("second run changed %s:\n%s\nthen:\n%s", p, first[p], b)
		}
	}
	wantConf := "[global]\ntimeout = 30\nindex-url = http://__token__:drok_secret@127.0.0.1:5873/api/v1/packages/pypi/acme/simple/\n"
	if first[conf] != wantConf {
		t.Errorf("pip.conf:\n%s\nwant:\n%s", first[conf], wantConf)
	}

	// The real clients read the files.
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 with pip and twine is required (apt-get install python3; pip install twine): %v", err)
	}
	cmd := exec.Command(py, "-m", "pip", "config", "get", "global.index-url")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIP_") && !strings.HasPrefix(kv, "VIRTUAL_ENV=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "http://__token__:drok_secret@127.0.0.1:5873/api/v1/packages/pypi/acme/simple/" {
		t.Errorf("pip config get: %v %s", err, out)
	}
	cmd = exec.Command(py, "-c", "import sys; from twine import utils; c = utils.get_repository_from_config(sys.argv[1], 'drok'); print(c['repository'], c['username'], c['password'])", rc)
	out, err = cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "http://127.0.0.1:5873/api/v1/packages/pypi/acme/ __token__ drok_secret" {
		t.Errorf("twine config: %v %s", err, out)
	}
}

func TestPipRunVenvAndExtra(t *testing.T) {
	home, venv := t.TempDir(), t.TempDir()
	opts, _ := pipOpts(t, home, map[string]string{"VIRTUAL_ENV": venv})
	opts.Venv, opts.Extra = true, true
	if err := pipRun(opts); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(venv, "pip.conf"))
	if err != nil || !strings.Contains(string(b), "extra-index-url = http://__token__:drok_secret@") || strings.Contains(string(b), "\nindex-url") {
		t.Errorf("venv pip.conf: %v\n%s", err, b)
	}
	opts, _ = pipOpts(t, home, nil)
	opts.Venv = true
	if err := pipRun(opts); err == nil || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("--venv without VIRTUAL_ENV: %v", err)
	}
}

func TestPipRunPrintHidesToken(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	opts, _ := pipOpts(t, t.TempDir(), nil)
	opts.IO, opts.Print = ios, true
	opts.HomeDir = func() (string, error) { t.Fatal("--print wrote files"); return "", nil }
	if err := pipRun(opts); err != nil {
		t.Fatal(err)
	}
	want := "export PIP_INDEX_URL=\"http://__token__:${DROK_TOKEN}@127.0.0.1:5873/api/v1/packages/pypi/acme/simple/\"\n" +
		"export TWINE_REPOSITORY_URL=\"http://127.0.0.1:5873/api/v1/packages/pypi/acme/\"\n" +
		"export TWINE_USERNAME=__token__\nexport TWINE_PASSWORD=\"${DROK_TOKEN}\"\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	if strings.Contains(out.String(), "drok_secret") {
		t.Errorf("--print leaked the token")
	}
}

func TestPipRunNotLoggedIn(t *testing.T) {
	opts, _ := pipOpts(t, t.TempDir(), nil)
	opts.Auth = func() (cmdutil.Auth, error) { return cmdutil.Auth{Server: "http://127.0.0.1:5873"}, nil }
	if code := cmdutil.ExitCode(pipRun(opts)); code != cmdutil.ExitAuth {
		t.Errorf("exit code %d, want %d", code, cmdutil.ExitAuth)
	}
}
