package daemontest

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon"
)

// childEnv names the data directory a test binary started by StartChild
// serves as a daemon.
const childEnv = "DROK_TEST_CHILD_DAEMON_DATA"

// childWebhooksEnv, when set, makes the child daemon run as WithWebhooks.
const childWebhooksEnv = "DROK_TEST_CHILD_WEBHOOKS"

// ChildOption changes how StartChild configures the child daemon.
type ChildOption string

// ChildWebhooks configures the child daemon like WithWebhooks (private
// webhook targets allowed, short retries).
const ChildWebhooks ChildOption = "webhooks"

// RunChild makes the test binary act as a daemon child process when
// StartChild started it, so that a test can kill -9 a real daemon. Call
// it first in TestMain: it never returns in a child.
func RunChild() {
	dir := os.Getenv(childEnv)
	if dir == "" {
		return
	}
	cfg := daemon.Config{Addr: "127.0.0.1:0", DataDir: dir, Stderr: io.Discard}
	if os.Getenv(childWebhooksEnv) != "" {
		WithWebhooks()(&cfg)
	}
	if err := daemon.Run(context.Background(), cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// StartChild starts the test binary (whose TestMain calls RunChild) as a
// daemon on dir (configured by opts) and returns the process and its address once it serves.
// The process is killed when the test ends.
func StartChild(t testing.TB, dir string, opts ...ChildOption) (*exec.Cmd, string) {
	t.Helper()
	_ = os.Remove(filepath.Join(dir, daemon.AddrFile))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	for _, o := range opts {
		if o == ChildWebhooks {
			cmd.Env = append(cmd.Env, childWebhooksEnv+"=1")
		}
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, daemon.AddrFile)); err == nil && len(b) > 0 {
			return cmd, strings.TrimSpace(string(b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("child daemon never wrote its address")
	return nil, ""
}
