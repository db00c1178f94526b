// Package daemon is drok's registry server: it opens the data directory,
// authenticates requests, mounts every ecosystem's protocol handler and the
// REST API, and shuts down gracefully.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/drok-dev/drok/internal/daemon/api"
	"github.com/drok-dev/drok/internal/daemon/webhooks"
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/onewrite"
	"github.com/drok-dev/drok/internal/store"
	"github.com/drok-dev/drok/internal/store/blob"
	"github.com/drok-dev/drok/internal/store/bolt"
)

// Version is the drok version, set at build time with -ldflags.
var Version = "dev"

// Files inside the data directory.
const (
	IndexFile        = "index.db"
	BlobDir          = "blobs"
	PidFile          = "drok.pid"
	AddrFile         = "drok.addr"
	ListenFile       = "drok.listen"
	LogFile          = "drok.log"
	AdminTokenFile   = "initial-admin-token"
	defaultMaxBody   = 1 << 30
	defaultMaxUpload = 32 << 30
	flushInterval    = 5 * time.Second
	shutdownDeadline = 15 * time.Second
)

// Server is a configured, listening daemon.
type Server struct {
	cfg      Config
	log      *slog.Logger
	index    *bolt.Index
	pipeline *ecosystems.Pipeline
	tokens   *api.Tokens
	webhooks *webhooks.Service
	http     *http.Server
	mux      *http.ServeMux          // all routes
	packages map[string]http.Handler // ecosystem → handler of /api/v1/packages/{eco}/{org}/
	ln       net.Listener
	// BaseURL is the externally visible URL.
	BaseURL string
}

// Run starts a daemon with cfg and serves until ctx is cancelled, then
// shuts down gracefully.
func Run(ctx context.Context, cfg Config) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}

// New opens the data directory and binds the listener; Serve serves.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:" + strconv.Itoa(DefaultPort)
	}
	if cfg.DataDir == "" {
		return nil, errors.New("no data directory configured")
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = defaultMaxBody
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = defaultMaxUpload
	}
	if cfg.IdleReadTimeout <= 0 {
		cfg.IdleReadTimeout = 60 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(cfg.Stderr, nil))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	idx, err := bolt.Open(filepath.Join(cfg.DataDir, IndexFile), 300*time.Millisecond)
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			pid, _ := os.ReadFile(filepath.Join(cfg.DataDir, PidFile))
			msg := fmt.Sprintf("another drok daemon is already using the data directory %s", cfg.DataDir)
			if p := strings.TrimSpace(string(pid)); p != "" {
				msg += " (pid " + p + ")"
			}
			return nil, fmt.Errorf("%s; stop it with `drok daemon stop` or choose another --data: %w", msg, store.ErrLocked)
		}
		return nil, err
	}
	blobs, err := blob.Open(filepath.Join(cfg.DataDir, BlobDir))
	if err != nil {
		idx.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		idx.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	s := &Server{cfg: cfg, log: log, index: idx, ln: onewrite.Listen(ln), BaseURL: base,
		pipeline: ecosystems.NewPipeline(idx, blobs), tokens: api.NewTokens(idx)}
	if cfg.DefaultPlan != "" {
		if _, ok := ecosystems.LookupPlan(cfg.DefaultPlan); !ok {
			ln.Close()
			idx.Close()
			return nil, fmt.Errorf("default plan %q is not one of %s", cfg.DefaultPlan, strings.Join(ecosystems.PlanNames(), ", "))
		}
		s.pipeline.DefaultPlan = cfg.DefaultPlan
	}
	s.webhooks = webhooks.New(idx, webhooks.Options{
		Policy:    webhooks.Policy{AllowPrivate: cfg.WebhookAllowPrivate},
		RetryBase: cfg.WebhookRetryBase,
		UserAgent: "drok-Hookshot/" + Version,
		Log:       log,
	})
	if err := s.bootstrap(context.Background()); err != nil {
		ln.Close()
		idx.Close()
		return nil, err
	}
	s.http = &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ConnContext:       onewrite.ConnContext,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if err := s.pipeline.LoadAdvisories(context.Background()); err != nil {
		ln.Close()
		idx.Close()
		return nil, err
	}
	return s, nil
}

// Addr is the bound listen address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until ctx is cancelled.
func (s *Server) Serve(ctx context.Context) error {
	pidPath := filepath.Join(s.cfg.DataDir, PidFile)
	addrPath := filepath.Join(s.cfg.DataDir, AddrFile)
	_ = os.WriteFile(pidPath, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	listenPath := filepath.Join(s.cfg.DataDir, ListenFile)
	_ = os.WriteFile(addrPath, []byte(s.BaseURL+"\n"), 0o600)
	_ = os.WriteFile(listenPath, []byte(s.Addr()+"\n"), 0o600)
	defer os.Remove(pidPath)
	defer os.Remove(addrPath)
	defer os.Remove(listenPath)

	tuneGC()
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	s.log.Info("drok serving", "addr", s.Addr(), "base_url", s.BaseURL, "data", s.cfg.DataDir, "version", Version)
	if s.cfg.Ready != nil {
		s.cfg.Ready(s.Addr())
	}

	tick := time.NewTicker(flushInterval)
	defer tick.Stop()
	gcEvery := s.cfg.GCInterval
	if gcEvery == 0 {
		gcEvery = time.Hour
	}
	var gcTick <-chan time.Time
	if gcEvery > 0 {
		t := time.NewTicker(gcEvery)
		defer t.Stop()
		gcTick = t.C
	}
	gcDone := make(chan struct{}, 1)
	gcDone <- struct{}{}
	if s.cfg.AdvisoryDir != "" {
		go s.watchAdvisories(ctx)
	}
	// Webhooks run until the HTTP server has stopped, so that events of
	// the last requests are dispatched; sends in flight are cut short and
	// stay due for the next start.
	hooksCtx, stopHooks := context.WithCancel(context.Background())
	defer stopHooks()
	hooksDone := make(chan struct{})
	go func() { defer close(hooksDone); s.webhooks.Run(hooksCtx) }()
	var serveErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-errc:
			serveErr = err
			break loop
		case <-tick.C:
			s.flush(context.Background())
		case <-gcTick:
			select {
			case <-gcDone: // not running: start one
				go func() {
					defer func() { gcDone <- struct{}{} }()
					s.collectGarbage(ctx)
				}()
			default:
			}
		}
	}
	s.log.Info("drok shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownDeadline)
	defer cancel()
	if err := s.http.Shutdown(sctx); err != nil {
		s.log.Warn("shutdown", "err", err)
	}
	<-gcDone // a collection in progress stops at its next check of ctx
	stopHooks()
	<-hooksDone
	s.flush(context.Background())
	if err := s.index.Close(); err != nil {
		return fmt.Errorf("close index: %w", err)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	return nil
}

// collectGarbage is the periodic garbage collection run.
func (s *Server) collectGarbage(ctx context.Context) {
	grace := s.cfg.GCGrace
	if grace <= 0 {
		grace = ecosystems.DefaultGCGrace
	}
	res, err := s.pipeline.CollectGarbage(ctx, grace, false)
	if err != nil {
		s.log.Warn("garbage collection", "err", err)
		return
	}
	if res.BlobsDeleted > 0 || res.UploadsExpired > 0 || res.RecordsDropped > 0 {
		s.log.Info("garbage collection", "blobs_deleted", res.BlobsDeleted, "bytes_freed", res.BytesFreed,
			"links_dropped", res.RecordsDropped, "uploads_expired", res.UploadsExpired)
	}
}

func (s *Server) flush(ctx context.Context) {
	if err := s.pipeline.FlushDownloads(ctx); err != nil {
		s.log.Warn("flush download counters", "err", err)
	}
	if err := s.tokens.Flush(ctx); err != nil {
		s.log.Warn("flush token last-used times", "err", err)
	}
}

// bootstrap creates the admin user and an admin token on a fresh data
// directory, prints the token once and writes it to initial-admin-token.
// The file is written before the index commits, so a crash in between
// leaves no admin without a token file: the next start bootstraps again.
func (s *Server) bootstrap(ctx context.Context) error {
	path := filepath.Join(s.cfg.DataDir, AdminTokenFile)
	var secret string
	err := s.index.Update(ctx, func(tx store.Tx) error {
		users, err := tx.Users()
		if err != nil || len(users) > 0 {
			return err
		}
		if err := tx.PutUser(store.User{Name: "admin", Admin: true, Created: time.Now().UTC()}); err != nil {
			return err
		}
		_, secret, err = s.tokens.Create(tx, "admin", "initial-admin", api.AllScopes, 0)
		if err != nil {
			return err
		}
		return writeFileSync(path, []byte(secret+"\n"))
	})
	if err != nil || secret == "" {
		if err != nil && secret != "" {
			os.Remove(path)
		}
		return err
	}
	if f, ok := s.cfg.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(s.cfg.Stderr, "\ndrok: created user \"admin\" with an admin token (shown once, also saved to %s):\n\n    %s\n\n", path, secret)
	} else {
		// Not a terminal (a log file, a pipe): never write the secret there.
		fmt.Fprintf(s.cfg.Stderr, "drok: created user \"admin\"; its admin token is in %s (mode 0600)\n", path)
	}
	fmt.Fprintf(s.cfg.Stderr, "Log in with: drok login --server %s --with-token < %s\n", s.BaseURL, path)
	return nil
}

// writeFileSync writes data to path (mode 0600) through a synced
// temporary file and a rename.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
