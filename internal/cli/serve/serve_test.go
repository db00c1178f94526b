package serve

import (
	"context"
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
