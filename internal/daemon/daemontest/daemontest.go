// Package daemontest starts an in-process drok daemon on a loopback port
// with a fresh data directory, for tests that drive real clients.
package daemontest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// Server is a running test daemon.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string
	// AdminToken is the initial admin token (all scopes).
	AdminToken string
	// Client is authenticated as the admin.
	Client *client.Client
	// DataDir is the daemon's data directory.
	DataDir string

	cancel context.CancelFunc
	done   chan error
}

// Option changes the daemon configuration before start.
type Option func(*daemon.Config)

// WithMaxBody sets the request body limit.
func WithMaxBody(n int64) Option { return func(c *daemon.Config) { c.MaxBodyBytes = n } }

// WithMaxUpload sets the limit of bodies ecosystems stream to disk.
func WithMaxUpload(n int64) Option { return func(c *daemon.Config) { c.MaxUploadBytes = n } }

// WithGC sets how often the daemon collects garbage by itself and the
// grace period it keeps.
func WithGC(interval, grace time.Duration) Option {
	return func(c *daemon.Config) { c.GCInterval, c.GCGrace = interval, grace }
}

// WithIdleReadTimeout sets how long a request body may stall.
func WithIdleReadTimeout(d time.Duration) Option {
	return func(c *daemon.Config) { c.IdleReadTimeout = d }
}

// Start starts a daemon that is stopped when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return StartIn(t, t.TempDir(), opts...)
}

// StartIn starts a daemon on an existing data directory (to test restarts).
func StartIn(t testing.TB, dir string, opts ...Option) *Server {
	t.Helper()
	logLevel := slog.LevelWarn
	if os.Getenv("DROK_TEST_DEBUG") != "" {
		logLevel = slog.LevelDebug
	}
	cfg := daemon.Config{
		Addr:    "127.0.0.1:0",
		DataDir: dir,
		Stderr:  io.Discard,
		Logger:  slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel})),
	}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := daemon.New(cfg)
	if err != nil {
		t.Fatalf("start daemon: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &Server{URL: s.BaseURL, DataDir: dir, cancel: cancel, done: make(chan error, 1)}
	go func() { srv.done <- s.Serve(ctx) }()
	tok, err := os.ReadFile(filepath.Join(dir, daemon.AdminTokenFile))
	if err != nil {
		t.Fatalf("read admin token: %v", err)
	}
	srv.AdminToken = strings.TrimSpace(string(tok))
	srv.Client = client.New(srv.URL, srv.AdminToken)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := srv.Client.Health(context.Background()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon at %s never became healthy", srv.URL)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Cleanup(srv.Stop)
	return srv
}

// Stop shuts the daemon down (idempotent).
func (s *Server) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.cancel = nil
}

// As returns a client for the same server with another token ("" = anonymous).
func (s *Server) As(token string) *client.Client { return client.New(s.URL, token) }

// WithAdvisoryDir makes the daemon import and watch an OSV directory,
// checking it every poll.
func WithAdvisoryDir(dir string, poll time.Duration) Option {
	return func(c *daemon.Config) { c.AdvisoryDir, c.AdvisoryPollInterval = dir, poll }
}
