package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
)

func TestDefaultsEnvFileFlag(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DROK_SERVER", "")
	t.Setenv("DROK_ORG", "")
	c, err := LoadFrom(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Server(); got != DefaultServer {
		t.Errorf("default server = %q", got)
	}
	if err := c.Set(KeyServer, "http://file:1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(KeyOrg, "acme"); err != nil {
		t.Fatal(err)
	}
	if got := c.Server(); got != "http://file:1" {
		t.Errorf("file server = %q", got)
	}
	st, err := os.Stat(filepath.Join(dir, "config.yaml"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v, %v; want mode 0600", st, err)
	}

	t.Setenv("DROK_SERVER", "http://env:2/")
	c, err = LoadFrom(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Server(); got != "http://env:2" {
		t.Errorf("env server = %q", got)
	}
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.String("server", "", "")
	c.BindFlag(KeyServer, fs.Lookup("server"))
	if got := c.Server(); got != "http://env:2" {
		t.Errorf("unset flag overrode env: %q", got)
	}
	if err := fs.Parse([]string{"--server", "flag:3"}); err != nil {
		t.Fatal(err)
	}
	if got := c.Server(); got != "http://flag:3" {
		t.Errorf("flag server = %q", got)
	}

	// Writing with DROK_SERVER set must not persist the environment value.
	if err := c.Set(KeyOrg, "other"); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.FileValue(KeyServer); v != "http://file:1" {
		t.Errorf("file server after Set = %q", v)
	}
	if got := c.Server(); got != "http://flag:3" {
		t.Errorf("flag lost after Set: %q", got)
	}
	if err := c.Unset(KeyOrg); err != nil {
		t.Fatal(err)
	}
	if got := c.Org(); got != "" {
		t.Errorf("org after Unset = %q", got)
	}
}

func TestNormalizeServer(t *testing.T) {
	for in, want := range map[string]string{
		"http://a:1/":           "http://a:1",
		" https://drok.ex/x// ": "https://drok.ex/x",
		"127.0.0.1:5873":        "http://127.0.0.1:5873",
		"":                      "",
	} {
		if got := NormalizeServer(in); got != want {
			t.Errorf("NormalizeServer(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDataDir(t *testing.T) {
	t.Setenv("DROK_DATA", "")
	t.Setenv("XDG_DATA_HOME", "/xdg")
	c, err := LoadFrom(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := c.DataDir(); d != "/xdg/drok" {
		t.Errorf("DataDir = %q", d)
	}
	t.Setenv("DROK_DATA", "/srv/drok")
	if d, _ := c.DataDir(); d != "/srv/drok" {
		t.Errorf("DataDir with DROK_DATA = %q", d)
	}
}
