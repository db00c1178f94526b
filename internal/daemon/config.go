package daemon

import (
	"io"
	"log/slog"
	"time"
)

// DefaultPort is the port drok listens on unless told otherwise.
const DefaultPort = 5873

// Config configures one daemon.
type Config struct {
	// Addr is the listen address (host:port); default 127.0.0.1:5873.
	Addr string
	// DataDir holds the bbolt index, blobs, pid file and logs.
	DataDir string
	// BaseURL is the externally visible URL; default http://Addr.
	BaseURL string
	// Stderr receives the one-time admin token banner.
	Stderr io.Writer
	// Logger receives structured logs; nil logs text to Stderr.
	Logger *slog.Logger
	// MaxBodyBytes caps request bodies (publishes); default 1 GiB.
	MaxBodyBytes int64
	// MaxUploadBytes caps the bodies ecosystems stream straight to disk
	// (ecosystems.LargeBodies: OCI layer uploads); default 32 GiB.
	MaxUploadBytes int64
	// IdleReadTimeout ends a request whose body sends nothing for this
	// long; default 60s.
	IdleReadTimeout time.Duration
	// GCInterval is how often garbage collection runs by itself; default
	// 1h, negative disables it.
	GCInterval time.Duration
	// GCGrace is the minimum age of what garbage collection removes;
	// default 1h.
	GCGrace time.Duration
	// DefaultPlan is the plan of organisations without one; default free.
	DefaultPlan string
	// AdvisoryDir, when set, is a directory of OSV advisories (JSON files
	// or .zip exports) the daemon imports at start and whenever it changes.
	AdvisoryDir string
	// AdvisoryPollInterval is how often AdvisoryDir is checked; default 1m.
	AdvisoryPollInterval time.Duration
	// WebhookAllowPrivate lets webhooks target loopback, private
	// (10/8, 172.16/12, 192.168/16, fc00::/7) and CGNAT (100.64/10)
	// addresses. Link-local and cloud metadata addresses are always
	// refused.
	WebhookAllowPrivate bool
	// WebhookRetryBase is the maximum delay before the first retry of a
	// failed webhook delivery; later retries double it up to one hour.
	// Default 10s.
	WebhookRetryBase time.Duration
	// Ready, when set, is called with the bound address once serving.
	Ready func(addr string)
}
