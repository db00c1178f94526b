package maven

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/onewrite"
	"github.com/drok-dev/drok/internal/store"
)

type handler struct {
	env   *ecosystems.Env
	cache *stateCache
}

// request is one parsed repository request.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context
	pr    ecosystems.Principal
	org   string
	route Route
	name  string // groupId:artifactId, computed once
}

func (q *request) key() store.PackageKey {
	if q.name == "" {
		q.name = q.route.Name()
	}
	return store.PackageKey{Ecosystem: ecosystems.Maven, Org: q.org, Name: q.name}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pr, err := ecosystems.PrincipalFrom(r.Context())
	if err != nil {
		h.fail(&request{w: w, r: r}, fmt.Errorf("%w: create a new one with `drok token create` and run `drok setup maven`", ecosystems.ErrBadToken))
		return
	}
	q := &request{w: w, r: r, ctx: r.Context(), pr: pr, org: ecosystems.Org(r), route: ParseRoute(ecosystems.Rest(r))}
	if q.route.Kind == RouteREST || r.Method == http.MethodDelete {
		h.toREST(q)
		return
	}
	switch q.route.Kind {
	case RouteInvalid:
		ecosystems.WriteText(w, http.StatusBadRequest, q.route.Err.Error())
		return
	case RouteUnknown:
		ecosystems.WriteText(w, http.StatusNotFound, "not found: not a Maven repository path")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.get(q)
	case http.MethodPut:
		h.put(q)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		ecosystems.WriteText(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

// toREST hands drok's own package routes (groupId:artifactId[/version])
// to the REST API.
func (h *handler) toREST(q *request) {
	if h.env.REST != nil {
		h.env.REST.ServeHTTP(q.w, q.r)
		return
	}
	ecosystems.WriteText(q.w, http.StatusNotFound, "not found")
}

// textHints are the Maven wording of the plain-text errors.
var textHints = ecosystems.TextHints{Ecosystem: "maven",
	LoginRequired: "authentication required: put a drok token in settings.xml (`drok setup maven`)"}

// fail writes err as status + text. Callers that must log in get the
// Basic challenge Maven waits for before it sends credentials.
func (h *handler) fail(q *request, err error) {
	var log *slog.Logger
	if h.env != nil {
		log = h.env.Log
	}
	ecosystems.FailText(q.w, q.r, log, err, textHints)
}

// WriteError writes a refused download (vulnerability block 403,
// bandwidth 429 with Retry-After) in the repository's plain-text error
// format: Maven prints the status, the body carries the reason.
func (e *Ecosystem) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	ecosystems.SetRetryAfter(w, err)
	ecosystems.FailText(w, r, slog.Default(), err, textHints)
}

// state returns package k as rendered at its current revision, after the
// read access check.
func (h *handler) state(q *request) (*pkgState, error) {
	k := q.key()
	pkg, err := h.env.Pipeline.PackageRev(q.ctx, q.pr, k)
	if err != nil {
		return nil, err
	}
	if st := h.cache.get(k, pkg.Rev); st != nil {
		return st, nil
	}
	res, err := h.env.Pipeline.Resolve(q.ctx, q.pr, k)
	if err != nil {
		return nil, err
	}
	st := buildState(q.route.GroupID, q.route.ArtifactID, res)
	h.cache.put(k, st)
	return st, nil
}

func (h *handler) get(q *request) {
	st, err := h.state(q)
	if err != nil {
		h.fail(q, err)
		return
	}
	rt := q.route
	switch rt.Kind {
	case RouteArtifactMetadata:
		serveDoc(q, st.artifact)
		return
	case RouteVersionMetadata:
		if d, ok := st.snapshot[rt.Version]; ok {
			serveDoc(q, d)
			return
		}
		h.fail(q, fmt.Errorf("version %s of %s: %w", rt.Version, rt.Name(), store.ErrNotFound))
		return
	}
	v, ok := st.versions[rt.Version]
	if !ok {
		h.fail(q, fmt.Errorf("version %s of %s: %w", rt.Version, rt.Name(), store.ErrNotFound))
		return
	}
	f, ok := v.File(rt.File)
	if !ok && IsSnapshot(rt.Version) {
		f, ok = NewestBuildFile(rt.ArtifactID, rt.Version, rt.File, v.Files)
	}
	if !ok {
		h.fail(q, fmt.Errorf("file %s: %w", rt.File, store.ErrNotFound))
		return
	}
	if rt.Checksum != "" {
		sum := f.Hashes[rt.Checksum]
		if rt.Checksum == "sha256" {
			sum = f.SHA256
		}
		if sum == "" {
			h.fail(q, fmt.Errorf("%s of %s: %w", rt.Checksum, rt.File, store.ErrNotFound))
			return
		}
		serveText(q, sum, `"`+f.SHA256+"-"+rt.Checksum+`"`)
		return
	}
	h.env.Pipeline.ServeFile(q.w, q.r, q.key(), v.Version, f)
}

// Shared header values of metadata responses (never modified).
var (
	xmlType      = []string{"text/xml"}
	nosniff      = []string{"nosniff"}
	revalidate   = []string{"private, max-age=0, must-revalidate"}
	varyEncoding = []string{"Accept-Encoding"}
	gzipEncoding = []string{"gzip"}
)

func serveDoc(q *request, d *doc) {
	if algo := q.route.Checksum; algo != "" {
		serveText(q, d.sums[algo], d.etag[:len(d.etag)-1]+"-"+algo+`"`)
		return
	}
	hd := q.w.Header()
	hd["Content-Type"] = xmlType
	hd["X-Content-Type-Options"] = nosniff
	hd["Cache-Control"] = revalidate
	body, etag, etagHdr, lengthHdr := d.body, d.etag, d.etagHdr, d.lengthHdr
	if d.gz != nil {
		hd["Vary"] = varyEncoding
		if ecosystems.AcceptsGzip(q.r.Header["Accept-Encoding"]) {
			body, etag, etagHdr, lengthHdr = d.gz, d.gzEtag, d.gzEtagHdr, d.gzLengthHdr
			hd["Content-Encoding"] = gzipEncoding
		}
	}
	hd["Etag"] = etagHdr
	if inm := q.r.Header["If-None-Match"]; len(inm) == 1 && inm[0] == etag {
		q.w.WriteHeader(http.StatusNotModified)
		return
	}
	hd["Content-Length"] = lengthHdr
	onewrite.Send(q.w, q.r, http.StatusOK, body)
}

func serveText(q *request, text, etag string) {
	hd := q.w.Header()
	hd.Set("Content-Type", "text/plain")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("ETag", etag)
	hd.Set("Content-Length", strconv.Itoa(len(text)))
	q.w.WriteHeader(http.StatusOK)
	if q.r.Method != http.MethodHead {
		_, _ = io.WriteString(q.w, text)
	}
}

// maxIgnored bounds the client metadata bodies read and discarded.
const maxIgnored = 1 << 20

func (h *handler) put(q *request) {
	k := q.key()
	if err := h.env.Pipeline.Index.View(q.ctx, func(tx store.Tx) error {
		return ecosystems.Authorize(tx, q.pr, ecosystems.Write, k)
	}); err != nil {
		h.fail(q, err)
		return
	}
	rt := q.route
	switch {
	case rt.Kind != RouteFile:
		// Client metadata and its checksums: accepted, never trusted.
		n, err := io.Copy(io.Discard, io.LimitReader(q.r.Body, maxIgnored+1))
		if err != nil {
			h.fail(q, fmt.Errorf("read metadata: %w", store.ErrIncomplete))
			return
		}
		if n > maxIgnored {
			h.fail(q, fmt.Errorf("%w: metadata larger than %d bytes", ecosystems.ErrTooLarge, maxIgnored))
			return
		}
		ecosystems.WriteText(q.w, http.StatusCreated, "accepted; drok generates "+MetadataFile+" itself")
	case rt.Checksum != "":
		h.putChecksum(q)
	default:
		h.putFile(q)
	}
}

// putChecksum verifies an uploaded checksum against the stored file.
// Checksums are computed by the server, so nothing is stored either way.
func (h *handler) putChecksum(q *request) {
	rt := q.route
	want, err := ParseChecksum(rt.Checksum, q.r.Body)
	if err != nil {
		h.fail(q, err)
		return
	}
	f, ok := h.storedFile(q)
	if !ok {
		h.fail(q, fmt.Errorf("%w: no file %s to check this %s against: upload the file first", store.ErrInvalid, rt.File, rt.Checksum))
		return
	}
	got := f.Hashes[rt.Checksum]
	if rt.Checksum == "sha256" {
		got = f.SHA256
	}
	if got != want {
		h.fail(q, fmt.Errorf("%w: checksum mismatch: the stored %s has %s %s, the uploaded checksum says %s; the checksum was refused (the file is kept; drok serves computed checksums)",
			store.ErrInvalid, rt.File, rt.Checksum, got, want))
		return
	}
	ecosystems.WriteText(q.w, http.StatusCreated, "checksum verified")
}

// storedFile looks up the route's file in its live version with one
// index read (callers have authorized the request already).
func (h *handler) storedFile(q *request) (store.File, bool) {
	f, ok, _ := h.lookup(q)
	return f, ok
}

// lookup is storedFile that also reports a deleted version.
func (h *handler) lookup(q *request) (f store.File, ok, deleted bool) {
	_ = h.env.Pipeline.Index.View(q.ctx, func(tx store.Tx) error {
		v, err := tx.Version(q.key(), q.route.Version)
		switch {
		case err != nil:
		case v.IsDeleted():
			deleted = true
		default:
			f, ok = v.File(q.route.File)
		}
		return nil
	})
	return f, ok, deleted
}

// refuseExisting answers a PUT that cannot succeed (deleted version,
// existing immutable file) before or after its body is read, so that
// neither the body nor a blob is kept for nothing. The pipeline checks
// again inside its transaction.
func (h *handler) refuseExisting(q *request, replaceable bool) bool {
	_, exists, deleted := h.lookup(q)
	switch {
	case deleted:
		h.fail(q, fmt.Errorf("%s %s was deleted: %w", q.route.Name(), q.route.Version, store.ErrTombstoned))
	case exists && !replaceable:
		h.fail(q, fmt.Errorf("%s %s: release files are immutable: %w", q.route.Name(), q.route.File, store.ErrConflict))
	default:
		return false
	}
	return true
}

// checksumHeaders are the request headers with a checksum of the body
// (Artifactory and Nexus clients send them).
var checksumHeaders = map[string]string{"md5": "X-Checksum-Md5", "sha1": "X-Checksum-Sha1", "sha256": "X-Checksum-Sha256", "sha512": "X-Checksum-Sha512"}

func (h *handler) putFile(q *request) {
	rt := q.route
	fn, err := ParseFileName(rt.ArtifactID, rt.Version, rt.File)
	if err != nil {
		h.fail(q, err)
		return
	}
	snapshot := IsSnapshot(rt.Version)
	replaceable := snapshot && fn.Timestamp == ""
	if h.refuseExisting(q, replaceable) {
		return
	}
	var body io.Reader = q.r.Body
	var pom *bytes.Buffer
	if fn.Extension == "pom" && fn.Classifier == "" {
		pom = &bytes.Buffer{}
		body = io.TeeReader(io.LimitReader(body, maxPOM+1), pom)
	}
	hashes := newHashes()
	ws := make([]io.Writer, 0, len(hashes))
	for _, hh := range hashes {
		ws = append(ws, hh)
	}
	staged, err := h.env.Pipeline.Blobs.Stage(q.ctx, io.TeeReader(body, io.MultiWriter(ws...)), "")
	if err != nil {
		h.fail(q, fmt.Errorf("upload %s: %w", rt.File, err))
		return
	}
	defer staged.Discard()
	sums := map[string]string{}
	for algo, hh := range hashes {
		sums[algo] = hex.EncodeToString(hh.Sum(nil))
	}
	for algo, hdr := range checksumHeaders {
		if want := strings.ToLower(strings.TrimSpace(q.r.Header.Get(hdr))); want != "" && want != sums[algo] {
			h.fail(q, fmt.Errorf("%w: checksum mismatch: %s says %s, the body's %s is %s; nothing stored", store.ErrInvalid, hdr, want, algo, sums[algo]))
			return
		}
	}
	if pom != nil {
		p, err := ParsePOM(bytes.NewReader(pom.Bytes()))
		if err == nil && (p.GroupID != rt.GroupID || p.ArtifactID != rt.ArtifactID || p.Version != rt.Version) {
			err = fmt.Errorf("%w: the POM says %s:%s:%s but is uploaded as %s:%s", ErrBadPOM, p.GroupID, p.ArtifactID, p.Version, rt.Name(), rt.Version)
		}
		if err != nil {
			h.fail(q, err)
			return
		}
	}
	if h.refuseExisting(q, replaceable) { // another upload won meanwhile
		return
	}
	info := staged.Info()
	if err := h.checkStorage(q, store.File{Name: rt.File, Size: info.Size}, snapshot); err != nil {
		h.fail(q, fmt.Errorf("upload %s: %w", rt.File, err))
		return
	}
	if err := staged.Commit(); err != nil {
		h.fail(q, fmt.Errorf("store %s: %w", rt.File, err))
		return
	}
	file := store.File{Name: rt.File, SHA256: info.SHA256, Size: info.Size, ContentType: contentType(rt.File),
		Hashes: map[string]string{"md5": sums["md5"], "sha1": sums["sha1"], "sha512": sums["sha512"]}}
	var replace func(string) bool
	var prune func(store.OrgSettings, []store.File) []store.File
	if snapshot {
		replace = func(string) bool { return replaceable }
		prune = func(s store.OrgSettings, files []store.File) []store.File {
			return KeepBuilds(rt.ArtifactID, rt.Version, files, s.MaxSnapshots)
		}
	}
	req := ecosystems.PublishRequest{Key: q.key(), Version: rt.Version, Files: []store.File{file}, DisplayName: rt.Name(), AddFiles: true,
		UpdatePackage: raiseLatest(rt.Version)}
	if _, err := h.env.Pipeline.PutFiles(q.ctx, q.pr, req, replace, prune); err != nil {
		if errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrTombstoned) {
			err = fmt.Errorf("%s %s: release files are immutable: %w", rt.Name(), rt.File, store.ErrConflict)
		}
		h.fail(q, err)
		return
	}
	ecosystems.WriteText(q.w, http.StatusCreated, "stored "+rt.File)
}

// checkStorage refuses, before its blob is kept, a file whose version
// would outgrow the org's storage limit: the version's files as PutFiles
// will leave them (f added or replacing its namesake, older SNAPSHOT
// builds pruned) against the files it has. The commit checks again.
func (h *handler) checkStorage(q *request, f store.File, snapshot bool) error {
	return h.env.Pipeline.Index.View(q.ctx, func(tx store.Tx) error {
		v, err := tx.Version(q.key(), q.route.Version)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		files := slices.Clone(v.Files)
		if i := slices.IndexFunc(files, func(o store.File) bool { return o.Name == f.Name }); i >= 0 {
			files[i] = f
		} else {
			files = append(files, f)
		}
		if snapshot {
			o, err := tx.Org(q.org)
			if err != nil {
				return err
			}
			files = KeepBuilds(q.route.ArtifactID, q.route.Version, files, o.Settings.MaxSnapshots)
		}
		var delta int64
		for _, x := range files {
			delta += x.Size
		}
		for _, x := range v.Files {
			delta -= x.Size
		}
		return h.env.Pipeline.CheckStorage(tx, q.org, delta)
	})
}

// raiseLatest returns a package update that points the "latest" tag
// (shown by drok's REST details) at version when it is a release higher
// than the current one.
func raiseLatest(version string) func(*store.Package) error {
	return func(pkg *store.Package) error {
		if IsSnapshot(version) {
			return nil
		}
		if cur := pkg.Tags["latest"]; cur == "" || CompareVersions(version, cur) > 0 {
			if pkg.Tags == nil {
				pkg.Tags = map[string]string{}
			}
			pkg.Tags["latest"] = version
		}
		return nil
	}
}
