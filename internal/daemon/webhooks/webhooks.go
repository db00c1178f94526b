// Package webhooks delivers package events to HTTP endpoints registered on
// organisations and repositories.
//
// The publish pipeline appends every package event to the store's outbox
// in the same transaction as the change. A Service reads the outbox after
// a durable cursor and, in one transaction, creates one Delivery per
// matching Hook and advances the cursor, so a crash neither loses nor
// duplicates a delivery. Deliveries are then sent with bounded
// concurrency, a timeout per attempt and retries with exponential backoff
// and full jitter. Every outgoing connection goes through a dialer that
// refuses link-local, metadata and (unless allowed) private addresses.
//
// Hooks, deliveries and the cursor live in the store's Aux area.
package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

// EventPing is the event of a test delivery sent by Ping.
const EventPing = "ping"

// Events lists the package events a hook may subscribe to; a hook
// created without events receives all of them.
var Events = []string{store.EventPublished, store.EventYanked, store.EventUnyanked, store.EventDeleted, store.EventVulnerable}

// Headers of a delivery request.
const (
	HeaderEvent     = "X-Drok-Event"
	HeaderDelivery  = "X-Drok-Delivery"
	HeaderHookID    = "X-Drok-Hook-ID"
	HeaderSignature = "X-Drok-Signature-256"
)

// Delivery states.
const (
	StatusPending   = "pending"   // waiting for its first or next attempt
	StatusDelivered = "delivered" // the receiver answered 2xx
	StatusFailed    = "failed"    // attempts exhausted (or the last manual attempt failed)
)

// Limits.
const (
	// MaxHooks is how many hooks one organisation or repository may have.
	MaxHooks = 20
	// ExcerptBytes bounds the response body kept in the delivery log.
	ExcerptBytes = 1024
	// MaxURLLength bounds a hook's URL.
	MaxURLLength = 2048
	// KeepDeliveries is how many finished deliveries (delivered or
	// failed) the log keeps per hook; older ones are pruned. Pending
	// deliveries are never pruned.
	KeepDeliveries = 200
)

// Hook is a registered endpoint. Repo is "" for an organisation hook,
// which receives the events of every package of the organisation; a
// repository hook receives the events of the packages linked to it.
type Hook struct {
	ID      string    `json:"id"`
	Org     string    `json:"org"`
	Repo    string    `json:"repo,omitempty"`
	URL     string    `json:"url"`
	Events  []string  `json:"events"`
	Secret  string    `json:"secret"`
	Creator string    `json:"creator,omitempty"`
	Created time.Time `json:"created"`
}

// Wants reports whether h subscribes to events of type typ (ping always).
func (h Hook) Wants(typ string) bool {
	return typ == EventPing || slices.Contains(h.Events, typ)
}

// Matches reports whether event e belongs to h's organisation or
// repository and is of a type h subscribes to. Events older than the
// hook are not sent to it.
func (h Hook) Matches(e store.Event) bool {
	if e.Org != h.Org || (h.Repo != "" && e.Repository != h.Repo) || !h.Wants(e.Type) {
		return false
	}
	return e.Time.IsZero() || !e.Time.Before(h.Created.Truncate(time.Second))
}

// Delivery is one event to send to one hook, with the log of its attempts.
// Body holds the exact bytes sent (and signed) on every attempt.
type Delivery struct {
	ID              string    `json:"id"`
	HookID          string    `json:"hook_id"`
	Event           string    `json:"event"`
	Package         string    `json:"package,omitempty"`
	Version         string    `json:"version,omitempty"`
	Body            []byte    `json:"body"`
	Status          string    `json:"status"`
	Attempts        int       `json:"attempts"`
	ResponseCode    int       `json:"response_code,omitempty"`
	ResponseExcerpt string    `json:"response_excerpt,omitempty"`
	Error           string    `json:"error,omitempty"`
	Created         time.Time `json:"created"`
	LastAttempt     time.Time `json:"last_attempt,omitzero"`
	NextAttempt     time.Time `json:"next_attempt,omitzero"`
	// Manual marks a redelivery of a finished delivery: it gets one attempt.
	Manual bool `json:"manual,omitempty"`
}

// Payload is the JSON body of a delivery. It carries no credentials.
type Payload struct {
	Event      string    `json:"event"`
	Delivery   string    `json:"delivery"`
	HookID     string    `json:"hook_id"`
	Org        string    `json:"org"`
	Repository string    `json:"repository,omitempty"`
	Ecosystem  string    `json:"ecosystem,omitempty"`
	Package    string    `json:"package,omitempty"`
	Version    string    `json:"version,omitempty"`
	Actor      string    `json:"actor,omitempty"`
	Timestamp  time.Time `json:"timestamp"`
	Advisories []string  `json:"advisories,omitempty"`
}

// Sign returns the X-Drok-Signature-256 value of body: "sha256=" and the
// hex HMAC-SHA256 of body keyed with secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature (an X-Drok-Signature-256 value) is
// body's signature under secret, comparing in constant time.
func Verify(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}

// ParseEvents validates a list of event names (comma-separated items are
// split); empty means every event. Duplicates are dropped and the result
// is in the order of Events.
func ParseEvents(in []string) ([]string, error) {
	if len(in) == 0 {
		return slices.Clone(Events), nil
	}
	want := map[string]bool{}
	for _, item := range in {
		for e := range strings.SplitSeq(item, ",") {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			if !slices.Contains(Events, e) {
				return nil, fmt.Errorf("%w: unknown event %q (known: %s)", store.ErrInvalid, e, strings.Join(Events, ", "))
			}
			want[e] = true
		}
	}
	if len(want) == 0 {
		return slices.Clone(Events), nil
	}
	var out []string
	for _, e := range Events {
		if want[e] {
			out = append(out, e)
		}
	}
	return out, nil
}

// NewSecret returns a random signing secret.
func NewSecret() string { return "whsec_" + randHex(24) }

// newHookID returns a random hook id.
func newHookID() string { return randHex(8) }

// NewDeliveryID returns a random UUID (version 4) string.
func NewDeliveryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
