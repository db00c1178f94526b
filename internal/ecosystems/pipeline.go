package ecosystems

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drok-dev/drok/internal/advisory"

	"github.com/drok-dev/drok/internal/store"
)

// Pipeline is the shared publish/resolve path every ecosystem uses. All
// mutating methods authorize, validate and commit in one index transaction.
type Pipeline struct {
	Index store.Index
	Blobs store.Blobs
	// Ecosystems by identifier; used for name/version rules and ordering.
	Ecosystems map[string]Ecosystem
	// DefaultPlan is the plan of organisations that have none set.
	DefaultPlan string

	// advisories is the current advisory database (nil: none loaded).
	advisories atomic.Pointer[advisory.DB]
	// bandwidth holds each org's month total of bytes served (and
	// reserved for downloads in flight), loaded on first use; FlushDownloads
	// persists the dirty ones.
	bandwidth map[bandwidthKey]*bwEntry

	mu        sync.Mutex
	downloads map[downloadKey]int64
	// reads caches PackageRev answers until the next index write.
	reads *store.GenCache[readKey, readResult]
	// policies caches what AdmitDownload reads, until the next index write.
	policies *store.GenCache[policyKey, downloadPolicy]
}

type readKey struct {
	user   string
	admin  bool
	scopes string
	k      store.PackageKey
}

type readResult struct {
	pkg store.Package
	err error
}

type downloadKey struct {
	k       store.PackageKey
	version string
}

// NewPipeline returns a pipeline over the given stores.
func NewPipeline(idx store.Index, blobs store.Blobs) *Pipeline {
	return &Pipeline{Index: idx, Blobs: blobs, Ecosystems: map[string]Ecosystem{}, downloads: map[downloadKey]int64{},
		bandwidth: map[bandwidthKey]*bwEntry{}, DefaultPlan: Plans[0].Name,
		reads:    store.NewGenCache[readKey, readResult](idx, 50000),
		policies: store.NewGenCache[policyKey, downloadPolicy](idx, 50000)}
}

// Register adds an ecosystem.
func (p *Pipeline) Register(e Ecosystem) { p.Ecosystems[e.Name()] = e }

// PublishRequest is one new version (or, with AddFiles, more files for an
// existing version) ready to commit. Files must already be in the blob store.
type PublishRequest struct {
	Key     store.PackageKey
	Version string
	Files   []store.File
	// Meta is the version's ecosystem metadata (npm: the version manifest).
	Meta []byte
	// Tags to set on the package after publishing (npm dist-tags).
	Tags map[string]string
	// RepoHint names a repository of this org the metadata points at
	// (npm repository.url = BASE/ORG/REPO); "" to use the package name.
	RepoHint string
	// DisplayName is the name as the client spelled it.
	DisplayName string
	// AddFiles allows adding new files to an existing version (PyPI, Maven);
	// each file name is still immutable.
	AddFiles bool
	// UpdatePackage, when set, may change package-level metadata inside the
	// publish transaction.
	UpdatePackage func(pkg *store.Package) error
	// UpdateVersion, when set, may change the version record (its Meta,
	// with the new files already appended) inside the publish
	// transaction, e.g. to merge per-file metadata when AddFiles adds a
	// file to an existing version.
	UpdateVersion func(v *store.Version) error
	// ExtraSize is storage a new version owns besides its files (OCI: the
	// blobs its manifest references); it is charged to the org's quota
	// with the files. Ignored when adding files to an existing version.
	ExtraSize int64
}

// PublishResult reports what a publish did.
type PublishResult struct {
	Package store.Package
	Version store.Version
	// Retried is true when an identical publish had already been committed
	// and nothing changed.
	Retried bool
}

// Publish commits req for principal pr: authorization, immutability and
// tombstones, package auto-linking, tags and the outbox event happen in
// one transaction.
func (p *Pipeline) Publish(ctx context.Context, pr Principal, req PublishRequest) (PublishResult, error) {
	var res PublishResult
	if eco, ok := p.Ecosystems[req.Key.Ecosystem]; ok {
		if err := eco.ValidVersion(req.Version); err != nil {
			return res, err
		}
	}
	if len(req.Files) == 0 && !req.AddFiles {
		return res, fmt.Errorf("%w: a version needs at least one file", store.ErrInvalid)
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

		existing, err := tx.Version(req.Key, req.Version)
		switch {
		case err == nil && existing.IsDeleted():
			return fmt.Errorf("%s %s@%s was deleted: %w", req.Key.Ecosystem, req.Key.Name, req.Version, store.ErrTombstoned)
		case err == nil && !req.AddFiles:
			if sameFiles(existing.Files, req.Files) {
				res = PublishResult{Package: pkg, Version: existing, Retried: true}
				return nil
			}
			return fmt.Errorf("%s %s@%s: %w", req.Key.Ecosystem, req.Key.Name, req.Version, store.ErrConflict)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		if req.AddFiles {
			if err := p.checkNewFiles(tx, req); err != nil {
				if errors.Is(err, errIdentical) {
					res = PublishResult{Package: pkg, Version: existing, Retried: true}
					return nil
				}
				return err
			}
		}
		v := existing
		if v.Version == "" {
			v = store.Version{PackageKey: req.Key, Version: req.Version, Published: now, Publisher: pr.User, ExtraSize: req.ExtraSize}
		}
		for _, f := range req.Files {
			if f.Uploaded.IsZero() {
				f.Uploaded = now
			}
			v.Files = append(v.Files, f)
		}
		if req.Meta != nil {
			v.Meta = req.Meta
		}
		if req.UpdateVersion != nil {
			if err := req.UpdateVersion(&v); err != nil {
				return err
			}
		}
		// Only a new version is "published": files added to an existing
		// one (a PyPI sdist after its wheel, a NuGet .snupkg) are not.
		res, err = p.commitVersion(tx, pr, req, pkg, existing, v, now, existing.Version == "")
		return err
	})
	if err != nil {
		return PublishResult{}, fmt.Errorf("publish %s %s@%s: %w", req.Key.Ecosystem, req.Key.Name, req.Version, err)
	}
	return res, nil
}

// packageFor loads the package req publishes into, or a new record for a
// first publish. Only a new package links itself (autoLink); moving an
// existing one is `drok package link`, which needs admin rights.
func (p *Pipeline) packageFor(tx store.Tx, pr Principal, req PublishRequest, now time.Time) (store.Package, error) {
	pkg, err := tx.Package(req.Key)
	if !errors.Is(err, store.ErrNotFound) {
		return pkg, err
	}
	pkg = store.Package{PackageKey: req.Key, DisplayName: req.DisplayName, Created: now}
	if pkg.DisplayName == "" {
		pkg.DisplayName = req.Key.Name
	}
	pkg.Repo, err = p.autoLink(tx, pr, req)
	return pkg, err
}

// commitVersion writes version v (replacing old, zero for a new version)
// and package pkg with req's tags and package update, charges the
// storage it adds to the org (refusing what exceeds the plan), matches
// it against the advisory database, bumps the package revision and,
// when published is set, appends the published event to the outbox:
// the common end of every publish transaction.
func (p *Pipeline) commitVersion(tx store.Tx, pr Principal, req PublishRequest, pkg store.Package, old, v store.Version, now time.Time, published bool) (PublishResult, error) {
	newly := p.matchVersion(&v)
	if err := p.putVersion(tx, old, v); err != nil {
		return PublishResult{}, err
	}
	for tag, ver := range req.Tags {
		if pkg.Tags == nil {
			pkg.Tags = map[string]string{}
		}
		pkg.Tags[tag] = ver
	}
	if req.UpdatePackage != nil {
		if err := req.UpdatePackage(&pkg); err != nil {
			return PublishResult{}, err
		}
	}
	pkg.Updated = now
	pkg.Rev++
	if err := tx.PutPackage(pkg); err != nil {
		return PublishResult{}, err
	}
	if published {
		if _, err := tx.AppendEvent(event(store.EventPublished, pkg, req.Version, pr)); err != nil {
			return PublishResult{}, err
		}
	}
	if len(newly) > 0 {
		e := event(store.EventVulnerable, pkg, req.Version, pr)
		e.Advisories = newly
		if _, err := tx.AppendEvent(e); err != nil {
			return PublishResult{}, err
		}
	}
	return PublishResult{Package: pkg, Version: v}, nil
}

var errIdentical = errors.New("identical files already published")

// checkNewFiles refuses file names already used by any version of the
// package, tombstones included. When every file already exists with the
// same content it returns errIdentical.
func (p *Pipeline) checkNewFiles(tx store.Tx, req PublishRequest) error {
	vs, err := tx.Versions(req.Key)
	if err != nil {
		return err
	}
	same := 0
	for _, f := range req.Files {
		for _, v := range vs {
			old, ok := v.File(f.Name)
			if !ok {
				continue
			}
			if !v.IsDeleted() && old.SHA256 == f.SHA256 {
				same++
				continue
			}
			return fmt.Errorf("file %s: %w", f.Name, store.ErrConflict)
		}
	}
	if same == len(req.Files) && same > 0 {
		return errIdentical
	}
	if same > 0 {
		return fmt.Errorf("some files already exist: %w", store.ErrConflict)
	}
	return nil
}

func sameFiles(a, b []store.File) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].SHA256 != b[i].SHA256 {
			return false
		}
	}
	return true
}

// autoLink picks the repository a new or unlinked package links to: the
// repository its metadata names, else one named like the package (the part
// after the last '/', ':' or '@'). A named repository the publisher may not
// write is an error; a same-name one is only linked when allowed.
func (p *Pipeline) autoLink(tx store.Tx, pr Principal, req PublishRequest) (string, error) {
	if req.RepoHint != "" {
		if _, err := tx.Repo(req.Key.Org, req.RepoHint); err == nil {
			if err := authorizeIn(tx, pr, Write, req.Key.Org, req.RepoHint, false); err != nil {
				return "", fmt.Errorf("package metadata links repository %s/%s: %w", req.Key.Org, req.RepoHint, err)
			}
			return req.RepoHint, nil
		}
	}
	name := req.Key.Name
	if i := strings.LastIndexAny(name, "/:"); i >= 0 {
		name = name[i+1:]
	}
	if _, err := tx.Repo(req.Key.Org, name); err == nil {
		if authorizeIn(tx, pr, Write, req.Key.Org, name, false) == nil {
			return name, nil
		}
	}
	return "", nil
}

func event(typ string, pkg store.Package, version string, pr Principal) store.Event {
	return store.Event{
		Type: typ, Ecosystem: pkg.Ecosystem, Org: pkg.Org, Repository: pkg.Repo,
		Package: pkg.Name, Version: version, Actor: pr.User, Time: time.Now().UTC(),
	}
}

// Resolved is a package with its versions, as visible to one principal.
type Resolved struct {
	Package store.Package
	// Versions holds every version, tombstones included, in publish order.
	Versions []store.Version
	// Settings are the owning org's settings (vulnerability blocking).
	Settings store.OrgSettings
}

// Live returns the versions that are not deleted.
func (r Resolved) Live() []store.Version {
	out := make([]store.Version, 0, len(r.Versions))
	for _, v := range r.Versions {
		if !v.IsDeleted() {
			out = append(out, v)
		}
	}
	return out
}

// Find returns the live version v.
func (r Resolved) Find(version string) (store.Version, bool) {
	for _, v := range r.Versions {
		if v.Version == version && !v.IsDeleted() {
			return v, true
		}
	}
	return store.Version{}, false
}

// PackageRev authorizes a read of k and returns the package record
// (without versions): cheap, for cache validation.
func (p *Pipeline) PackageRev(ctx context.Context, pr Principal, k store.PackageKey) (store.Package, error) {
	rk := readKey{user: pr.User, admin: pr.SiteAdmin, scopes: strings.Join(pr.Scopes, ","), k: k}
	if r, ok := p.reads.Get(rk); ok {
		return r.pkg, r.err
	}
	gen := p.reads.Begin()
	var pkg store.Package
	err := p.Index.View(ctx, func(tx store.Tx) error {
		var err error
		pkg, err = authorizeLoad(tx, pr, Read, k)
		if err == nil && pkg.Name == "" {
			err = fmt.Errorf("package %s: %w", k.Name, store.ErrNotFound)
		}
		return err
	})
	if err == nil || HTTPStatus(err) != http.StatusInternalServerError {
		p.reads.Put(rk, readResult{pkg, err}, gen)
	}
	return pkg, err
}

// Resolve authorizes a read of k and returns it with all its versions.
func (p *Pipeline) Resolve(ctx context.Context, pr Principal, k store.PackageKey) (Resolved, error) {
	var r Resolved
	err := p.Index.View(ctx, func(tx store.Tx) error {
		var err error
		if r.Package, err = authorizeLoad(tx, pr, Read, k); err != nil {
			return err
		}
		if r.Package.Name == "" {
			return fmt.Errorf("package %s: %w", k.Name, store.ErrNotFound)
		}
		if r.Versions, err = tx.Versions(k); err != nil {
			return err
		}
		o, err := tx.Org(k.Org)
		if err != nil {
			return err
		}
		r.Settings = o.Settings
		return nil
	})
	return r, err
}

// Mutate runs fn on package k inside one write transaction after
// authorizing act. fn may change pkg and return versions to store; the
// package's Rev is bumped and the returned events are appended to the
// outbox. It is the building block for yank, tags, deprecate and delete.
func (p *Pipeline) Mutate(ctx context.Context, pr Principal, act Action, k store.PackageKey,
	fn func(tx store.Tx, pkg *store.Package, versions []store.Version) (changed []store.Version, events []store.Event, err error)) error {
	return p.Index.Update(ctx, func(tx store.Tx) error {
		pkg, err := authorizeLoad(tx, pr, act, k)
		if err != nil {
			return err
		}
		if pkg.Name == "" {
			return fmt.Errorf("package %s: %w", k.Name, store.ErrNotFound)
		}
		vs, err := tx.Versions(k)
		if err != nil {
			return err
		}
		changed, events, err := fn(tx, &pkg, vs)
		if err != nil {
			return err
		}
		for _, v := range changed {
			var old store.Version
			if i := slices.IndexFunc(vs, func(o store.Version) bool { return o.Version == v.Version }); i >= 0 {
				old = vs[i]
			}
			if err := p.putVersion(tx, old, v); err != nil {
				return err
			}
		}
		pkg.Updated = time.Now().UTC()
		pkg.Rev++
		if err := tx.PutPackage(pkg); err != nil {
			return err
		}
		for _, e := range events {
			if e.Actor == "" {
				e.Actor = pr.User
			}
			if e.Repository == "" {
				e.Repository = pkg.Repo
			}
			if _, err := tx.AppendEvent(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// Yank hides (yank=true) or restores a version. reason is kept for
// protocols that show it (npm deprecation message, PEP 592).
func (p *Pipeline) Yank(ctx context.Context, pr Principal, k store.PackageKey, version string, yank bool, reason string) (store.Version, error) {
	var out store.Version
	err := p.Mutate(ctx, pr, Write, k, func(_ store.Tx, pkg *store.Package, vs []store.Version) ([]store.Version, []store.Event, error) {
		i := slices.IndexFunc(vs, func(v store.Version) bool { return v.Version == version && !v.IsDeleted() })
		if i < 0 {
			return nil, nil, fmt.Errorf("version %s: %w", version, store.ErrNotFound)
		}
		v := vs[i]
		typ := store.EventUnyanked
		v.Yanked, v.YankReason = yank, ""
		if yank {
			typ = store.EventYanked
			v.YankReason = reason
		}
		out = v
		return []store.Version{v}, []store.Event{event(typ, *pkg, version, pr)}, nil
	})
	if err != nil {
		return out, fmt.Errorf("yank %s@%s: %w", k.Name, version, err)
	}
	return out, nil
}

// DeleteVersion turns version into a tombstone: its files stay recorded so
// names are never reused, its tags are removed, and it is never served
// again.
func (p *Pipeline) DeleteVersion(ctx context.Context, pr Principal, k store.PackageKey, version string) error {
	return p.DeleteVersions(ctx, pr, k, []string{version}, -1)
}

// DeleteVersions tombstones several versions in one transaction. When
// ifRev is not negative the package must still be at that revision
// (npm's `_rev` check), so concurrent unpublishes cannot both apply.
func (p *Pipeline) DeleteVersions(ctx context.Context, pr Principal, k store.PackageKey, versions []string, ifRev int64) error {
	err := p.Mutate(ctx, pr, Write, k, func(_ store.Tx, pkg *store.Package, vs []store.Version) ([]store.Version, []store.Event, error) {
		if ifRev >= 0 && pkg.Rev != ifRev {
			return nil, nil, fmt.Errorf("revision %d is not the current revision %d: %w", ifRev, pkg.Rev, store.ErrConflict)
		}
		now := time.Now().UTC()
		var changed []store.Version
		var events []store.Event
		for _, version := range versions {
			i := slices.IndexFunc(vs, func(v store.Version) bool { return v.Version == version && !v.IsDeleted() })
			if i < 0 {
				return nil, nil, fmt.Errorf("version %s: %w", version, store.ErrNotFound)
			}
			v := vs[i]
			v.Deleted = now
			for tag, tv := range pkg.Tags {
				if tv == version {
					delete(pkg.Tags, tag)
				}
			}
			changed = append(changed, v)
			events = append(events, event(store.EventDeleted, *pkg, version, pr))
		}
		return changed, events, nil
	})
	if err != nil {
		return fmt.Errorf("delete %s@%s: %w", k.Name, strings.Join(versions, ","), err)
	}
	return nil
}

// DeletePackage tombstones every live version and clears all tags.
func (p *Pipeline) DeletePackage(ctx context.Context, pr Principal, k store.PackageKey) error {
	return p.DeletePackageIf(ctx, pr, k, nil)
}

// DeletePackageIf is DeletePackage with a precondition: check (when not
// nil) sees the package inside the deleting transaction and refuses by
// returning an error (npm's `_rev` check).
func (p *Pipeline) DeletePackageIf(ctx context.Context, pr Principal, k store.PackageKey, check func(store.Package) error) error {
	err := p.Mutate(ctx, pr, Write, k, func(_ store.Tx, pkg *store.Package, vs []store.Version) ([]store.Version, []store.Event, error) {
		if check != nil {
			if err := check(*pkg); err != nil {
				return nil, nil, err
			}
		}
		now := time.Now().UTC()
		var changed []store.Version
		for _, v := range vs {
			if !v.IsDeleted() {
				v.Deleted = now
				changed = append(changed, v)
			}
		}
		if len(changed) == 0 {
			return nil, nil, fmt.Errorf("package %s: %w", k.Name, store.ErrNotFound)
		}
		pkg.Tags = nil
		return changed, []store.Event{event(store.EventDeleted, *pkg, "", pr)}, nil
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", k.Name, err)
	}
	return nil
}

// Link links package k to repository repo of the same org ("" unlinks).
// It needs Admin on the package and Write on the target repository.
func (p *Pipeline) Link(ctx context.Context, pr Principal, k store.PackageKey, repo string) error {
	return p.Mutate(ctx, pr, Admin, k, func(tx store.Tx, pkg *store.Package, _ []store.Version) ([]store.Version, []store.Event, error) {
		if repo != "" {
			if err := AuthorizeRepo(tx, pr, Write, k.Org, repo); err != nil {
				return nil, nil, fmt.Errorf("repository %s/%s: %w", k.Org, repo, err)
			}
		}
		pkg.Repo = repo
		return nil, nil, nil
	})
}

// CountDownload records one download in memory; FlushDownloads persists.
func (p *Pipeline) CountDownload(k store.PackageKey, version string) {
	p.mu.Lock()
	p.downloads[downloadKey{k, version}]++
	p.mu.Unlock()
}

// FlushDownloads writes the accumulated download counters to the index.
func (p *Pipeline) FlushDownloads(ctx context.Context) error {
	p.mu.Lock()
	pending, bw := p.downloads, p.takeDirtyBandwidth()
	p.downloads = map[downloadKey]int64{}
	p.mu.Unlock()
	if len(pending) == 0 && len(bw) == 0 {
		return nil
	}
	err := store.UpdateCounters(ctx, p.Index, func(tx store.Tx) error {
		if err := p.flushBandwidth(tx, bw); err != nil {
			return err
		}
		for dk, n := range pending {
			v, err := tx.Version(dk.k, dk.version)
			if err == nil {
				v.Downloads += n
				if err := tx.PutVersion(v); err != nil {
					return err
				}
			}
			pkg, err := tx.Package(dk.k)
			if err == nil {
				pkg.Downloads += n
				if err := tx.PutPackage(pkg); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		// Persist these totals with the next flush.
		p.mu.Lock()
		for k := range bw {
			if e := p.bandwidth[k]; e != nil {
				e.dirty = true
			}
		}
		p.mu.Unlock()
	}
	return err
}
