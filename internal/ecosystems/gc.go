package ecosystems

import (
	"context"
	"fmt"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

// DefaultGCGrace is how old an unreferenced blob (or an idle upload) must
// be before garbage collection removes it.
const DefaultGCGrace = time.Hour

// BlobReferencer is implemented by ecosystems that keep blobs the index
// does not list as version files (OCI: blobs linked to repositories,
// layers referenced by manifests).
type BlobReferencer interface {
	// BlobRefs runs inside the collection's write transaction. It may
	// drop its own records that are older than grace and no longer
	// needed, and calls keep for every blob (sha256 hex) still needed.
	BlobRefs(tx store.Tx, now time.Time, grace time.Duration, keep func(sha256 string)) (dropped int, err error)
}

// UploadExpirer is implemented by ecosystems with resumable uploads.
type UploadExpirer interface {
	// ExpireUploads ends uploads idle for longer than idle (their
	// temporary files are removed) and returns how many.
	ExpireUploads(idle time.Duration) int
	// LockCommits blocks the ecosystem's blob commits until unlock is
	// called, so that a blob cannot be committed (and referenced) between
	// the collection's mark and sweep.
	LockCommits() (unlock func())
}

// GCResult reports what one garbage collection did.
type GCResult struct {
	BlobsDeleted   int   `json:"blobs_deleted"`
	BytesFreed     int64 `json:"bytes_freed"`
	BlobsKept      int   `json:"blobs_kept"`
	RecordsDropped int   `json:"records_dropped"`
	UploadsExpired int   `json:"uploads_expired"`
	DryRun         bool  `json:"dry_run,omitempty"`
}

// CollectGarbage deletes blobs no live version of any ecosystem
// references and that are older than grace, after ending uploads idle for
// longer than grace. A blob committed within grace is never deleted (blob
// stores refresh the time of deduplicated commits), so a publish in
// flight keeps its bytes; ecosystems with their own uploads hold commits
// for the duration of the collection. With dryRun nothing is changed.
func (p *Pipeline) CollectGarbage(ctx context.Context, grace time.Duration, dryRun bool) (GCResult, error) {
	res := GCResult{DryRun: dryRun}
	if grace < 0 {
		return res, fmt.Errorf("%w: negative grace period", store.ErrInvalid)
	}
	now := time.Now()
	for _, e := range p.Ecosystems {
		if u, ok := e.(UploadExpirer); ok {
			if !dryRun {
				res.UploadsExpired += u.ExpireUploads(grace)
			}
			unlock := u.LockCommits()
			defer unlock()
		}
	}
	keep := map[string]bool{}
	run := p.Index.Update
	if dryRun {
		run = func(ctx context.Context, fn func(store.Tx) error) error {
			// A failing fn rolls the transaction back: nothing is dropped.
			err := p.Index.Update(ctx, func(tx store.Tx) error {
				if err := fn(tx); err != nil {
					return err
				}
				return errDryRun
			})
			if err == errDryRun {
				return nil
			}
			return err
		}
	}
	err := run(ctx, func(tx store.Tx) error {
		clear(keep)
		res.RecordsDropped = 0
		pkgs, err := tx.PackageList(store.PackageFilter{})
		if err != nil {
			return err
		}
		for _, pkg := range pkgs {
			vs, err := tx.Versions(pkg.PackageKey)
			if err != nil {
				return err
			}
			for _, v := range vs {
				if v.IsDeleted() {
					continue
				}
				for _, f := range v.Files {
					keep[f.SHA256] = true
				}
			}
		}
		for _, e := range p.Ecosystems {
			if br, ok := e.(BlobReferencer); ok {
				n, err := br.BlobRefs(tx, now, grace, func(s string) { keep[s] = true })
				if err != nil {
					return fmt.Errorf("%s blob references: %w", e.Name(), err)
				}
				res.RecordsDropped += n
			}
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("garbage collection: %w", err)
	}
	cutoff := now.Add(-grace)
	var victims []store.BlobInfo
	err = p.Blobs.Walk(func(b store.BlobInfo) error {
		if keep[b.SHA256] || b.ModTime.After(cutoff) {
			res.BlobsKept++
			return nil
		}
		victims = append(victims, b)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("garbage collection: walk blobs: %w", err)
	}
	for _, b := range victims {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		// Look again: a commit since the walk refreshed the time.
		if cur, err := p.Blobs.Stat(b.SHA256); err != nil || cur.ModTime.After(cutoff) {
			res.BlobsKept++
			continue
		}
		if !dryRun {
			if err := p.Blobs.Delete(b.SHA256); err != nil {
				return res, fmt.Errorf("garbage collection: %w", err)
			}
		}
		res.BlobsDeleted++
		res.BytesFreed += b.Size
	}
	return res, nil
}

var errDryRun = fmt.Errorf("dry run")
