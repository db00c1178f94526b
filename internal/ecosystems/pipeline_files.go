package ecosystems

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

// PutFiles adds req.Files to version req.Version of req.Key, creating the
// package (auto-linked like Publish) and the version when needed, in one
// transaction. It serves protocols that upload a version file by file
// and where some files may change (Maven SNAPSHOTs):
//
//   - a file name the version already has is replaced when replace is
//     not nil and replace(name) is true, and refused with ErrConflict
//     otherwise (also when the bytes are identical);
//   - a deleted version refuses with ErrTombstoned;
//   - prune, when not nil, gets the org's settings and the version's
//     files after the change and returns the files to keep (retention of
//     SNAPSHOT builds). Dropped files leave the version record; their
//     blobs stay in the blob store.
//
// req.Meta replaces the version's metadata when not nil; Tags and
// UpdatePackage are applied as in Publish. The published event is written
// when the version is created, not for every later file.
func (p *Pipeline) PutFiles(ctx context.Context, pr Principal, req PublishRequest,
	replace func(name string) bool, prune func(store.OrgSettings, []store.File) []store.File) (PublishResult, error) {
	var res PublishResult
	if eco, ok := p.Ecosystems[req.Key.Ecosystem]; ok {
		if err := eco.ValidVersion(req.Version); err != nil {
			return res, err
		}
	}
	if len(req.Files) == 0 {
		return res, fmt.Errorf("%w: no file to add", store.ErrInvalid)
	}
	err := p.Index.Update(ctx, func(tx store.Tx) error {
		res = PublishResult{}
		if err := Authorize(tx, pr, Write, req.Key); err != nil {
			return err
		}
		now := time.Now().UTC()
		pkg, err := p.packageFor(tx, pr, req, now)
		if err != nil {
			return err
		}
		v, err := tx.Version(req.Key, req.Version)
		old := v
		newVersion := false
		switch {
		case err == nil && v.IsDeleted():
			return fmt.Errorf("%s %s@%s was deleted: %w", req.Key.Ecosystem, req.Key.Name, req.Version, store.ErrTombstoned)
		case errors.Is(err, store.ErrNotFound):
			newVersion = true
			old = store.Version{}
			v = store.Version{PackageKey: req.Key, Version: req.Version, Published: now, Publisher: pr.User}
		case err != nil:
			return err
		}
		v.Files = slices.Clone(v.Files) // old keeps its own files for the storage charge
		for _, f := range req.Files {
			if f.Uploaded.IsZero() {
				f.Uploaded = now
			}
			i := slices.IndexFunc(v.Files, func(o store.File) bool { return o.Name == f.Name })
			if i < 0 {
				v.Files = append(v.Files, f)
				continue
			}
			if replace == nil || !replace(f.Name) {
				return fmt.Errorf("file %s: %w", f.Name, store.ErrConflict)
			}
			v.Files[i] = f
		}
		if prune != nil {
			o, err := tx.Org(req.Key.Org)
			if err != nil {
				return err
			}
			v.Files = prune(o.Settings, v.Files)
		}
		if req.Meta != nil {
			v.Meta = req.Meta
		}
		res, err = p.commitVersion(tx, pr, req, pkg, old, v, now, newVersion)
		return err
	})
	if err != nil {
		return PublishResult{}, fmt.Errorf("publish %s %s@%s: %w", req.Key.Ecosystem, req.Key.Name, req.Version, err)
	}
	return res, nil
}
