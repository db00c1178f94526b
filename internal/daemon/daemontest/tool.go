package daemontest

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Tool runs a real client (npm, cargo, ...) in tests with a fixed
// environment, failing the test with the client's output when it does
// not behave as expected.
type Tool struct {
	T testing.TB
	// Bin is the client's path; Env its whole environment.
	Bin string
	Env []string
	// Timeout bounds one run (default 90s).
	Timeout time.Duration
}

// Run runs the client in dir and returns its combined output.
func (c *Tool) Run(dir string, args ...string) (string, error) {
	c.T.Helper()
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 90 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Bin, args...)
	cmd.Dir = dir
	cmd.Env = c.Env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Must runs the client and fails the test unless it succeeds.
func (c *Tool) Must(dir string, args ...string) string {
	c.T.Helper()
	out, err := c.Run(dir, args...)
	if err != nil {
		c.T.Fatalf("%s %s: %v\n%s", filepath.Base(c.Bin), strings.Join(args, " "), err, out)
	}
	return out
}

// MustFail runs the client and fails the test unless it fails with
// output containing want.
func (c *Tool) MustFail(dir, want string, args ...string) string {
	c.T.Helper()
	out, err := c.Run(dir, args...)
	if err == nil {
		c.T.Fatalf("%s %s succeeded, want failure containing %q\n%s", filepath.Base(c.Bin), strings.Join(args, " "), want, out)
	}
	if !strings.Contains(out, want) {
		c.T.Fatalf("%s %s failed without %q:\n%s", filepath.Base(c.Bin), strings.Join(args, " "), want, out)
	}
	return out
}
