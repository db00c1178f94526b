package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/config"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/cli/keyring"
	"github.com/drok-dev/drok/internal/daemon/client"
)

func whoamiServer(t *testing.T, token string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid, expired or revoked token"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(client.Whoami{
			User:  client.User{Name: "alice"},
			Token: client.Token{Name: "laptop", Scopes: []string{"package:read"}},
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func loginOpts(t *testing.T, ios *iostreams.IOStreams, server string) (*LoginOptions, *config.Config, *keyring.Store) {
	t.Setenv("DROK_SERVER", server)
	t.Setenv("DROK_TOKEN", "")
	cfg, err := config.LoadFrom(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ks := &keyring.Store{File: filepath.Join(cfg.Dir(), "tokens.json")}
	return &LoginOptions{
		IO:        ios,
		Config:    func() (*config.Config, error) { return cfg, nil },
		Keyring:   func() (*keyring.Store, error) { return ks, nil },
		NewClient: client.New,
		Ctx:       context.Background(),
	}, cfg, ks
}

func TestLoginPromptsOnTerminal(t *testing.T) {
	srv := whoamiServer(t, "drok_good")
	ios, in, out, errOut := iostreams.Test()
	ios.SetStdinTTY(true)
	ios.SetStderrTTY(true)
	in.WriteString("drok_good\n")
	opts, cfg, ks := loginOpts(t, ios, srv.URL)
	if err := loginRun(opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "Paste a drok token for "+srv.URL) {
		t.Errorf("no prompt: %q", errOut)
	}
	if strings.Contains(errOut.String()+out.String(), "drok_good") {
		t.Errorf("token echoed: %q %q", out, errOut)
	}
	if !strings.Contains(errOut.String(), "plain file") {
		t.Errorf("no plain-file warning: %q", errOut)
	}
	if tok, _, err := ks.Get(srv.URL); err != nil || tok != "drok_good" {
		t.Errorf("stored token %q, %v", tok, err)
	}
	if v, _ := cfg.FileValue(config.KeyServer); v != srv.URL {
		t.Errorf("configured server %q, want %q", v, srv.URL)
	}
}

func TestLoginRejectedToken(t *testing.T) {
	srv := whoamiServer(t, "drok_good")
	ios, in, _, _ := iostreams.Test()
	in.WriteString("drok_bad\n")
	opts, _, ks := loginOpts(t, ios, srv.URL)
	opts.WithToken = true
	err := loginRun(opts)
	if cmdutil.ExitCode(err) != cmdutil.ExitAuth {
		t.Fatalf("error %v, want an auth error", err)
	}
	if _, _, err := ks.Get(srv.URL); err == nil {
		t.Errorf("rejected token stored")
	}
}

func TestLoginNeedsWithTokenOnPipe(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := NewCmdLogin(&cmdutil.Factory{IOStreams: ios}, func(*LoginOptions) error { t.Fatal("ran"); return nil })
	cmd.SetArgs(nil)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if code := cmdutil.ExitCode(cmd.Execute()); code != cmdutil.ExitUsage {
		t.Errorf("exit %d, want %d", code, cmdutil.ExitUsage)
	}
}
