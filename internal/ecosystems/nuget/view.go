package nuget

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// versionMeta is what drok stores as a version's Meta.
type versionMeta struct {
	Nuspec
}

// verView is one live version of a package as the protocol sees it.
type verView struct {
	key  string // normalised lower-case version (the storage key)
	v    Version
	meta Nuspec
	// listed is false for unlisted (yanked) versions and for versions
	// the org's vulnerability policy blocks, so floating resolution and
	// search skip both.
	listed     bool
	yankReason string
	// advisories are the advisories flagging the version, blocked or not
	// (registration vulnerabilities).
	advisories []store.AdvisoryRef
	published  time.Time
	downloads  int64
	files      []store.File
}

func (vv *verView) file(suffix string) (store.File, bool) {
	for _, f := range vv.files {
		if strings.HasSuffix(f.Name, suffix) {
			return f, true
		}
	}
	return store.File{}, false
}

// pkgView is a package at one revision, with its live versions sorted by
// NuGet version order, and lazily rendered documents.
type pkgView struct {
	rev     int64
	repo    string
	pkg     store.Package
	vers    []*verView
	byKey   map[string]*verView
	display string

	mu   sync.RWMutex
	docs map[string]*rendered
}

// rendered is one encoded document with its precomputed headers and,
// built on first demand, a gzip copy.
type rendered struct {
	body []byte
	etag []string
	clen []string

	gzOnce sync.Once
	gz     []byte
	gzLen  []string
}

// gzipMin is the smallest document served compressed.
const gzipMin = 4096

// gzipped returns the gzip copy (nil for small documents).
func (d *rendered) gzipped() ([]byte, []string) {
	if len(d.body) < gzipMin {
		return nil, nil
	}
	d.gzOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
		_, _ = zw.Write(d.body)
		if zw.Close() == nil {
			d.gz, d.gzLen = b.Bytes(), []string{strconv.Itoa(b.Len())}
		}
	})
	return d.gz, d.gzLen
}

// newView builds the view of pkg from all its versions (tombstones are
// dropped); settings are the owning org's (vulnerability blocking).
func newView(pkg store.Package, vs []store.Version, settings store.OrgSettings) *pkgView {
	pv := &pkgView{rev: pkg.Rev, repo: pkg.Repo, pkg: pkg, byKey: map[string]*verView{}, display: pkg.DisplayName, docs: map[string]*rendered{}}
	if pv.display == "" {
		pv.display = pkg.Name
	}
	for _, v := range vs {
		if v.IsDeleted() {
			continue
		}
		var m versionMeta
		if err := json.Unmarshal(v.Meta, &m); err != nil {
			continue
		}
		parsed, err := ParseVersion(m.FullVersion)
		if err != nil {
			if parsed, err = ParseVersion(v.Version); err != nil {
				continue
			}
		}
		if m.Version == "" {
			m.Version = parsed.String()
		}
		vv := &verView{key: v.Version, v: parsed, meta: m.Nuspec, listed: !v.Yanked && len(ecosystems.Blocking(settings, v)) == 0,
			yankReason: v.YankReason, advisories: v.Advisories, published: v.Published, downloads: v.Downloads, files: v.Files}
		pv.vers = append(pv.vers, vv)
		pv.byKey[vv.key] = vv
	}
	slices.SortStableFunc(pv.vers, func(a, b *verView) int { return a.v.Compare(b.v) })
	return pv
}

func (pv *pkgView) matches(pkg store.Package) bool { return pv.rev == pkg.Rev && pv.repo == pkg.Repo }

// find returns the live version matching a version as written in a URL.
func (pv *pkgView) find(version string) (*verView, bool) {
	key, err := NormalizeVersion(version)
	if err != nil {
		return nil, false
	}
	vv, ok := pv.byKey[key]
	return vv, ok
}

// doc returns the document named name, rendering it once per revision
// (nil when render returns nil).
func (pv *pkgView) doc(name string, render func() []byte) *rendered {
	pv.mu.RLock()
	d, ok := pv.docs[name]
	pv.mu.RUnlock()
	if ok {
		return d
	}
	pv.mu.Lock()
	defer pv.mu.Unlock()
	if d, ok := pv.docs[name]; ok {
		return d
	}
	b := render()
	if b == nil {
		return nil
	}
	d = &rendered{body: b, etag: []string{pv.etag(name)}, clen: []string{strconv.Itoa(len(b))}}
	pv.docs[name] = d
	return d
}

// latest returns the newest listed version accepted by keep.
func (pv *pkgView) latest(keep func(*verView) bool) *verView {
	for i := len(pv.vers) - 1; i >= 0; i-- {
		if vv := pv.vers[i]; vv.listed && keep(vv) {
			return vv
		}
	}
	return nil
}

// viewCache keeps package views by key; it is bounded by entry count and
// cleared wholesale when full (views are cheap to rebuild).
type viewCache struct {
	mu  sync.RWMutex
	max int
	m   map[store.PackageKey]*pkgView
}

func newViewCache(max int) *viewCache {
	return &viewCache{max: max, m: map[store.PackageKey]*pkgView{}}
}

func (c *viewCache) get(k store.PackageKey) *pkgView {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[k]
}

func (c *viewCache) put(k store.PackageKey, pv *pkgView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = pv
}

func (pv *pkgView) etag(name string) string {
	return `"` + strconv.FormatInt(pv.rev, 10) + "-" + name + `"`
}
