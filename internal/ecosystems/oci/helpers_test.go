package oci_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/daemontest"
)

// tool finds a client binary on PATH or in $(go env GOPATH)/bin; a
// missing client fails the test with how to install it.
func tool(t *testing.T, name, install string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	if gopath != "" {
		p := filepath.Join(gopath, "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("%s is not installed; install it with: %s", name, install)
	return ""
}

// fixture is a daemon with org acme.
type fixture struct {
	srv  *daemontest.Server
	host string
}

func newFixture(t *testing.T, opts ...daemontest.Option) *fixture {
	t.Helper()
	srv := daemontest.Start(t, opts...)
	if _, err := srv.Client.CreateOrg(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, host: strings.TrimPrefix(srv.URL, "http://")}
}
