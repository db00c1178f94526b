package cargo

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// orgFacts is what config.json needs to know about an org, cached until
// the next index write.
type orgFacts struct {
	exists bool
	// hasPublic: some crate of the org is linked to a public repository.
	hasPublic bool
	// authRequired: the org has crates that are not public, or none at
	// all, so cargo must send its token with every request.
	authRequired bool
	err          error
}

func (h *handler) facts(q *request) orgFacts {
	if f, ok := h.orgs.Get(q.org); ok {
		return f
	}
	gen := h.orgs.Begin()
	f := orgFacts{authRequired: true}
	f.err = h.env.Pipeline.Index.View(q.r.Context(), func(tx store.Tx) error {
		if _, err := tx.Org(q.org); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		f.exists = true
		pkgs, err := tx.PackageList(store.PackageFilter{Ecosystem: ecosystems.Cargo, Org: q.org})
		if err != nil {
			return err
		}
		nonPublic := false
		for _, p := range pkgs {
			if ecosystems.Visibility(tx, p) == string(store.Public) {
				f.hasPublic = true
			} else {
				nonPublic = true
			}
		}
		f.authRequired = nonPublic || !f.hasPublic
		return nil
	})
	if f.err == nil {
		h.orgs.Put(q.org, f, gen)
	}
	return f
}

// canSeeOrg reports whether an authenticated principal may learn that
// the org exists: members, collaborators, site admins, or anyone when the
// org has a public crate.
func (h *handler) canSeeOrg(q *request, f orgFacts) (bool, error) {
	if f.hasPublic || q.pr.SiteAdmin {
		return true, nil
	}
	ok := false
	err := h.env.Pipeline.Index.View(q.r.Context(), func(tx store.Tx) error {
		o, err := tx.Org(q.org)
		if err != nil {
			return err
		}
		if _, ok = o.Members[q.pr.User]; ok {
			return nil
		}
		repos, err := tx.Repos(q.org)
		if err != nil {
			return err
		}
		for _, r := range repos {
			if r.Collaborators[q.pr.User] != "" {
				ok = true
				return nil
			}
		}
		return nil
	})
	return ok, err
}

// config serves config.json. Anonymous callers get it only for orgs
// whose crates are all public; otherwise 401, so that cargo retries with
// its token (RFC 3139).
func (h *handler) config(q *request) {
	f := h.facts(q)
	if f.err != nil {
		h.fail(q, f.err)
		return
	}
	if q.pr.Anonymous() {
		if !f.exists || f.authRequired {
			h.fail(q, ecosystems.ErrLoginRequired)
			return
		}
	} else {
		ok, err := h.canSeeOrg(q, f)
		if err == nil && (!f.exists || !ok) {
			err = fmt.Errorf("registry: %w", store.ErrNotFound)
		}
		if err != nil {
			h.fail(q, err)
			return
		}
	}
	base := h.base(q.org)
	writeJSON(q.w, http.StatusOK, map[string]any{
		"dl":            base + "/api/v1/crates",
		"api":           base,
		"auth-required": f.authRequired,
	})
}

// indexCacheBytes is the memory budget of rendered index files.
const indexCacheBytes = 128 << 20

// indexFile is one rendered sparse index file.
type indexFile struct {
	rev      int64
	body     []byte
	etag     string
	modified time.Time
	// lastMod and length are the Last-Modified and Content-Length values.
	lastMod, length string
	// gz is the gzip-compressed body (nil for small files), served to
	// clients that accept it, with its own ETag and length.
	gz               []byte
	gzEtag, gzLength string
}

// newIndexFile prepares a rendered index file for serving.
func newIndexFile(rev int64, body []byte, modified time.Time) *indexFile {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:16])
	f := &indexFile{rev: rev, body: body, modified: modified, etag: `"` + tag + `"`,
		lastMod: modified.UTC().Format(http.TimeFormat), length: strconv.Itoa(len(body))}
	if len(body) > 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		_, _ = zw.Write(body)
		if zw.Close() == nil {
			f.gz, f.gzEtag, f.gzLength = buf.Bytes(), `"`+tag+`-gz"`, strconv.Itoa(buf.Len())
		}
	}
	return f
}

func (f *indexFile) size() int64 { return int64(len(f.body)+len(f.gz)) + 256 }

// versionMeta is what drok stores per crate version.
type versionMeta struct {
	Index       IndexEntry `json:"index"`
	Description string     `json:"description,omitempty"`
}

// renderIndex renders the index file of a resolved crate: one JSON line
// per live version, in publication order; yanked and blocked versions
// are marked yanked.
func renderIndex(res ecosystems.Resolved) ([]byte, error) {
	var buf bytes.Buffer
	for _, v := range res.Versions {
		if v.IsDeleted() {
			continue
		}
		var m versionMeta
		if err := json.Unmarshal(v.Meta, &m); err != nil {
			return nil, fmt.Errorf("index entry of %s@%s: %w", res.Package.Name, v.Version, err)
		}
		// A version the org's vulnerability policy blocks is yanked for
		// cargo: new resolutions avoid it.
		m.Index.Yanked = v.Yanked || res.Blocked(v)
		line, err := json.Marshal(m.Index)
		if err != nil {
			return nil, err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// indexFile serves a sparse index file with ETag and Last-Modified.
func (h *handler) indexFile(q *request) {
	k := h.key(q.org, q.route.Name)
	pkg, err := h.env.Pipeline.PackageRev(q.r.Context(), q.pr, k)
	if err == nil && strings.ToLower(pkg.DisplayName) != q.route.Name {
		err = fmt.Errorf("crate %s: %w", q.route.Name, store.ErrNotFound)
	}
	if err != nil {
		h.fail(q, err)
		return
	}
	f, rev, ok := h.index.Get(k)
	if !ok || rev != pkg.Rev {
		res, err := h.env.Pipeline.Resolve(q.r.Context(), q.pr, k)
		if err != nil {
			h.fail(q, err)
			return
		}
		body, err := renderIndex(res)
		if err != nil {
			h.fail(q, err)
			return
		}
		if len(body) == 0 {
			h.fail(q, fmt.Errorf("crate %s: %w", q.route.Name, store.ErrNotFound))
			return
		}
		f = newIndexFile(res.Package.Rev, body, res.Package.Updated)
		h.index.Put(k, f, f.rev, f.size())
	}
	serveIndex(q.w, q.r, f)
}

// Header values shared by every index response (set without allocating).
var (
	hdrTextPlain = []string{"text/plain; charset=utf-8"}
	hdrNosniff   = []string{"nosniff"}
	hdrNoCache   = []string{"private, max-age=0, must-revalidate"}
	hdrVary      = []string{"Accept-Encoding"}
	hdrGzip      = []string{"gzip"}
)

// serveIndex answers a GET or HEAD of a rendered index file, with 304
// for a matching If-None-Match (or, without one, an If-Modified-Since
// not older than the file). The body goes out in one write: index files
// are never requested by range.
func serveIndex(w http.ResponseWriter, r *http.Request, f *indexFile) {
	body, etag, length := f.body, f.etag, f.length
	h := w.Header()
	if f.gz != nil {
		h["Vary"] = hdrVary
		if ecosystems.RequestAcceptsGzip(r) {
			body, etag, length = f.gz, f.gzEtag, f.gzLength
			h["Content-Encoding"] = hdrGzip
		}
	}
	h["Etag"] = []string{etag}
	h["Last-Modified"] = []string{f.lastMod}
	h["Cache-Control"] = hdrNoCache
	if notModified(r, etag, f.modified) {
		delete(h, "Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = hdrTextPlain
	h["X-Content-Type-Options"] = hdrNosniff
	h["Content-Length"] = []string{length}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// notModified evaluates the request's validators against f (RFC 9110
// 13.2.2: If-None-Match wins over If-Modified-Since).
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for part := range strings.SplitSeq(inm, ",") {
			part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
			if part == "*" || part == etag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		t, err := http.ParseTime(ims)
		return err == nil && !modified.Truncate(time.Second).After(t)
	}
	return false
}
