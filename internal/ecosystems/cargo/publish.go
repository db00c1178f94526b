package cargo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// upload is a .crate received into the blob store's staging area.
type upload struct {
	staged store.Staged
	blob   store.BlobInfo
	info   CrateInfo
}

func (u *upload) discard() {
	if u != nil && u.staged != nil {
		u.staged.Discard()
	}
}

// stageCrate streams r into the blob store's staging area while hashing
// and inspecting it. Nothing becomes visible until the caller commits.
func stageCrate(ctx context.Context, blobs store.Blobs, r io.Reader) (*upload, error) {
	staged, info, err := ecosystems.StageInspected(ctx, blobs, r, "crate", func(r io.Reader) (CrateInfo, error) {
		return InspectCrate(r, DefaultCrateLimits)
	})
	if err != nil {
		return nil, err
	}
	return &upload{staged: staged, blob: staged.Info(), info: info}, nil
}

// packageMeta is drok's package-level Cargo metadata.
type packageMeta struct {
	// Bases lists the versions ever published without build metadata
	// (1.0.0+a and 1.0.0+b conflict, as on the public Rust registry), tombstones included.
	Bases []string `json:"bases"`
}

// publishInput is a validated publish ready to commit.
type publishInput struct {
	key  store.PackageKey
	nc   NewCrate
	meta []byte
	hint string
}

// precheck refuses, before the crate bytes are read, a publish the
// principal may not make or whose version is taken (judged without the
// crate's hash; commit repeats the checks exactly).
//
// size is the crate's announced length: a crate that cannot fit the org's
// storage limit is refused before its bytes are read.
func precheck(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, key store.PackageKey, nc NewCrate, size int64) error {
	return env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		if err := ecosystems.Authorize(tx, pr, ecosystems.Write, key); err != nil {
			return err
		}
		if err := checkExisting(tx, key, nc, ""); err != nil {
			return err
		}
		return checkStorage(env, tx, key, nc.Vers, size)
	})
}

// checkStorage refuses a new version of size bytes that would take the
// org over its storage limit (an existing version, an identical retry,
// adds nothing). The publish transaction checks again.
func checkStorage(env *ecosystems.Env, tx store.Tx, key store.PackageKey, version string, size int64) error {
	if _, err := tx.Version(key, version); err == nil {
		return nil
	}
	return env.Pipeline.CheckStorage(tx, key.Org, size)
}

// checkExisting refuses a publish of nc into key when the crate exists
// under another spelling, when the version (or one differing only in
// build metadata) exists or was deleted. sha256 "" means unknown; an
// existing version with exactly that crate is an identical retry.
func checkExisting(tx store.Tx, key store.PackageKey, nc NewCrate, sha256 string) error {
	pkg, err := tx.Package(key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := checkPackage(pkg, nc); err != nil {
		return err
	}
	v, err := tx.Version(key, nc.Vers)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return checkBase(pkg, nc.Vers)
	case err != nil:
		return err
	case v.IsDeleted():
		return fmt.Errorf("crate %s@%s was deleted and its version can never be published again: %w", nc.Name, nc.Vers, store.ErrTombstoned)
	case sha256 == "" || len(v.Files) == 1 && v.Files[0].SHA256 == sha256:
		return nil // unknown bytes (judged at commit) or an identical retry
	}
	return fmt.Errorf("crate version `%s@%s` is already uploaded: %w", nc.Name, nc.Vers, store.ErrConflict)
}

// detailErr is an error whose message is complete for the client.
type detailErr struct {
	msg string
	err error
}

func (e *detailErr) Error() string { return e.msg }
func (e *detailErr) Unwrap() error { return e.err }

// checkPackage refuses a second spelling of an existing crate.
func checkPackage(pkg store.Package, nc NewCrate) error {
	if pkg.DisplayName != "" && pkg.DisplayName != nc.Name {
		return &detailErr{fmt.Sprintf("crate %s is already published as %s (names differing only in case or '-'/'_' are the same crate)",
			quote(nc.Name), quote(pkg.DisplayName)), store.ErrConflict}
	}
	return nil
}

// checkBase refuses a version whose base (without build metadata) is
// already used by another version.
func checkBase(pkg store.Package, version string) error {
	var pm packageMeta
	if len(pkg.Meta) > 0 {
		if err := json.Unmarshal(pkg.Meta, &pm); err != nil {
			return fmt.Errorf("package metadata of %s: %w", pkg.Name, err)
		}
	}
	if slices.Contains(pm.Bases, BaseVersion(version)) {
		return &detailErr{fmt.Sprintf("crate %s: a version %s (differing only in build metadata) already exists",
			pkg.DisplayName, quote(BaseVersion(version))), store.ErrConflict}
	}
	return nil
}

// updatePackage is the publish transaction's package hook: it repeats the
// spelling and build-metadata checks under the write lock and records the
// new base version.
func updatePackage(nc NewCrate) func(pkg *store.Package) error {
	return func(pkg *store.Package) error {
		if err := checkPackage(*pkg, nc); err != nil {
			return err
		}
		if err := checkBase(*pkg, nc.Vers); err != nil {
			return err
		}
		var pm packageMeta
		if len(pkg.Meta) > 0 {
			_ = json.Unmarshal(pkg.Meta, &pm)
		}
		pm.Bases = append(pm.Bases, BaseVersion(nc.Vers))
		b, err := json.Marshal(pm)
		if err != nil {
			return err
		}
		pkg.Meta = b
		return nil
	}
}

// prepare checks an inspected crate against its metadata and builds the
// stored version metadata.
func prepare(env *ecosystems.Env, key store.PackageKey, nc NewCrate, up *upload) (publishInput, error) {
	in := publishInput{key: key, nc: nc}
	if want := nc.Name + "-" + nc.Vers; up.info.Root != want {
		return in, fmt.Errorf("%w: the crate's files are in %s/, expected %s/", ErrPublish, quote(up.info.Root), want)
	}
	m, err := ParseManifest(up.info.CargoToml)
	if err != nil {
		return in, err
	}
	if err := CheckAgreement(nc, m); err != nil {
		return in, err
	}
	vm := versionMeta{Index: EntryFromNewCrate(nc, up.blob.SHA256), Description: deref(nc.Description)}
	if in.meta, err = json.Marshal(vm); err != nil {
		return in, err
	}
	in.hint = repoHint(deref(nc.Repository), env.BaseURL, key.Org)
	return in, nil
}

// repoHint returns the repository of org that a Cargo.toml `repository`
// URL of the form BASE/ORG/REPO names ("" otherwise).
func repoHint(u, base, org string) string {
	prefix := strings.TrimRight(base, "/") + "/" + org + "/"
	if base == "" || !strings.HasPrefix(u, prefix) {
		return ""
	}
	repo, _, _ := strings.Cut(u[len(prefix):], "/")
	return strings.TrimSuffix(repo, ".git")
}

// commit re-checks with the crate's hash (and the storage limit with its
// size), commits the staged crate and runs the publish transaction. A
// publish refused by the re-check leaves
// nothing behind; one that loses a race after the blob commit leaves an
// unreferenced blob for the garbage collector.
func commit(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, in publishInput, up *upload) (ecosystems.PublishResult, error) {
	var res ecosystems.PublishResult
	err := env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		if err := ecosystems.Authorize(tx, pr, ecosystems.Write, in.key); err != nil {
			return err
		}
		if err := checkExisting(tx, in.key, in.nc, up.blob.SHA256); err != nil {
			return err
		}
		return checkStorage(env, tx, in.key, in.nc.Vers, up.blob.Size)
	})
	if err != nil {
		return res, err
	}
	if err := up.staged.Commit(); err != nil {
		return res, fmt.Errorf("store crate: %w", err)
	}
	file := store.File{Name: in.nc.Name + "-" + in.nc.Vers + ".crate", SHA256: up.blob.SHA256, Size: up.blob.Size,
		ContentType: "application/gzip"}
	res, err = env.Pipeline.Publish(ctx, pr, ecosystems.PublishRequest{
		Key: in.key, Version: in.nc.Vers, Files: []store.File{file}, Meta: in.meta,
		RepoHint: in.hint, DisplayName: in.nc.Name, UpdatePackage: updatePackage(in.nc),
	})
	var de *detailErr
	switch {
	case errors.Is(err, store.ErrTombstoned):
		return res, fmt.Errorf("crate %s@%s was deleted and its version can never be published again: %w", in.nc.Name, in.nc.Vers, store.ErrTombstoned)
	case errors.As(err, &de):
		return res, de
	case errors.Is(err, store.ErrConflict):
		return res, fmt.Errorf("crate version `%s@%s` is already uploaded: %w", in.nc.Name, in.nc.Vers, store.ErrConflict)
	case err != nil:
		return res, err
	}
	return res, nil
}

// publish handles PUT api/v1/crates/new.
func (h *handler) publish(q *request) {
	ctx := q.r.Context()
	// An early refusal (access, version taken, storage limit) leaves the
	// crate unread; reading it (bounded by the daemon's body limit) lets
	// cargo finish sending and show the error instead of a broken
	// connection.
	defer func() { _, _ = io.Copy(io.Discard, q.r.Body) }()
	err := h.env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		return ecosystems.AuthorizePublisher(tx, q.pr, q.org)
	})
	// A caller outside the org may still see the crate (a public one):
	// the exact check after the metadata answers 403 or 404 correctly.
	// The crate bytes are read only after that check.
	if errors.Is(err, store.ErrNotFound) && !errors.Is(err, ecosystems.ErrLoginRequired) {
		err = nil
	}
	if err != nil {
		h.fail(q, err)
		return
	}
	nc, crateLen, err := ReadPublishHeader(q.r.Body)
	if err != nil {
		h.fail(q, err)
		return
	}
	q.route.Name = nc.Name
	key := h.key(q.org, nc.Name)
	if err := precheck(ctx, h.env, q.pr, key, nc, crateLen); err != nil {
		h.fail(q, err)
		return
	}
	up, err := stageCrate(ctx, h.env.Pipeline.Blobs, io.LimitReader(q.r.Body, crateLen))
	if err != nil {
		h.fail(q, err)
		return
	}
	defer up.discard()
	if up.blob.Size != crateLen {
		h.fail(q, fmt.Errorf("%w: the request ended after %d of the crate's %d bytes", ErrPublish, up.blob.Size, crateLen))
		return
	}
	var extra [1]byte
	if n, _ := io.ReadFull(q.r.Body, extra[:]); n > 0 {
		h.fail(q, fmt.Errorf("%w: data after the crate", ErrPublish))
		return
	}
	in, err := prepare(h.env, key, nc, up)
	if err != nil {
		h.fail(q, err)
		return
	}
	if _, err := commit(ctx, h.env, q.pr, in, up); err != nil {
		h.fail(q, err)
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"warnings": map[string][]string{
		"invalid_categories": {}, "invalid_badges": {}, "other": {}}})
}

// Accepts reports whether filename is a .crate.
func (e *Ecosystem) Accepts(filename string) bool {
	return strings.HasSuffix(strings.ToLower(filename), ".crate")
}

// PublishFile publishes a .crate uploaded through the drok REST API
// (`drok package publish`): the metadata comes from its Cargo.toml (see
// NewCrateFromManifest).
func (e *Ecosystem) PublishFile(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, org, filename string, body io.Reader) (ecosystems.PublishResult, error) {
	var none ecosystems.PublishResult
	up, err := stageCrate(ctx, env.Pipeline.Blobs, io.LimitReader(body, MaxCrateSize+1))
	if err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	defer up.discard()
	if up.blob.Size > MaxCrateSize {
		return none, fmt.Errorf("publish %s: %w: the crate is larger than %d bytes", filename, ecosystems.ErrTooLarge, MaxCrateSize)
	}
	m, err := ParseManifest(up.info.CargoToml)
	if err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	self := env.BaseURL + "/api/v1/packages/cargo/" + org + "/"
	nc, err := NewCrateFromManifest(m, self)
	if err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	key := store.PackageKey{Ecosystem: ecosystems.Cargo, Org: org, Name: Canonical(nc.Name)}
	in, err := prepare(env, key, nc, up)
	if err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	return commit(ctx, env, pr, in, up)
}
