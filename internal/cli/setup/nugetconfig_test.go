package setup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

func TestMergeNuGetConfig(t *testing.T) {
	src := NuGetSource{Name: "drok-acme", URL: "http://127.0.0.1:5873/api/v1/packages/nuget/acme/index.json", Username: "drok", Password: "drok_new"}
	const fresh = `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="drok-acme" value="http://127.0.0.1:5873/api/v1/packages/nuget/acme/index.json" protocolVersion="3" />
  </packageSources>
  <packageSourceCredentials>
    <drok-acme>
      <add key="Username" value="drok" />
      <add key="ClearTextPassword" value="drok_new" />
    </drok-acme>
  </packageSourceCredentials>
</configuration>
`
	tests := []struct {
		name, existing string
		check          func(t *testing.T, got string)
	}{
		{name: "empty file", existing: "", check: func(t *testing.T, got string) {
			if got != fresh {
				t.Errorf("got:\n%s\nwant:\n%s", got, fresh)
			}
		}},
		{name: "idempotent", existing: fresh, check: func(t *testing.T, got string) {
			if got != fresh {
				t.Errorf("second merge changed the file:\n%s", got)
			}
		}},
		{name: "keeps other sources, comments and settings", existing: `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <!-- mine -->
  <config><add key="globalPackagesFolder" value="/p" /></config>
  <packageSources>
    <clear />
    <add key="other" value="https://nuget.example/v3/index.json" />
    <add key="DROK-ACME" value="http://old/index.json" />
  </packageSources>
  <packageSourceCredentials>
    <other><add key="Username" value="u" /><add key="ClearTextPassword" value="keep &amp; safe" /></other>
    <drok-acme><add key="Username" value="drok" /><add key="ClearTextPassword" value="drok_old" /></drok-acme>
  </packageSourceCredentials>
</configuration>`, check: func(t *testing.T, got string) {
			for _, want := range []string{"<!-- mine -->", `<add key="globalPackagesFolder" value="/p" />`, "<clear />",
				`<add key="other" value="https://nuget.example/v3/index.json" />`, `value="keep &amp; safe"`,
				`<add key="drok-acme" value="http://127.0.0.1:5873/api/v1/packages/nuget/acme/index.json" protocolVersion="3" />`,
				`<add key="ClearTextPassword" value="drok_new" />`} {
				if !strings.Contains(got, want) {
					t.Errorf("missing %s in:\n%s", want, got)
				}
			}
			for _, gone := range []string{"http://old/", "drok_old", "DROK-ACME"} {
				if strings.Contains(got, gone) {
					t.Errorf("%s still in:\n%s", gone, got)
				}
			}
			if strings.Index(got, "<clear />") > strings.Index(got, `key="drok-acme"`) {
				t.Errorf("drok's source must come after <clear />:\n%s", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MergeNuGetConfig([]byte(tt.existing), src)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, string(got))
		})
	}
	for _, bad := range []string{"<configuration><packageSources></configuration>", "<settings/>"} {
		if _, err := MergeNuGetConfig([]byte(bad), src); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := MergeNuGetConfig(nil, NuGetSource{Name: "1 bad"}); err == nil {
		t.Error("invalid source name accepted")
	}
}

func nugetOpts(t *testing.T, home string) *NuGetOptions {
	ios, _, _, _ := iostreams.Test()
	return &NuGetOptions{
		CommonOptions: testCommon(ios, "http://127.0.0.1:5873", "drok_secret", home),
		WorkDir:       func() (string, error) { t.Fatal("WorkDir used without --project"); return "", nil },
		GOOS:          "linux",
	}
}

func TestNuGetRunWritesUserConfig(t *testing.T) {
	home := t.TempDir()
	if err := nugetRun(nugetOpts(t, home)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, ".nuget", "NuGet", "NuGet.Config")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `value="http://127.0.0.1:5873/api/v1/packages/nuget/acme/index.json"`) ||
		!strings.Contains(string(data), `<add key="ClearTextPassword" value="drok_secret" />`) {
		t.Errorf("config:\n%s", data)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if err := nugetRun(nugetOpts(t, home)); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(path)
	if string(again) != string(data) {
		t.Errorf("second run changed the file:\n%s", again)
	}
}

func TestNuGetRunPrintHidesToken(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	opts := nugetOpts(t, t.TempDir())
	opts.IO, opts.Print, opts.Name = ios, true, "corp"
	if err := nugetRun(opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `<add key="ClearTextPassword" value="%DROK_TOKEN%" />`) || strings.Contains(out.String(), "drok_secret") ||
		!strings.Contains(out.String(), "<corp>") {
		t.Errorf("printed:\n%s", out)
	}
}

func TestNuGetRunNotLoggedIn(t *testing.T) {
	opts := nugetOpts(t, t.TempDir())
	opts.Auth = func() (cmdutil.Auth, error) { return cmdutil.Auth{Server: "http://127.0.0.1:5873"}, nil }
	if code := cmdutil.ExitCode(nugetRun(opts)); code != cmdutil.ExitAuth {
		t.Errorf("exit code %d, want %d", code, cmdutil.ExitAuth)
	}
}
