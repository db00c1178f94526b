// Package config reads and writes the drok CLI configuration: a YAML file
// (drok/config.yaml in the XDG config directory, or in DROK_CONFIG_DIR)
// whose keys environment variables (DROK_SERVER, DROK_ORG, DROK_ADDR,
// DROK_DATA, DROK_BASE_URL, DROK_WEBHOOK_ALLOW_PRIVATE) and command-line
// flags override.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Defaults of a local daemon.
const (
	// DefaultAddr is the listen address of `drok serve`.
	DefaultAddr = "127.0.0.1:5873"
	// DefaultServer is the server the CLI talks to when none is configured.
	DefaultServer = "http://" + DefaultAddr
)

// Configuration keys.
const (
	KeyServer  = "server"
	KeyOrg     = "org"
	KeyAddr    = "addr"
	KeyData    = "data"
	KeyBaseURL = "base_url"
	// KeyDefaultPlan is the plan of new organisations (drok serve).
	KeyDefaultPlan = "default_plan"
	// KeyAdvisoryDir is the OSV directory drok serve watches.
	KeyAdvisoryDir = "advisory_dir"
	// KeyWebhookAllowPrivate lets drok serve send webhooks to loopback and
	// private addresses.
	KeyWebhookAllowPrivate = "webhook_allow_private"
)

// Keys lists every key the configuration file may hold, with its meaning.
var Keys = []struct{ Name, Help string }{
	{KeyServer, "URL of the drok server the CLI talks to (env DROK_SERVER)"},
	{KeyOrg, "default organisation of package commands (env DROK_ORG)"},
	{KeyAddr, "listen address of drok serve (env DROK_ADDR)"},
	{KeyData, "data directory of drok serve and drok daemon (env DROK_DATA)"},
	{KeyBaseURL, "externally visible URL of drok serve (env DROK_BASE_URL)"},
	{KeyDefaultPlan, "plan of organisations without one: free, pro, organization, enterprise (env DROK_DEFAULT_PLAN)"},
	{KeyAdvisoryDir, "directory of OSV advisories drok serve imports and watches (env DROK_ADVISORY_DIR)"},
	{KeyWebhookAllowPrivate, "true lets drok serve send webhooks to private addresses (env DROK_WEBHOOK_ALLOW_PRIVATE)"},
}

// ValidKey reports whether key is a configuration key.
func ValidKey(key string) bool {
	return slices.ContainsFunc(Keys, func(k struct{ Name, Help string }) bool { return k.Name == key })
}

// Config is the merged view of flags, environment and configuration file.
type Config struct {
	v     *viper.Viper
	dir   string
	path  string
	flags map[string]*pflag.Flag
}

// Dir returns the configuration directory: DROK_CONFIG_DIR, else drok/ in
// the user's configuration directory ($XDG_CONFIG_HOME or ~/.config).
func Dir() (string, error) {
	if d := os.Getenv("DROK_CONFIG_DIR"); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find configuration directory: %w", err)
	}
	return filepath.Join(base, "drok"), nil
}

// Load reads the configuration file (a missing file is an empty one).
func Load() (*Config, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	return LoadFrom(dir)
}

// LoadFrom reads dir/config.yaml.
func LoadFrom(dir string) (*Config, error) {
	c := &Config{dir: dir, path: filepath.Join(dir, "config.yaml"), flags: map[string]*pflag.Flag{}}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) load() error {
	v, err := readFile(c.path)
	if err != nil {
		return err
	}
	v.SetEnvPrefix("DROK")
	v.AutomaticEnv()
	v.SetDefault(KeyServer, DefaultServer)
	v.SetDefault(KeyAddr, DefaultAddr)
	for key, f := range c.flags {
		if err := v.BindPFlag(key, f); err != nil {
			return fmt.Errorf("bind --%s: %w", f.Name, err)
		}
	}
	c.v = v
	return nil
}

func readFile(path string) (*viper.Viper, error) {
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	v.SetConfigPermissions(0o600)
	if err := v.ReadInConfig(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return v, nil
}

// Dir is the configuration directory.
func (c *Config) Dir() string { return c.dir }

// Path is the configuration file.
func (c *Config) Path() string { return c.path }

// BindFlag makes flag, when set on the command line, override key.
func (c *Config) BindFlag(key string, flag *pflag.Flag) {
	if flag != nil {
		c.flags[key] = flag
		_ = c.v.BindPFlag(key, flag)
	}
}

// Get returns the value of key: flag, environment, file, default.
func (c *Config) Get(key string) string { return c.v.GetString(key) }

// Value returns the value in effect for key, computed defaults included
// (the data directory).
func (c *Config) Value(key string) string {
	if key == KeyData {
		d, _ := c.DataDir()
		return d
	}
	return c.Get(key)
}

// FileValue returns the value of key in the configuration file alone.
func (c *Config) FileValue(key string) (string, error) {
	v, err := readFile(c.path)
	if err != nil {
		return "", err
	}
	return v.GetString(key), nil
}

// Server is the URL of the drok server, without a trailing slash.
func (c *Config) Server() string { return NormalizeServer(c.Get(KeyServer)) }

// Org is the default organisation ("" when none).
func (c *Config) Org() string { return c.Get(KeyOrg) }

// DataDir is the daemon's data directory: the data key, else
// $XDG_DATA_HOME/drok, else ~/.local/share/drok.
func (c *Config) DataDir() (string, error) {
	if d := c.Get(KeyData); d != "" {
		return d, nil
	}
	return DefaultDataDir()
}

// DefaultDataDir is $XDG_DATA_HOME/drok, else ~/.local/share/drok.
func DefaultDataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "drok"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find data directory: %w", err)
	}
	return filepath.Join(home, ".local", "share", "drok"), nil
}

// Set stores key=value in the configuration file (created 0600). Values
// coming from the environment or flags are not written.
func (c *Config) Set(key, value string) error {
	return c.update(func(m map[string]any) { m[key] = value })
}

// Unset removes key from the configuration file.
func (c *Config) Unset(key string) error {
	return c.update(func(m map[string]any) { delete(m, key) })
}

func (c *Config) update(change func(map[string]any)) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", c.dir, err)
	}
	old, err := readFile(c.path)
	if err != nil {
		return err
	}
	settings := old.AllSettings()
	change(settings)
	v := viper.New()
	v.SetConfigType("yaml")
	v.SetConfigPermissions(0o600)
	if err := v.MergeConfigMap(settings); err != nil {
		return fmt.Errorf("update %s: %w", c.path, err)
	}
	if err := v.WriteConfigAs(c.path); err != nil {
		return fmt.Errorf("write %s: %w", c.path, err)
	}
	if err := os.Chmod(c.path, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", c.path, err)
	}
	return c.load()
}

// NormalizeServer trims spaces and trailing slashes and adds http:// to a
// bare host:port.
func NormalizeServer(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if s != "" && !strings.Contains(s, "://") {
		s = "http://" + s
	}
	return s
}
