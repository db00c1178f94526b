package daemontest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon"
	"github.com/drok-dev/drok/internal/daemon/webhooks"
)

// WebhookRetryBase is the retry base WithWebhooks sets: failed deliveries
// are retried within a few hundred milliseconds.
const WebhookRetryBase = 100 * time.Millisecond

// WithWebhooks configures the daemon for webhook tests: private targets
// (the 127.0.0.1 HookReceiver) are allowed and retries start after at
// most WebhookRetryBase.
func WithWebhooks() Option {
	return func(c *daemon.Config) {
		c.WebhookAllowPrivate = true
		c.WebhookRetryBase = WebhookRetryBase
	}
}

// WithWebhookAllowPrivate sets whether webhooks may target loopback and
// private addresses.
func WithWebhookAllowPrivate(allow bool) Option {
	return func(c *daemon.Config) { c.WebhookAllowPrivate = allow }
}

// WithWebhookRetryBase sets the maximum delay of a webhook's first retry.
func WithWebhookRetryBase(d time.Duration) Option {
	return func(c *daemon.Config) { c.WebhookRetryBase = d }
}

// HookDelivery is one request a HookReceiver got.
type HookDelivery struct {
	// Event, DeliveryID and HookID are the X-Drok-Event, X-Drok-Delivery
	// and X-Drok-Hook-ID headers.
	Event, DeliveryID, HookID string
	Header                    http.Header
	Body                      []byte
	// Payload is Body decoded.
	Payload webhooks.Payload
	// Status is what the receiver answered.
	Status   int
	Received time.Time
}

// HookReceiver is a webhook endpoint for tests: an HTTP server on
// 127.0.0.1 (so the daemon needs WithWebhooks) that checks the
// X-Drok-Signature-256 of every request against Secret, answers 401 to a
// bad one (and fails the test when it ends), and records every request.
// It can be told to answer an error status or to drop connections.
type HookReceiver struct {
	// URL is the endpoint to register as the hook's URL.
	URL string
	// Secret is the signing secret to register with the hook.
	Secret string

	t       testing.TB
	srv     *httptest.Server
	mu      sync.Mutex
	status  int
	down    bool
	reqs    []HookDelivery
	bad     []string
	changed chan struct{}
}

// NewHookReceiver starts a receiver that verifies signatures with secret.
// It stops when the test ends.
func NewHookReceiver(t testing.TB, secret string) *HookReceiver {
	t.Helper()
	hr := &HookReceiver{Secret: secret, t: t, status: http.StatusOK, changed: make(chan struct{})}
	hr.srv = httptest.NewServer(http.HandlerFunc(hr.serve))
	hr.URL = hr.srv.URL + "/hook"
	t.Cleanup(func() {
		hr.srv.Close()
		hr.mu.Lock()
		defer hr.mu.Unlock()
		for _, b := range hr.bad {
			t.Errorf("webhook receiver: %s", b)
		}
	})
	return hr
}

func (hr *HookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	hr.mu.Lock()
	down, status := hr.down, hr.status
	hr.mu.Unlock()
	if down {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0)
				}
				conn.Close()
				return
			}
		}
		status = http.StatusBadGateway
	}
	d := HookDelivery{Event: r.Header.Get(webhooks.HeaderEvent), DeliveryID: r.Header.Get(webhooks.HeaderDelivery),
		HookID: r.Header.Get(webhooks.HeaderHookID), Header: r.Header.Clone(), Body: body, Received: time.Now()}
	var problem string
	switch {
	case err != nil:
		problem = fmt.Sprintf("read body: %v", err)
	case r.Method != http.MethodPost:
		problem = "method " + r.Method
	case !webhooks.Verify(hr.Secret, body, r.Header.Get(webhooks.HeaderSignature)):
		problem = fmt.Sprintf("delivery %s (%s): bad signature %q", d.DeliveryID, d.Event, r.Header.Get(webhooks.HeaderSignature))
	case json.Unmarshal(body, &d.Payload) != nil:
		problem = fmt.Sprintf("delivery %s: body is not JSON: %q", d.DeliveryID, body)
	}
	if problem != "" {
		status = http.StatusUnauthorized
	}
	d.Status = status
	hr.mu.Lock()
	if problem != "" {
		hr.bad = append(hr.bad, problem)
	}
	hr.reqs = append(hr.reqs, d)
	close(hr.changed)
	hr.changed = make(chan struct{})
	hr.mu.Unlock()
	w.WriteHeader(status)
	fmt.Fprintf(w, "receiver answered %d\n", status)
}

// SetStatus makes the receiver answer code (e.g. 503) from now on; 200
// restores normal service.
func (hr *HookReceiver) SetStatus(code int) {
	hr.mu.Lock()
	hr.status = code
	hr.mu.Unlock()
}

// SetDown makes the receiver drop every connection (a network error for
// the sender) until SetDown(false).
func (hr *HookReceiver) SetDown(down bool) {
	hr.mu.Lock()
	hr.down = down
	hr.mu.Unlock()
}

// Requests returns every request received so far (refused ones included,
// dropped connections excluded).
func (hr *HookReceiver) Requests() []HookDelivery {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	return append([]HookDelivery(nil), hr.reqs...)
}

// Deliveries returns the requests the receiver accepted (answered 2xx).
func (hr *HookReceiver) Deliveries() []HookDelivery {
	var out []HookDelivery
	for _, d := range hr.Requests() {
		if d.Status >= 200 && d.Status < 300 {
			out = append(out, d)
		}
	}
	return out
}

// Matching returns the accepted deliveries of event for package pkg at
// version; empty pkg or version match any.
func (hr *HookReceiver) Matching(event, pkg, version string) []HookDelivery {
	var out []HookDelivery
	for _, d := range hr.Deliveries() {
		if d.Event == event && (pkg == "" || d.Payload.Package == pkg) && (version == "" || d.Payload.Version == version) {
			out = append(out, d)
		}
	}
	return out
}

// WaitFor waits up to timeout for an accepted delivery of event for pkg
// at version (empty pkg or version match any) and returns the first one;
// it fails the test when none arrives.
func (hr *HookReceiver) WaitFor(t testing.TB, event, pkg, version string, timeout time.Duration) HookDelivery {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		hr.mu.Lock()
		changed := hr.changed
		hr.mu.Unlock()
		if m := hr.Matching(event, pkg, version); len(m) > 0 {
			return m[0]
		}
		select {
		case <-changed:
		case <-deadline.C:
			var got []string
			for _, d := range hr.Requests() {
				got = append(got, fmt.Sprintf("%s %s@%s (%d)", d.Event, d.Payload.Package, d.Payload.Version, d.Status))
			}
			t.Fatalf("no %s delivery for %s@%s within %v; received: [%s]", event, pkg, version, timeout, strings.Join(got, ", "))
			return HookDelivery{}
		}
	}
}

// CheckDelivery asserts what every webhook delivery must carry: a
// signature valid for secret, the X-Drok-Event and X-Drok-Delivery headers
// matching the payload, the payload fields of want (Event, Org,
// Repository, Ecosystem, Package, Version, Actor; HookID too when set), a
// timestamp, and no token: neither the drok_ prefix nor any of secrets.
func CheckDelivery(t testing.TB, d HookDelivery, secret string, want webhooks.Payload, secrets ...string) {
	t.Helper()
	if !webhooks.Verify(secret, d.Body, d.Header.Get(webhooks.HeaderSignature)) {
		t.Errorf("%s delivery: signature %q does not verify", want.Event, d.Header.Get(webhooks.HeaderSignature))
	}
	if d.Event != want.Event || d.Header.Get(webhooks.HeaderEvent) != want.Event || d.Payload.Event != want.Event {
		t.Errorf("event header %q payload %q, want %s", d.Event, d.Payload.Event, want.Event)
	}
	if d.DeliveryID == "" || d.Header.Get(webhooks.HeaderDelivery) != d.DeliveryID || d.Payload.Delivery != d.DeliveryID {
		t.Errorf("%s: delivery id header %q payload %q", want.Event, d.DeliveryID, d.Payload.Delivery)
	}
	p := d.Payload
	if want.HookID != "" && (p.HookID != want.HookID || d.HookID != want.HookID) {
		t.Errorf("%s: hook id payload %q header %q, want %s", want.Event, p.HookID, d.HookID, want.HookID)
	}
	if p.Org != want.Org || p.Ecosystem != want.Ecosystem || p.Package != want.Package || p.Version != want.Version ||
		p.Actor != want.Actor || p.Repository != want.Repository || p.Timestamp.IsZero() {
		t.Errorf("%s payload %+v, want %+v", want.Event, p, want)
	}
	for _, s := range append(secrets, "drok_") {
		if bytes.Contains(d.Body, []byte(s)) {
			t.Errorf("%s payload contains a credential (%.8s…): %s", want.Event, s, d.Body)
		}
	}
}
