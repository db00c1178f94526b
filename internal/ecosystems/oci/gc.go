package oci

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

var (
	_ ecosystems.BlobReferencer = (*Ecosystem)(nil)
	_ ecosystems.UploadExpirer  = (*Ecosystem)(nil)
)

// BlobRefs keeps the blobs that live manifests reference and those linked
// within grace (pushed for a manifest that has not come yet); it drops
// older links whose blob no live manifest of that repository references.
func (e *Ecosystem) BlobRefs(tx store.Tx, now time.Time, grace time.Duration, keep func(string)) (int, error) {
	a, ok := store.AuxOf(tx)
	if !ok {
		return 0, nil
	}
	used := map[store.PackageKey]map[string]bool{}
	usedIn := func(k store.PackageKey) (map[string]bool, error) {
		if u, ok := used[k]; ok {
			return u, nil
		}
		u := map[string]bool{}
		vs, err := tx.Versions(k)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		for _, v := range vs {
			if v.IsDeleted() {
				continue
			}
			if m, err := decodeMeta(v); err == nil {
				for _, b := range m.Blobs {
					u[b] = true
				}
			}
		}
		used[k] = u
		return u, nil
	}
	var stale []string
	err := a.AuxScan(auxNS, "l/", func(key string, val []byte) error {
		var l link
		if err := json.Unmarshal(val, &l); err != nil {
			return nil
		}
		rest := strings.TrimPrefix(key, "l/")
		at := strings.LastIndexByte(rest, '@')
		org, name, ok := strings.Cut(rest[:max(at, 0)], "/")
		if at < 0 || !ok {
			return nil
		}
		u, err := usedIn(store.PackageKey{Ecosystem: ecosystems.Docker, Org: org, Name: name})
		if err != nil {
			return err
		}
		if u[l.SHA256] || now.Sub(l.Created) < grace {
			keep(l.SHA256)
			return nil
		}
		stale = append(stale, key)
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range stale {
		if err := a.AuxDelete(auxNS, k); err != nil {
			return 0, err
		}
	}
	return len(stale), nil
}

// ExpireUploads ends upload sessions idle for longer than idle.
func (e *Ecosystem) ExpireUploads(idle time.Duration) int {
	if h := e.handler(); h != nil {
		return h.uploads.expire(idle)
	}
	return 0
}

// LockCommits holds blob commits (uploads, mounts, manifests) until the
// returned function is called.
func (e *Ecosystem) LockCommits() func() {
	h := e.handler()
	if h == nil {
		return func() {}
	}
	h.uploads.commit.Lock()
	return h.uploads.commit.Unlock
}

func (e *Ecosystem) handler() *handler {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.h
}
