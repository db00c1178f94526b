package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/cli"
	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// run executes drok with args against server (token "drok_test") and
// returns the exit code, stdout and stderr.
func run(t *testing.T, server string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("DROK_CONFIG_DIR", t.TempDir())
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.NewFactory(ios)
	f.Auth = func() (cmdutil.Auth, error) {
		return cmdutil.Auth{Server: server, Token: "drok_test", Source: "test"}, nil
	}
	code := cli.Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

func TestAmbiguousEcosystem(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/orgs/acme/packages" || r.URL.Query().Get("name") != "shared" {
			t.Errorf("unexpected request %s", r.URL)
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode([]client.Package{
			{Ecosystem: "npm", Org: "acme", Name: "shared"},
			{Ecosystem: "pypi", Org: "acme", Name: "shared"},
		})
	}))
	defer srv.Close()
	for _, args := range [][]string{
		{"package", "view", "shared", "--org", "acme"},
		{"package", "yank", "shared@1.0.0", "--org", "acme"},
		{"package", "delete", "shared@1.0.0", "--org", "acme", "--yes"},
		{"package", "link", "shared", "--repo", "web", "--org", "acme"},
	} {
		code, out, errOut := run(t, srv.URL, args...)
		if code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, cmdutil.ExitUsage)
		}
		if !strings.Contains(errOut, "package shared exists in several ecosystems of acme; pick one with -e npm, -e pypi") {
			t.Errorf("%v: stderr %q", args, errOut)
		}
		if out != "" {
			t.Errorf("%v: stdout %q", args, out)
		}
	}
}

func TestServerErrorsExitCodes(t *testing.T) {
	for status, want := range map[int]int{
		http.StatusUnauthorized:        cmdutil.ExitAuth,
		http.StatusForbidden:           cmdutil.ExitAuth,
		http.StatusNotFound:            cmdutil.ExitError,
		http.StatusConflict:            cmdutil.ExitError,
		http.StatusInternalServerError: cmdutil.ExitError,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"error":"nope"}`))
		}))
		code, _, errOut := run(t, srv.URL, "org", "view", "acme")
		srv.Close()
		if code != want {
			t.Errorf("%d: exit %d, want %d", status, code, want)
		}
		if !strings.Contains(errOut, "view organisation acme: nope") {
			t.Errorf("%d: stderr %q", status, errOut)
		}
	}
}

// TestGeneratedFilesUpToDate fails when docs/cli or completions/ no longer
// match the command tree: run `go generate ./internal/cli`.
func TestGeneratedFilesUpToDate(t *testing.T) {
	docs, comps := t.TempDir(), t.TempDir()
	if err := cli.GenerateDocs(docs); err != nil {
		t.Fatal(err)
	}
	if err := cli.GenerateCompletions(comps); err != nil {
		t.Fatal(err)
	}
	compare := func(generated, committed, pattern string) {
		want, _ := filepath.Glob(filepath.Join(generated, pattern))
		have, _ := filepath.Glob(filepath.Join(committed, pattern))
		if len(want) != len(have) {
			t.Errorf("%s has %d %s files, the command tree %d: run go generate ./internal/cli", committed, len(have), pattern, len(want))
		}
		for _, p := range want {
			w, _ := os.ReadFile(p)
			h, err := os.ReadFile(filepath.Join(committed, filepath.Base(p)))
			if err != nil || string(w) != string(h) {
				t.Errorf("%s is out of date: run go generate ./internal/cli", filepath.Join(committed, filepath.Base(p)))
			}
		}
	}
	compare(docs, "../../docs/cli", "drok*.md")
	compare(comps, "../../completions", "drok.*")
}
