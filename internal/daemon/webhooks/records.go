package webhooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

// Aux namespaces of the webhook records.
const (
	nsHook     = "webhook.hook"     // hook id → Hook
	nsScope    = "webhook.scope"    // org/repo/id → "" (hooks by owner)
	nsDelivery = "webhook.delivery" // hook id/delivery id → Delivery
	nsDue      = "webhook.due"      // unix nanos (20 digits)/hook id/delivery id → "" (pending deliveries by due time)
	nsState    = "webhook.state"    // "cursor" → last outbox seq dispatched
)

const cursorKey = "cursor"

// errStop ends an AuxScan early.
var errStop = errors.New("stop scan")

func auxOf(tx store.Tx) (store.Aux, error) {
	a, ok := store.AuxOf(tx)
	if !ok {
		return nil, errors.New("webhooks: the index has no aux area")
	}
	return a, nil
}

func scopeKey(org, repo, id string) string { return org + "/" + repo + "/" + id }

func dueKey(at time.Time, hookID, id string) string {
	return fmt.Sprintf("%020d/%s/%s", at.UnixNano(), hookID, id)
}

func getJSON(a store.Aux, ns, key string, v any) error {
	b, err := a.AuxGet(ns, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s record %q: %w", ns, key, err)
	}
	return nil
}

func putJSON(a store.Aux, ns, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s record: %w", ns, err)
	}
	return a.AuxPut(ns, key, b)
}

// CreateHook stores a new hook for h.Org (and h.Repo when set), assigning
// its id and creation time. It refuses more than MaxHooks per owner.
func CreateHook(tx store.Tx, h Hook, now time.Time) (Hook, error) {
	a, err := auxOf(tx)
	if err != nil {
		return h, err
	}
	existing, err := ListHooks(tx, h.Org, h.Repo)
	if err != nil {
		return h, err
	}
	if len(existing) >= MaxHooks {
		return h, fmt.Errorf("%w: %s already has %d webhooks, the maximum", store.ErrInvalid, owner(h.Org, h.Repo), MaxHooks)
	}
	h.ID = newHookID()
	h.Created = now.UTC()
	if err := putJSON(a, nsHook, h.ID, h); err != nil {
		return h, fmt.Errorf("create webhook: %w", err)
	}
	if err := a.AuxPut(nsScope, scopeKey(h.Org, h.Repo, h.ID), nil); err != nil {
		return h, fmt.Errorf("create webhook: %w", err)
	}
	return h, nil
}

func owner(org, repo string) string {
	if repo == "" {
		return org
	}
	return org + "/" + repo
}

// hookByID returns the hook with id, wherever it belongs.
func hookByID(a store.Aux, id string) (Hook, error) {
	var h Hook
	if err := getJSON(a, nsHook, id, &h); err != nil {
		return h, fmt.Errorf("webhook %s: %w", id, err)
	}
	return h, nil
}

// GetHook returns hook id of org (repo "" = an organisation hook). A hook
// of another owner is not found.
func GetHook(tx store.Tx, org, repo, id string) (Hook, error) {
	a, err := auxOf(tx)
	if err != nil {
		return Hook{}, err
	}
	h, err := hookByID(a, id)
	if err != nil || h.Org != org || h.Repo != repo {
		return Hook{}, fmt.Errorf("webhook %s of %s: %w", id, owner(org, repo), store.ErrNotFound)
	}
	return h, nil
}

// ListHooks returns the hooks of org (repo "") or of repository org/repo,
// oldest first.
func ListHooks(tx store.Tx, org, repo string) ([]Hook, error) {
	return scanHooks(tx, scopeKey(org, repo, ""))
}

// orgHooks returns every hook of org: its own and its repositories'.
func orgHooks(tx store.Tx, org string) ([]Hook, error) { return scanHooks(tx, org+"/") }

func scanHooks(tx store.Tx, prefix string) ([]Hook, error) {
	a, err := auxOf(tx)
	if err != nil {
		return nil, err
	}
	var ids []string
	err = a.AuxScan(nsScope, prefix, func(key string, _ []byte) error {
		ids = append(ids, key[strings.LastIndexByte(key, '/')+1:])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	out := make([]Hook, 0, len(ids))
	for _, id := range ids {
		h, err := hookByID(a, id)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	slices.SortFunc(out, func(x, y Hook) int { return x.Created.Compare(y.Created) })
	return out, nil
}

// DeleteHook removes a hook with its delivery log and pending deliveries.
func DeleteHook(tx store.Tx, org, repo, id string) error {
	h, err := GetHook(tx, org, repo, id)
	if err != nil {
		return err
	}
	a, _ := auxOf(tx)
	ds, err := ListDeliveries(tx, h.ID)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.Status == StatusPending {
			if err := a.AuxDelete(nsDue, dueKey(d.NextAttempt, d.HookID, d.ID)); err != nil {
				return err
			}
		}
		if err := a.AuxDelete(nsDelivery, h.ID+"/"+d.ID); err != nil {
			return err
		}
	}
	if err := a.AuxDelete(nsScope, scopeKey(h.Org, h.Repo, h.ID)); err != nil {
		return err
	}
	return a.AuxDelete(nsHook, h.ID)
}

// ListDeliveries returns the delivery log of hook hookID, newest first.
func ListDeliveries(tx store.Tx, hookID string) ([]Delivery, error) {
	a, err := auxOf(tx)
	if err != nil {
		return nil, err
	}
	var out []Delivery
	err = a.AuxScan(nsDelivery, hookID+"/", func(key string, val []byte) error {
		var d Delivery
		if err := json.Unmarshal(val, &d); err != nil {
			return fmt.Errorf("decode delivery %q: %w", key, err)
		}
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	slices.SortFunc(out, func(x, y Delivery) int { return y.Created.Compare(x.Created) })
	return out, nil
}

// GetDelivery returns delivery id of hook hookID.
func GetDelivery(tx store.Tx, hookID, id string) (Delivery, error) {
	a, err := auxOf(tx)
	if err != nil {
		return Delivery{}, err
	}
	var d Delivery
	if err := getJSON(a, nsDelivery, hookID+"/"+id, &d); err != nil {
		return d, fmt.Errorf("delivery %s: %w", id, err)
	}
	return d, nil
}

// putDelivery stores d and keeps the due index in step: prev is the
// stored state of d before the change (zero for a new delivery).
func putDelivery(a store.Aux, d, prev Delivery) error {
	if prev.Status == StatusPending {
		if err := a.AuxDelete(nsDue, dueKey(prev.NextAttempt, prev.HookID, prev.ID)); err != nil {
			return err
		}
	}
	if d.Status == StatusPending {
		if err := a.AuxPut(nsDue, dueKey(d.NextAttempt, d.HookID, d.ID), nil); err != nil {
			return err
		}
	}
	return putJSON(a, nsDelivery, d.HookID+"/"+d.ID, d)
}

// pruneLog removes the finished deliveries of hook hookID beyond the
// newest keep.
func pruneLog(tx store.Tx, hookID string, keep int) error {
	a, err := auxOf(tx)
	if err != nil {
		return err
	}
	ds, err := ListDeliveries(tx, hookID)
	if err != nil {
		return err
	}
	finished := 0
	for _, d := range ds {
		if d.Status == StatusPending {
			continue
		}
		if finished++; finished > keep {
			if err := a.AuxDelete(nsDelivery, hookID+"/"+d.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// newDelivery builds the delivery of event e to hook h.
func newDelivery(h Hook, e store.Event, now time.Time) (Delivery, error) {
	d := Delivery{ID: NewDeliveryID(), HookID: h.ID, Event: e.Type, Package: e.Package, Version: e.Version,
		Status: StatusPending, Created: now, NextAttempt: now}
	ts := e.Time
	if ts.IsZero() {
		ts = now
	}
	repo := e.Repository
	if e.Type == EventPing {
		repo = h.Repo
	}
	body, err := json.Marshal(Payload{Event: e.Type, Delivery: d.ID, HookID: h.ID, Org: e.Org, Repository: repo,
		Ecosystem: e.Ecosystem, Package: e.Package, Version: e.Version, Actor: e.Actor, Timestamp: ts.UTC(), Advisories: e.Advisories})
	if err != nil {
		return d, fmt.Errorf("encode payload: %w", err)
	}
	d.Body = body
	return d, nil
}

// Ping queues a "ping" delivery to h on behalf of actor.
func Ping(tx store.Tx, h Hook, actor string, now time.Time) (Delivery, error) {
	a, err := auxOf(tx)
	if err != nil {
		return Delivery{}, err
	}
	d, err := newDelivery(h, store.Event{Type: EventPing, Org: h.Org, Actor: actor, Time: now}, now)
	if err != nil {
		return d, err
	}
	return d, putDelivery(a, d, Delivery{})
}

// Redeliver queues delivery id of h again, due now. The delivery keeps its
// id and body and its attempts continue; a delivery that is still being
// retried is just moved forward, a finished one (delivered or failed) gets
// one more attempt.
func Redeliver(tx store.Tx, h Hook, id string, now time.Time) (Delivery, error) {
	a, err := auxOf(tx)
	if err != nil {
		return Delivery{}, err
	}
	prev, err := GetDelivery(tx, h.ID, id)
	if err != nil {
		return prev, err
	}
	d := prev
	if d.Status != StatusPending {
		d.Manual = true
	}
	d.Status, d.NextAttempt = StatusPending, now
	return d, putDelivery(a, d, prev)
}

// Cursor returns the sequence number of the last outbox event dispatched.
func Cursor(tx store.Tx) (uint64, error) {
	a, err := auxOf(tx)
	if err != nil {
		return 0, err
	}
	b, err := a.AuxGet(nsState, cursorKey)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("webhook cursor %q: %w", b, err)
	}
	return n, nil
}

// Dispatch turns up to limit outbox events after the cursor into
// deliveries (one per matching hook) and advances the cursor, all in tx:
// committed together or not at all. It returns how many events it read
// and how many deliveries it created.
func Dispatch(tx store.Tx, limit int, now time.Time) (events, created int, err error) {
	a, err := auxOf(tx)
	if err != nil {
		return 0, 0, err
	}
	cur, err := Cursor(tx)
	if err != nil {
		return 0, 0, err
	}
	evs, err := tx.EventsAfter(cur, limit)
	if err != nil || len(evs) == 0 {
		return 0, 0, err
	}
	hooks := map[string][]Hook{}
	for _, e := range evs {
		hs, ok := hooks[e.Org]
		if !ok {
			if hs, err = orgHooks(tx, e.Org); err != nil {
				return 0, 0, err
			}
			hooks[e.Org] = hs
		}
		for _, h := range hs {
			if !h.Matches(e) {
				continue
			}
			d, err := newDelivery(h, e, now)
			if err != nil {
				return 0, 0, err
			}
			if err := putDelivery(a, d, Delivery{}); err != nil {
				return 0, 0, err
			}
			created++
		}
		cur = e.Seq
	}
	if err := a.AuxPut(nsState, cursorKey, []byte(strconv.FormatUint(cur, 10))); err != nil {
		return 0, 0, err
	}
	// Dispatched events live on in their deliveries; the outbox keeps
	// them a day (for inspection of the index) and then lets them go, so
	// it does not grow with every publish forever.
	if _, err := tx.PruneEvents(cur, now.Add(-OutboxRetention)); err != nil {
		return 0, 0, err
	}
	return len(evs), created, nil
}

// OutboxRetention is how long dispatched events stay in the outbox.
const OutboxRetention = 24 * time.Hour

// dueRef names a pending delivery in the due index.
type dueRef struct{ key, hookID, id string }

// due returns up to limit entries of the due index at or before now, in
// due order, skipping the deliveries skip reports true for (in flight).
func due(tx store.Tx, now time.Time, limit int, skip func(id string) bool) ([]dueRef, error) {
	a, err := auxOf(tx)
	if err != nil {
		return nil, err
	}
	bound := fmt.Sprintf("%020d", now.UnixNano())
	var out []dueRef
	err = a.AuxScan(nsDue, "", func(key string, _ []byte) error {
		if len(out) >= limit || len(key) < 20 || key[:20] > bound {
			return errStop
		}
		parts := strings.SplitN(key, "/", 3)
		if len(parts) == 3 && !skip(parts[2]) {
			out = append(out, dueRef{key: key, hookID: parts[1], id: parts[2]})
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("scan due deliveries: %w", err)
	}
	return out, nil
}
