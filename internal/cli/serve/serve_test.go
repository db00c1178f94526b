package serve

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/config"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon"
)

func TestServeSettings(t *testing.T) {
	tests := []struct {
		name                string
		env                 map[string]string
		args                []string
		addr, data, baseURL string
	}{
		{name: "defaults", addr: config.DefaultAddr, data: "/xdg/drok"},
		{name: "env", env: map[string]string{"DROK_ADDR": "0.0.0.0:80", "DROK_DATA": "/srv/d", "DROK_BASE_URL": "https://x"},
			addr: "0.0.0.0:80", data: "/srv/d", baseURL: "https://x"},
		{name: "flags beat env", env: map[string]string{"DROK_ADDR": "0.0.0.0:80", "DROK_DATA": "/srv/d"},
			args: []string{"--addr", "127.0.0.1:0", "--data", "/flag/d", "--base-url", "https://y"},
			addr: "127.0.0.1:0", data: "/flag/d", baseURL: "https://y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_DATA_HOME", "/xdg")
			for _, k := range []string{"DROK_ADDR", "DROK_DATA", "DROK_BASE_URL"} {
				t.Setenv(k, tt.env[k])
			}
			dir := t.TempDir()
			ios, _, _, _ := iostreams.Test()
			f := &cmdutil.Factory{IOStreams: ios, Config: func() (*config.Config, error) { return config.LoadFrom(dir) }}
			var got *ServeOptions
			cmd := NewCmdServe(f, func(o *ServeOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if got.Addr != tt.addr || got.DataDir != tt.data || got.BaseURL != tt.baseURL {
				t.Errorf("got addr %q data %q base %q", got.Addr, got.DataDir, got.BaseURL)
			}
		})
	}
}

func TestServeForegroundPassesConfig(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	var got daemon.Config
	opts := &ServeOptions{
		IO:      ios,
		Ctx:     context.Background(),
		Addr:    "127.0.0.1:0",
		DataDir: filepath.Join(t.TempDir(), "d"),
		Run: func(ctx context.Context, cfg daemon.Config) error {
			got = cfg
			return nil
		},
	}
	if err := serveRun(opts); err != nil {
		t.Fatal(err)
	}
	if got.Addr != opts.Addr || got.DataDir != opts.DataDir || got.Stderr != errOut {
		t.Errorf("daemon config %+v", got)
	}
}

func TestServeWebhookAllowPrivate(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		file    string
		args    []string
		want    bool
		wantErr bool
	}{
		{name: "default off"},
		{name: "flag", args: []string{"--webhook-allow-private"}, want: true},
		{name: "env", env: "true", want: true},
		{name: "config file", file: "webhook_allow_private: true\n", want: true},
		{name: "flag false beats env", env: "true", args: []string{"--webhook-allow-private=false"}, want: false},
		{name: "env beats file", env: "false", file: "webhook_allow_private: true\n", want: false},
		{name: "bad env", env: "maybe", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_DATA_HOME", "/xdg")
			t.Setenv("DROK_WEBHOOK_ALLOW_PRIVATE", tt.env)
			dir := t.TempDir()
			if tt.file != "" {
				if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ios, _, _, _ := iostreams.Test()
			f := &cmdutil.Factory{IOStreams: ios, Config: func() (*config.Config, error) { return config.LoadFrom(dir) }}
			var got *ServeOptions
			cmd := NewCmdServe(f, func(o *ServeOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tt.wantErr {
				if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.WebhookAllowPrivate != tt.want {
				t.Errorf("WebhookAllowPrivate = %v, want %v", got.WebhookAllowPrivate, tt.want)
			}
		})
	}
}

func TestServeForegroundPassesWebhookPolicy(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got daemon.Config
	opts := &ServeOptions{IO: ios, Ctx: context.Background(), DataDir: t.TempDir(), WebhookAllowPrivate: true,
		Run: func(ctx context.Context, cfg daemon.Config) error { got = cfg; return nil }}
	if err := serveRun(opts); err != nil {
		t.Fatal(err)
	}
	if !got.WebhookAllowPrivate {
		t.Error("--webhook-allow-private did not reach the daemon configuration")
	}
}
