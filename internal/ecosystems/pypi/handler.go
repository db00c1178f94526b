package pypi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// pageCacheBytes is the approximate memory budget of rendered pages.
const pageCacheBytes = 128 << 20

type handler struct {
	env   *ecosystems.Env
	pages *ecosystems.RevCache[*pageState]
	roots *store.GenCache[rootKey, *rendered]
}

type rootKey struct {
	user   string
	admin  bool
	scopes string
	org    string
	format Format
}

func newHandler(env *ecosystems.Env) *handler {
	return &handler{env: env, pages: ecosystems.NewRevCache[*pageState](pageCacheBytes),
		roots: store.NewGenCache[rootKey, *rendered](env.Pipeline.Index, 10000)}
}

// request is one parsed PyPI request.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context
	pr    ecosystems.Principal
	org   string
	route Route
}

func (q *request) key() store.PackageKey {
	return store.PackageKey{Ecosystem: ecosystems.PyPI, Org: q.org, Name: NormalizeName(q.route.Name)}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pr, err := ecosystems.PrincipalFrom(r.Context())
	q := &request{w: w, r: r, ctx: r.Context(), pr: pr, org: ecosystems.Org(r), route: ParseRoute(ecosystems.Rest(r))}
	if err != nil {
		h.fail(q, err)
		return
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	if q.route.Redirect != "" && get {
		http.Redirect(w, r, "/api/v1/packages/pypi/"+q.org+"/"+q.route.Redirect, http.StatusMovedPermanently)
		return
	}
	switch q.route.Kind {
	case RouteInvalid:
		h.fail(q, q.route.Err)
	case RouteUpload:
		switch {
		case r.Method == http.MethodPost:
			h.upload(q)
		case get:
			http.Redirect(w, r, "/api/v1/packages/pypi/"+q.org+"/simple/", http.StatusFound)
		default:
			notAllowed(w, "GET, POST")
		}
	case RouteSimpleRoot:
		if get {
			h.simpleRoot(q)
		} else {
			notAllowed(w, "GET")
		}
	case RouteSimpleProject:
		if get {
			h.simpleProject(q)
		} else {
			notAllowed(w, "GET")
		}
	case RouteFile, RouteMetadata:
		if get {
			h.file(q)
		} else {
			notAllowed(w, "GET")
		}
	case RouteJSON:
		if get {
			h.projectJSON(q)
		} else {
			notAllowed(w, "GET")
		}
	default:
		if h.env.REST != nil {
			h.env.REST.ServeHTTP(w, r)
			return
		}
		ecosystems.WriteText(w, http.StatusNotFound, "not found")
	}
}

func notAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	ecosystems.WriteText(w, http.StatusMethodNotAllowed, "method not allowed")
}

// fail writes err as status + text (writeError). Callers who must log in
// (anonymous, or with a bad token) get 401 with a Basic challenge so pip
// and twine send or ask for credentials.
func (h *handler) fail(q *request, err error) {
	writeError(q.w, q.r, h.env.Log, err, textHints(q.route.Name))
}

// upload handles twine's POST (legacy API, :action=file_upload).
func (h *handler) upload(q *request) {
	// An early refusal leaves the body unread; draining it (bounded by the
	// daemon's body limit) lets twine read the answer.
	defer func() { _, _ = io.Copy(io.Discard, q.r.Body) }()
	// The project is authorized (Authorize, Write) as soon as the form
	// names it, before any byte of the file is read; anonymous callers are
	// refused at once.
	if q.pr.Anonymous() {
		h.fail(q, ecosystems.ErrLoginRequired)
		return
	}
	mt, _, _ := mime.ParseMediaType(q.r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		h.fail(q, fmt.Errorf("%w: the upload must be multipart/form-data", ErrUpload))
		return
	}
	mr, err := q.r.MultipartReader()
	if err != nil {
		h.fail(q, fmt.Errorf("%w: %w", ErrUpload, err))
		return
	}
	var staged store.Staged
	defer func() {
		if staged != nil {
			staged.Discard()
		}
	}()
	var dist Dist
	identical := false
	form, err := ReadForm(mr, func(f *Form, filename string, body io.Reader) error {
		d, err := CheckForm(f, filename)
		if err != nil {
			return err
		}
		dist = d
		k := store.PackageKey{Ecosystem: ecosystems.PyPI, Org: q.org, Name: NormalizeName(f.Name)}
		switch err := precheckFile(q.ctx, h.env, q.pr, k, d.Version, filename, f.SHA256); {
		case errors.Is(err, errIdentical):
			identical = true
			return nil
		case err != nil:
			return err
		}
		staged, err = h.env.Pipeline.Blobs.Stage(q.ctx, body, f.SHA256)
		if err != nil {
			return fmt.Errorf("upload %s: %w", filename, err)
		}
		return nil
	})
	if err != nil {
		h.fail(q, err)
		return
	}
	if identical {
		ecosystems.WriteText(q.w, http.StatusOK, "OK (identical file already uploaded)")
		return
	}
	in, err := inspect(staged, dist, form)
	if err != nil {
		h.fail(q, err)
		return
	}
	if _, err := commitUpload(q.ctx, h.env, q.pr, q.org, in); err != nil {
		h.fail(q, err)
		return
	}
	ecosystems.WriteText(q.w, http.StatusOK, "OK")
}

// serve writes a rendered page with ETag / If-None-Match and gzip.
func serve(q *request, doc *rendered, ctype string) {
	ecosystems.ServeRendered(q.w, q.r, doc.body, doc.gz, doc.etag, ctype, "Accept, Accept-Encoding, Authorization")
}

func (h *handler) negotiate(q *request) (Format, bool) {
	f, ok := Negotiate(q.r.Header.Get("Accept"), q.r.URL.Query().Get("format"))
	if !ok {
		ecosystems.WriteText(q.w, http.StatusNotAcceptable, "none of the accepted media types is served; use "+typeJSON+", "+typeHTMLv1+" or text/html")
	}
	return f, ok
}

// simpleRoot serves simple/: the projects of the org the caller can see.
// Anonymous callers get a 401 challenge when they can see none.
func (h *handler) simpleRoot(q *request) {
	f, ok := h.negotiate(q)
	if !ok {
		return
	}
	rk := rootKey{user: q.pr.User, admin: q.pr.SiteAdmin, scopes: strings.Join(q.pr.Scopes, ","), org: q.org, format: f}
	doc, ok := h.roots.Get(rk)
	if !ok {
		gen := h.roots.Begin()
		var names []string
		err := h.env.Pipeline.Index.View(q.ctx, func(tx store.Tx) error {
			ps, err := tx.PackageList(store.PackageFilter{Ecosystem: ecosystems.PyPI, Org: q.org})
			if err != nil {
				return err
			}
			for _, p := range ps {
				if ecosystems.Authorize(tx, q.pr, ecosystems.Read, p.PackageKey) == nil {
					names = append(names, p.Name)
				}
			}
			if len(names) > 0 {
				return nil
			}
			if err := ecosystems.AuthorizeOrg(tx, q.pr, ecosystems.Read, q.org); err != nil && !errors.Is(err, ecosystems.ErrDenied) {
				return err
			}
			return nil
		})
		if err != nil {
			h.fail(q, err)
			return
		}
		slices.Sort(names)
		body := RootHTML(names)
		if f == FormatJSON {
			body = RootJSON(names)
		}
		doc = newRendered(body, fmt.Sprintf(`W/"pypi-root-%d-%d"`, gen, f))
		h.roots.Put(rk, doc, gen)
	}
	serve(q, doc, f.ContentType())
}

// state returns the project page state of the request's project after
// the read access check.
func (h *handler) state(q *request) (*pageState, error) {
	k := q.key()
	pkg, err := h.env.Pipeline.PackageRev(q.ctx, q.pr, k)
	if err != nil {
		return nil, err
	}
	if st, rev, ok := h.pages.Get(k); ok && rev == pkg.Rev {
		return st, nil
	}
	res, err := h.env.Pipeline.Resolve(q.ctx, q.pr, k)
	if err != nil {
		return nil, err
	}
	st := &pageState{rev: res.Package.Rev, proj: NewProject(res.Package, res.Versions, res.Settings)}
	h.pages.Put(k, st, st.rev, pageSize(st))
	return st, nil
}

// simpleProject serves simple/{project}/.
func (h *handler) simpleProject(q *request) {
	f, ok := h.negotiate(q)
	if !ok {
		return
	}
	st, err := h.state(q)
	if err != nil {
		h.fail(q, err)
		return
	}
	if len(st.proj.files) == 0 {
		h.fail(q, fmt.Errorf("project %s has no files: %w", st.proj.Name, store.ErrNotFound))
		return
	}
	serve(q, st.render(f), f.ContentType())
}

// file serves files/{project}/{version}/{filename} and its PEP 658
// metadata file. Yanked files are still served (pip installs them when
// pinned); files of versions the org's vulnerability policy blocks are
// refused (403 naming the advisories), also when pinned.
func (h *handler) file(q *request) {
	k := q.key()
	if _, err := h.env.Pipeline.PackageRev(q.ctx, q.pr, k); err != nil {
		h.fail(q, err)
		return
	}
	var v store.Version
	err := h.env.Pipeline.Index.View(q.ctx, func(tx store.Tx) error {
		var err error
		v, err = tx.Version(k, q.route.Version)
		return err
	})
	notFound := func() {
		ecosystems.WriteText(q.w, http.StatusNotFound, fmt.Sprintf("file %s not found", truncate(q.route.Filename)))
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && v.IsDeleted()) {
		notFound()
		return
	}
	if err != nil {
		h.fail(q, err)
		return
	}
	f, ok := v.File(q.route.Filename)
	if !ok {
		notFound()
		return
	}
	if q.route.Kind == RouteFile {
		h.env.Pipeline.ServeFile(q.w, q.r, k, v.Version, f)
		return
	}
	fm, ok := decodeVersionMeta(v.Meta).Files[f.Name]
	if !ok || fm.MetadataSHA256 == "" {
		notFound()
		return
	}
	h.serveMetadata(q, k, v.Version, f.Name, fm.MetadataSHA256)
}

// serveMetadata serves the PEP 658 metadata file of a wheel. It is a file
// of the version like the wheel: admitted (a blocked version is refused
// with 403, a download over the bandwidth limit with 429) and metered,
// but not counted as a download of the project.
func (h *handler) serveMetadata(q *request, k store.PackageKey, version, filename, sha string) {
	rc, info, err := h.env.Pipeline.Blobs.Open(sha)
	if err != nil {
		h.fail(q, fmt.Errorf("metadata of %s: %w", filename, err))
		return
	}
	defer rc.Close()
	size := info.Size
	if q.r.Method == http.MethodHead {
		size = 0
	}
	g, err := h.env.Pipeline.AdmitDownload(q.ctx, k, version, size)
	if err != nil {
		h.env.Pipeline.WriteDownloadError(q.w, q.r, k.Ecosystem, err)
		return
	}
	g.SetWarning(q.w)
	hd := q.w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("ETag", `"`+sha+`"`)
	hd.Set("Cache-Control", "private, max-age=0, must-revalidate")
	mw := &ecosystems.MeteredWriter{ResponseWriter: q.w}
	defer func() { g.Done(mw.N) }()
	http.ServeContent(mw, q.r, "", info.ModTime, rc)
}
