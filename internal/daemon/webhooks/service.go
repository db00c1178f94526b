package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/drok-dev/drok/internal/store"
)

// Retry schedule defaults. The n-th retry (after n failed attempts) waits
// a random duration in [base/10, min(MaxBackoff, base·2^(n-1))] (full
// jitter). With the default base of 10s the caps run 10s, 20s, 40s, …,
// 2560s and then 1h; after MaxAttempts failed attempts a delivery is
// marked failed. The expected time to give up is about 8 hours, at most
// about 15.5 hours.
const (
	DefaultRetryBase   = 10 * time.Second
	MaxBackoff         = time.Hour
	MaxAttempts        = 24
	DefaultTimeout     = 10 * time.Second
	DefaultConcurrency = 4
	defaultPoll        = 200 * time.Millisecond
	dispatchBatch      = 100
)

// Backoff returns the wait before the next attempt of a delivery that has
// failed attempts times (attempts ≥ 1), drawn with rnd (rnd(n) returns a
// value in [0, n)).
func Backoff(base time.Duration, attempts int, rnd func(int64) int64) time.Duration {
	if base <= 0 {
		base = DefaultRetryBase
	}
	ceiling := MaxBackoff
	if base > ceiling {
		ceiling = base
	}
	limit := base
	for i := 1; i < attempts && limit < ceiling; i++ {
		limit *= 2
	}
	limit = min(limit, ceiling)
	floor := base / 10
	return floor + time.Duration(rnd(int64(limit-floor)+1))
}

// Options configure a Service.
type Options struct {
	// Policy decides which addresses deliveries may connect to.
	Policy Policy
	// Resolver resolves hook hosts at create time (nil: the system's).
	Resolver Resolver
	// RetryBase is the first retry's maximum delay (default 10s).
	RetryBase time.Duration
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration
	// Concurrency bounds the sends in flight (default 4).
	Concurrency int
	// Poll is how often the outbox and the due deliveries are checked
	// when nothing wakes the service (default 200ms).
	Poll time.Duration
	// UserAgent is sent with every delivery.
	UserAgent string
	// Log receives delivery failures; never secrets.
	Log *slog.Logger
}

// Service dispatches outbox events to hooks and sends the deliveries.
type Service struct {
	idx    store.Index
	opts   Options
	client *http.Client
	wake   chan struct{}

	mu       sync.Mutex
	inflight map[string]bool
	wg       sync.WaitGroup
}

// New returns a Service over idx; Run starts it.
func New(idx store.Index, opts Options) *Service {
	if opts.RetryBase <= 0 {
		opts.RetryBase = DefaultRetryBase
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Poll <= 0 {
		opts.Poll = defaultPoll
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "drok-Hookshot/dev"
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{idx: idx, opts: opts, client: opts.Policy.Client(opts.Timeout),
		wake: make(chan struct{}, 1), inflight: map[string]bool{}}
}

// ValidateURL checks a hook URL against the service's policy (see
// Policy.ValidateURL).
func (s *Service) ValidateURL(ctx context.Context, raw string) (string, error) {
	return s.opts.Policy.ValidateURL(ctx, s.opts.Resolver, raw)
}

// Notify wakes the service: call it after committing events, pings or
// redeliveries so they go out without waiting for the next poll.
func (s *Service) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run dispatches and sends until ctx is cancelled, then waits for the
// sends in flight to stop. A send interrupted by the cancellation is not
// counted as an attempt: its delivery stays due and goes out after the
// next start.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.opts.Poll)
	defer tick.Stop()
	for {
		if err := s.dispatch(ctx); err != nil && ctx.Err() == nil {
			s.opts.Log.Warn("webhook dispatch", "err", err)
		}
		if err := s.startDue(ctx); err != nil && ctx.Err() == nil {
			s.opts.Log.Warn("webhook deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			s.wg.Wait()
			return
		case <-tick.C:
		case <-s.wake:
		}
	}
}

// dispatch turns every outbox event after the cursor into deliveries. It
// opens a write transaction only when there is something to dispatch.
func (s *Service) dispatch(ctx context.Context) error {
	for {
		pending := false
		err := s.idx.View(ctx, func(tx store.Tx) error {
			cur, err := Cursor(tx)
			if err != nil {
				return err
			}
			evs, err := tx.EventsAfter(cur, 1)
			pending = len(evs) > 0
			return err
		})
		if err != nil || !pending {
			return err
		}
		var n int
		err = s.idx.Update(ctx, func(tx store.Tx) error {
			var err error
			n, _, err = Dispatch(tx, dispatchBatch, time.Now().UTC())
			return err
		})
		if err != nil {
			return fmt.Errorf("dispatch outbox events: %w", err)
		}
		if n < dispatchBatch {
			return nil
		}
	}
}

// startDue starts a send for every due delivery, up to the concurrency
// limit.
func (s *Service) startDue(ctx context.Context) error {
	s.mu.Lock()
	free := s.opts.Concurrency - len(s.inflight)
	s.mu.Unlock()
	if free <= 0 {
		return nil
	}
	var refs []dueRef
	err := s.idx.View(ctx, func(tx store.Tx) error {
		var err error
		refs, err = due(tx, time.Now(), free, func(id string) bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.inflight[id]
		})
		return err
	})
	if err != nil {
		return err
	}
	for _, ref := range refs {
		s.mu.Lock()
		s.inflight[ref.id] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.send(ctx, ref)
			s.mu.Lock()
			delete(s.inflight, ref.id)
			s.mu.Unlock()
			s.Notify()
		}()
	}
	return nil
}

// attempt is the outcome of one send.
type attempt struct {
	code    int
	excerpt string
	err     error
}

func (a attempt) ok() bool { return a.err == nil && a.code >= 200 && a.code < 300 }

// send makes one attempt of the delivery ref names and records it.
func (s *Service) send(ctx context.Context, ref dueRef) {
	var d Delivery
	var h Hook
	missing := false
	err := s.idx.View(ctx, func(tx store.Tx) error {
		var err error
		if d, err = GetDelivery(tx, ref.hookID, ref.id); errors.Is(err, store.ErrNotFound) {
			missing = true
			return nil
		} else if err != nil {
			return err
		}
		a, _ := auxOf(tx)
		h, err = hookByID(a, d.HookID)
		if errors.Is(err, store.ErrNotFound) {
			missing = true
			return nil
		}
		return err
	})
	if err != nil {
		s.opts.Log.Warn("webhook delivery", "delivery", ref.id, "err", err)
		return
	}
	if missing || d.Status != StatusPending || dueKey(d.NextAttempt, d.HookID, d.ID) != ref.key {
		// A stale due entry: the delivery or its hook is gone, or the
		// entry was read before an attempt that finished meanwhile moved
		// the delivery to a later time (sending now would skip its
		// backoff).
		_ = s.idx.Update(ctx, func(tx store.Tx) error {
			a, err := auxOf(tx)
			if err != nil {
				return err
			}
			return a.AuxDelete(nsDue, ref.key)
		})
		return
	}

	res := s.post(ctx, h, d)
	if ctx.Err() != nil {
		return // shutting down: not an attempt, the delivery stays due
	}
	now := time.Now().UTC()
	var out Delivery
	err = s.idx.Update(context.Background(), func(tx store.Tx) error {
		a, err := auxOf(tx)
		if err != nil {
			return err
		}
		prev, err := GetDelivery(tx, d.HookID, d.ID)
		if err != nil {
			return err
		}
		out = record(prev, res, now, s.opts.RetryBase)
		if err := putDelivery(a, out, prev); err != nil {
			return err
		}
		if out.Status == StatusPending {
			return nil
		}
		return pruneLog(tx, out.HookID, KeepDeliveries)
	})
	if err != nil {
		s.opts.Log.Warn("webhook delivery: record attempt", "delivery", d.ID, "err", err)
		return
	}
	switch out.Status {
	case StatusFailed:
		s.opts.Log.Warn("webhook delivery failed", "hook", h.ID, "delivery", d.ID, "event", d.Event,
			"attempts", out.Attempts, "code", out.ResponseCode, "err", out.Error)
	case StatusPending:
		s.opts.Log.Debug("webhook delivery will be retried", "hook", h.ID, "delivery", d.ID,
			"attempts", out.Attempts, "code", out.ResponseCode, "next", out.NextAttempt)
	default:
		s.opts.Log.Debug("webhook delivered", "hook", h.ID, "delivery", d.ID, "event", d.Event, "code", out.ResponseCode)
	}
}

// record applies attempt res, made at now, to delivery d.
func record(d Delivery, res attempt, now time.Time, base time.Duration) Delivery {
	d.Attempts++
	d.LastAttempt = now
	d.ResponseCode, d.ResponseExcerpt, d.Error = res.code, res.excerpt, ""
	if res.err != nil {
		d.Error = truncate(res.err.Error(), 300)
	}
	switch {
	case res.ok():
		d.Status, d.NextAttempt, d.Manual = StatusDelivered, time.Time{}, false
	case d.Manual || d.Attempts >= MaxAttempts:
		d.Status, d.NextAttempt, d.Manual = StatusFailed, time.Time{}, false
	default:
		d.NextAttempt = now.Add(Backoff(base, d.Attempts, rand.Int64N))
	}
	return d
}

// post sends d's body to h.
func (s *Service) post(ctx context.Context, h Hook, d Delivery) attempt {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(d.Body))
	if err != nil {
		return attempt{err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.opts.UserAgent)
	req.Header.Set(HeaderEvent, d.Event)
	req.Header.Set(HeaderDelivery, d.ID)
	req.Header.Set(HeaderHookID, h.ID)
	req.Header.Set(HeaderSignature, Sign(h.Secret, d.Body))
	resp, err := s.client.Do(req)
	if err != nil {
		// *url.Error quotes the whole URL, whose path or query is often
		// the receiver's secret (chat webhooks): keep only the host.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s %s: %w", req.Method, req.URL.Host, ue.Err)
		}
		return attempt{err: err}
	}
	defer resp.Body.Close()
	buf, _ := io.ReadAll(io.LimitReader(resp.Body, ExcerptBytes))
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	res := attempt{code: resp.StatusCode, excerpt: excerpt(buf)}
	if !res.ok() {
		res.err = fmt.Errorf("receiver answered %s", resp.Status)
	}
	return res
}

// excerpt turns up to ExcerptBytes of a response body into valid UTF-8
// of at most ExcerptBytes bytes.
func excerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	return truncate(s, ExcerptBytes)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
