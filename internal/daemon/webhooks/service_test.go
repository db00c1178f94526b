package webhooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

// TestServiceBoundsConcurrencyAndTimesOut: ten deliveries to a receiver
// that never answers are sent at most Concurrency at a time, each attempt
// ends at Timeout and is recorded as a failed attempt to retry; Run stops
// promptly when cancelled.
func TestServiceBoundsConcurrencyAndTimesOut(t *testing.T) {
	var mu sync.Mutex
	var starts []time.Time
	release := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer rcv.Close()
	defer close(release)

	ctx := context.Background()
	idx := openIndex(t)
	err := idx.Update(ctx, func(tx store.Tx) error {
		h, err := CreateHook(tx, Hook{Org: "acme", URL: rcv.URL, Events: Events, Secret: "s"}, time.Now())
		if err != nil {
			return err
		}
		for range 10 {
			if _, err := Ping(tx, h, "admin", time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := New(idx, Options{Policy: Policy{AllowPrivate: true}, Concurrency: 4, Timeout: 300 * time.Millisecond,
		RetryBase: time.Hour, Poll: 20 * time.Millisecond})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(runCtx) }()

	var ds []Delivery
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = idx.View(ctx, func(tx store.Tx) error {
			hs, _ := ListHooks(tx, "acme", "")
			ds, _ = ListDeliveries(tx, hs[0].ID)
			return nil
		})
		attempted := 0
		for _, d := range ds {
			if d.Attempts > 0 {
				attempted++
			}
		}
		if attempted == len(ds) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d deliveries attempted", attempted, len(ds))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(starts) != 10 {
		t.Fatalf("receiver got %d requests, want 10 (no retry within the test)", len(starts))
	}
	// The server may notice a client's timeout late, so concurrency is
	// judged by start times: a fifth request can only start once one of
	// the previous four timed out (300ms).
	slices.SortFunc(starts, time.Time.Compare)
	for i := 0; i+4 < len(starts); i++ {
		if gap := starts[i+4].Sub(starts[i]); gap < 250*time.Millisecond {
			t.Errorf("requests %d and %d started %v apart: more than 4 sends in flight", i, i+4, gap)
		}
	}
	if starts[3].Sub(starts[0]) > 200*time.Millisecond {
		t.Errorf("the first 4 sends did not start together: %v", starts[3].Sub(starts[0]))
	}
	for _, d := range ds {
		if d.Attempts != 1 || d.Status != StatusPending || d.ResponseCode != 0 ||
			!strings.Contains(strings.ToLower(d.Error), "timeout") || !d.NextAttempt.After(d.LastAttempt) {
			t.Errorf("after a timed-out attempt: %+v", d)
		}
	}
}

func TestPruneLog(t *testing.T) {
	ctx := context.Background()
	idx := openIndex(t)
	base := time.Now()
	err := idx.Update(ctx, func(tx store.Tx) error {
		a, _ := auxOf(tx)
		for i, st := range []string{StatusDelivered, StatusFailed, StatusPending, StatusDelivered, StatusDelivered, StatusPending, StatusDelivered} {
			d := Delivery{ID: NewDeliveryID(), HookID: "h", Status: st, Created: base.Add(time.Duration(i) * time.Second), NextAttempt: base}
			if err := putDelivery(a, d, Delivery{}); err != nil {
				return err
			}
		}
		return pruneLog(tx, "h", 3)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = idx.View(ctx, func(tx store.Tx) error {
		ds, _ := ListDeliveries(tx, "h")
		var got []string
		for _, d := range ds {
			got = append(got, d.Status)
		}
		want := "delivered pending delivered delivered pending"
		if strings.Join(got, " ") != want {
			t.Errorf("after pruning to 3 finished: %v, want %s", got, want)
		}
		return nil
	})
}

// TestFailedAttemptHidesURLPath: a connection error is recorded (and
// logged) with the receiver's host only, never the URL's path or query,
// which chat services use as the secret.
func TestFailedAttemptHidesURLPath(t *testing.T) {
	// A listener that is closed at once: connecting to it is refused.
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL + "/services/T000/B000/s3cr3t-path?token=s3cr3t-query"
	dead.Close()
	svc := New(openIndex(t), Options{Policy: Policy{AllowPrivate: true}, Timeout: time.Second})
	res := svc.post(context.Background(), Hook{ID: "h", URL: url, Secret: "s"}, Delivery{ID: "d", Event: "ping", Body: []byte("{}")})
	if res.err == nil {
		t.Fatal("post to a closed port succeeded")
	}
	if msg := res.err.Error(); strings.Contains(msg, "s3cr3t") || !strings.Contains(msg, "127.0.0.1") {
		t.Fatalf("attempt error %q: must name the host and not the path or query", msg)
	}
}
