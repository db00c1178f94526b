package nuget

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// viewCacheSize bounds the number of package views kept in memory.
const viewCacheSize = 50000

type handler struct {
	env   *ecosystems.Env
	views *viewCache
	// lists caches visibleViews per principal and org until the next write.
	lists *store.GenCache[listKey, listResult]
	// hot maps (token, path) of per-package JSON documents to what was
	// served, until the next index write: a repeated GET skips routing,
	// the access check and the view lookup (all of which a write would
	// change, and every write empties the cache).
	hot *store.GenCache[hotKey, *rendered]
	// statics caches the service index and v2 service document per org.
	statics sync.Map // string → []byte
}

// staticDoc returns a per-org document that depends only on the feed URL.
func (h *handler) staticDoc(q *request, name string, render func(root string) []byte) []byte {
	k := name + "\x00" + q.org
	if b, ok := h.statics.Load(k); ok {
		return b.([]byte)
	}
	b := render(q.u().root)
	h.statics.Store(k, b)
	return b
}

// hotKey identifies a cached document answer: the caller's token (a
// token's user and scopes never change) and the escaped path.
type hotKey struct {
	token, user string
	path        string
}

// request is one parsed NuGet request.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context
	pr    ecosystems.Principal
	org   string
	route Route
	base  string
	feed  urls
	// hot and gen record where a rendered document may be cached.
	hot hotKey
	gen uint64
}

// u returns the feed's URLs (built on first use).
func (q *request) u() urls {
	if q.feed.root == "" {
		q.feed = urls{root: q.base + "/api/v1/packages/nuget/" + q.org + "/"}
	}
	return q.feed
}

func (q *request) key() store.PackageKey {
	return store.PackageKey{Ecosystem: ecosystems.NuGet, Org: q.org, Name: strings.ToLower(q.route.ID)}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pr, err := ecosystems.PrincipalFrom(r.Context())
	var hk hotKey
	var gen uint64
	if err == nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.RawQuery == "" {
		hk = hotKey{token: pr.TokenID, user: pr.User, path: r.URL.EscapedPath()}
		if d, ok := h.hot.Get(hk); ok {
			h.writeDoc(&request{w: w, r: r}, hdrJSON, d)
			return
		}
		gen = h.hot.Begin()
	}
	org := ecosystems.Org(r)
	q := &request{w: w, r: r, ctx: r.Context(), pr: pr, org: org, route: ParseRoute(ecosystems.Rest(r)),
		base: h.env.BaseURL, hot: hk, gen: gen}
	if err != nil {
		h.fail(q, fmt.Errorf("%w: create a new token with `drok token create` and run `drok setup nuget`", ecosystems.ErrBadToken))
		return
	}
	m := r.Method
	get := m == http.MethodGet || m == http.MethodHead
	switch k := q.route.Kind; {
	case k == RouteInvalid:
		ecosystems.WriteText(w, http.StatusBadRequest, q.route.Err.Error())
	case k == RouteRoot && get:
		h.static(q, "application/xml;charset=utf-8", h.staticDoc(q, "svc", ServiceDocument))
	case (k == RouteRoot || k == RoutePublish) && m == http.MethodPut:
		h.push(q, false)
	case k == RouteSymbolPublish && m == http.MethodPut:
		h.push(q, true)
	case k == RouteServiceIndex && get:
		h.static(q, "application/json", h.staticDoc(q, "index", ServiceIndex))
	case k == RoutePackage && get:
		h.download(q, ".nupkg")
	case k == RoutePackage && (m == http.MethodDelete || m == http.MethodPost):
		h.setListed(q, m == http.MethodPost)
	case k == RouteFlatIndex && get:
		h.doc(q, "flat", func(pv *pkgView) []byte { return pv.flatIndex() })
	case k == RouteFlatFile && get:
		h.flatFile(q)
	case k == RouteRegIndex && get:
		h.doc(q, "reg", func(pv *pkgView) []byte { return pv.regIndex(q.u()) })
	case k == RouteRegPage && get:
		h.regPage(q)
	case k == RouteRegLeaf && get:
		h.regLeaf(q)
	case k == RouteSearch && get:
		h.search(q)
	case k == RouteAutocomplete && get:
		h.autocomplete(q)
	case k == RouteV2Metadata && get:
		h.static(q, "application/xml;charset=utf-8", h.staticDoc(q, "meta", func(string) []byte { return Metadata() }))
	case (k == RouteV2Packages || k == RouteV2FindByID || k == RouteV2Search) && get:
		h.v2Feed(q)
	case k == RouteV2Entry && get:
		h.v2Entry(q)
	case k == RouteUnknown:
		if h.env.REST != nil {
			h.env.REST.ServeHTTP(w, r)
			return
		}
		ecosystems.WriteText(w, http.StatusNotFound, "no NuGet route for "+r.URL.Path)
	default:
		ecosystems.WriteText(w, http.StatusMethodNotAllowed, "method "+m+" not allowed here")
	}
}

// textHints are the NuGet wording of the plain-text errors.
var textHints = ecosystems.TextHints{Ecosystem: "nuget",
	LoginRequired: "authentication required: run `drok setup nuget` or pass a drok token as the API key / password",
	NotFound:      "not found"}

// WriteError writes a refused download (vulnerability block 403,
// bandwidth 429 with Retry-After) as plain text, the message also in
// X-NuGet-Warning, which NuGet clients print.
func (e *Ecosystem) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	ecosystems.SetRetryAfter(w, err)
	failText(w, r, slog.Default(), err, textHints)
}

// failText is ecosystems.FailText that also puts the message of a
// refusal the user must act on (policy, quota) in X-NuGet-Warning:
// NuGet clients print that header but not the body of an error.
func failText(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error, hints ecosystems.TextHints) {
	switch ecosystems.HTTPStatus(err) {
	case http.StatusForbidden, http.StatusTooManyRequests, http.StatusRequestEntityTooLarge:
		w.Header().Set("X-NuGet-Warning", warningText(ecosystems.PublicMessage(err)))
	}
	ecosystems.FailText(w, r, log, err, hints)
}

// warningText makes msg a valid single-line header value.
func warningText(msg string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r > 0x7e {
			return ' '
		}
		return r
	}, msg)
}

// fail writes err as status + text. Anonymous callers who would need to
// log in get 401 with a Basic challenge: NuGet clients send the
// credentials of nuget.config only after it.
func (h *handler) fail(q *request, err error) {
	hints := textHints
	if q.route.ID != "" {
		hints.NotFound = fmt.Sprintf("package %s not found", q.route.ID)
		if q.route.Version != "" {
			hints.NotFound = fmt.Sprintf("package %s %s not found", q.route.ID, q.route.Version)
		}
	}
	failText(q.w, q.r, h.env.Log, err, hints)
}

var (
	hdrJSON    = []string{"application/json"}
	hdrNosniff = []string{"nosniff"}
	hdrNoCache = []string{"private, max-age=0, must-revalidate"}
	hdrVary    = []string{"Accept-Encoding"}
	hdrGzip    = []string{"gzip"}
)

// write sends a document with ETag / If-None-Match.
func (h *handler) write(q *request, ctype string, body []byte, etag string) {
	d := &rendered{body: body, clen: []string{strconv.Itoa(len(body))}}
	if etag != "" {
		d.etag = []string{etag}
	}
	h.writeDoc(q, []string{ctype}, d)
}

// writeHot sends a per-package JSON document and remembers it for the
// same caller and path until the next index write.
func (h *handler) writeHot(q *request, d *rendered) {
	if q.hot.path != "" {
		h.hot.Put(q.hot, d, q.gen)
	}
	h.writeDoc(q, hdrJSON, d)
}

// writeDoc sends a rendered document; header values are shared slices.
func (h *handler) writeDoc(q *request, ctype []string, d *rendered) {
	hd := q.w.Header()
	if d.etag != nil {
		hd["Etag"] = d.etag
		if match := q.r.Header.Get("If-None-Match"); match != "" && match == d.etag[0] {
			q.w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	hd["Content-Type"] = ctype
	hd["X-Content-Type-Options"] = hdrNosniff
	hd["Cache-Control"] = hdrNoCache
	body, clen := d.body, d.clen
	if d.etag != nil && len(body) >= gzipMin {
		hd["Vary"] = hdrVary
		if ecosystems.RequestAcceptsGzip(q.r) {
			if gz, n := d.gzipped(); gz != nil {
				body, clen = gz, n
				hd["Content-Encoding"] = hdrGzip
			}
		}
	}
	hd["Content-Length"] = clen
	q.w.WriteHeader(http.StatusOK)
	if q.r.Method != http.MethodHead {
		_, _ = q.w.Write(body)
	}
}

// static serves a document that holds no package data. Anonymous callers
// are challenged (401) when the org does not exist or holds packages they
// cannot see: NuGet 2.x only sends the credentials of its configuration
// when the feed root asks for them.
func (h *handler) static(q *request, ctype string, body []byte) {
	var err error
	if q.pr.Anonymous() {
		_, err = h.visibleViews(q)
	}
	if err == nil {
		err = h.env.Pipeline.Index.View(q.ctx, func(tx store.Tx) error {
			_, err := tx.Org(q.org)
			if errors.Is(err, store.ErrNotFound) && q.pr.Anonymous() {
				return ecosystems.ErrLoginRequired
			}
			return err
		})
	}
	if err != nil {
		h.fail(q, err)
		return
	}
	h.write(q, ctype, body, "")
}

// view authorizes a read of the route's package and returns its view.
func (h *handler) view(q *request) (*pkgView, error) {
	k := q.key()
	pkg, err := h.env.Pipeline.PackageRev(q.ctx, q.pr, k)
	if err != nil {
		return nil, err
	}
	if pv := h.views.get(k); pv != nil && pv.matches(pkg) {
		return pv, nil
	}
	res, err := h.env.Pipeline.Resolve(q.ctx, q.pr, k)
	if err != nil {
		return nil, err
	}
	pv := newView(res.Package, res.Versions, res.Settings)
	h.views.put(k, pv)
	return pv, nil
}

// doc serves a per-package document rendered once per revision.
func (h *handler) doc(q *request, name string, render func(*pkgView) []byte) {
	pv, err := h.view(q)
	if err == nil && len(pv.vers) == 0 {
		err = fmt.Errorf("every version was deleted: %w", store.ErrNotFound)
	}
	if err != nil {
		h.fail(q, err)
		return
	}
	h.writeHot(q, pv.doc(name, func() []byte { return render(pv) }))
}

func (h *handler) regPage(q *request) {
	pv, err := h.view(q)
	if err != nil {
		h.fail(q, err)
		return
	}
	name := "page/" + strings.ToLower(q.route.Lower) + "/" + strings.ToLower(q.route.Upper)
	d := pv.doc(name, func() []byte { return pv.regPageDoc(q.u(), q.route.Lower, q.route.Upper) })
	if d == nil {
		h.fail(q, fmt.Errorf("registration page: %w", store.ErrNotFound))
		return
	}
	h.writeHot(q, d)
}

// versionView returns the package and the version the request names,
// after the read access check; it answers the failure itself (ok=false).
func (h *handler) versionView(q *request) (*pkgView, *verView, bool) {
	pv, err := h.view(q)
	if err != nil {
		h.fail(q, err)
		return nil, nil, false
	}
	vv, ok := pv.find(q.route.Version)
	if !ok {
		h.fail(q, fmt.Errorf("version: %w", store.ErrNotFound))
		return nil, nil, false
	}
	return pv, vv, true
}

func (h *handler) regLeaf(q *request) {
	pv, vv, ok := h.versionView(q)
	if !ok {
		return
	}
	h.writeHot(q, pv.doc("leaf/"+vv.key, func() []byte { return pv.regLeafDoc(q.u(), vv) }))
}

// flatFile serves {id}/{version}/{id}.{version}.nupkg, .nuspec or .snupkg.
func (h *handler) flatFile(q *request) {
	key, _ := NormalizeVersion(q.route.Version)
	base := strings.ToLower(q.route.ID) + "." + key
	file := strings.ToLower(q.route.File)
	for _, ext := range []string{".nupkg", ".nuspec", ".snupkg"} {
		if file == base+ext {
			h.download(q, ext)
			return
		}
	}
	h.fail(q, fmt.Errorf("file %s: %w", q.route.File, store.ErrNotFound))
}

// download serves the version's file with the extension ext.
func (h *handler) download(q *request, ext string) {
	_, vv, ok := h.versionView(q)
	if !ok {
		return
	}
	f, ok := vv.file(ext)
	if !ok {
		h.fail(q, fmt.Errorf("file: %w", store.ErrNotFound))
		return
	}
	if ext == ".nuspec" {
		f.ContentType = "application/xml"
	}
	h.env.Pipeline.ServeFile(q.w, q.r, q.key(), vv.key, f)
}

// setListed unlists (DELETE) or relists (POST) a version.
func (h *handler) setListed(q *request, listed bool) {
	key, _ := NormalizeVersion(q.route.Version)
	_, err := h.env.Pipeline.Yank(q.ctx, q.pr, q.key(), key, !listed, "")
	if err != nil {
		h.fail(q, err)
		return
	}
	if listed {
		q.w.WriteHeader(http.StatusOK)
		return
	}
	q.w.WriteHeader(http.StatusNoContent)
}

func (h *handler) search(q *request) {
	p, err := parseSearchParams(q.r.URL.Query().Get, 20)
	if err != nil {
		h.fail(q, err)
		return
	}
	views, err := h.visibleViews(q)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.write(q, "application/json", searchDoc(q.u(), views, p), "")
}

func (h *handler) autocomplete(q *request) {
	p, err := parseSearchParams(q.r.URL.Query().Get, 20)
	if err != nil {
		h.fail(q, err)
		return
	}
	views, err := h.visibleViews(q)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.write(q, "application/json", autocompleteDoc(views, p, q.r.URL.Query().Get("id")), "")
}

func (h *handler) v2Feed(q *request) {
	qs := q.r.URL.Query()
	var views []*pkgView
	var err error
	if q.route.Kind == RouteV2FindByID {
		// One package: no org scan.
		q.route.ID = unquote(qs.Get("id"))
		if ValidateID(q.route.ID) == nil {
			var pv *pkgView
			pv, err = h.view(q)
			switch {
			case err == nil:
				views = []*pkgView{pv}
			case errors.Is(err, store.ErrNotFound) && !errors.Is(err, ecosystems.ErrLoginRequired):
				err = nil // an empty feed
			}
		}
	} else {
		views, err = h.visibleViews(q)
	}
	if err != nil {
		h.fail(q, err)
		return
	}
	semver2 := false
	if v, err := ParseVersion(qs.Get("semVerLevel")); err == nil && v.Major >= 2 {
		semver2 = true
	}
	entries, total, err := v2Query(q.route, qs, v2Entries(views, semver2))
	if err != nil {
		ecosystems.WriteText(q.w, http.StatusBadRequest, err.Error())
		return
	}
	if q.route.Count {
		h.write(q, "text/plain; charset=utf-8", []byte(strconv.Itoa(total)), "")
		return
	}
	self := map[RouteKind]string{RouteV2Packages: "Packages", RouteV2FindByID: "FindPackagesById", RouteV2Search: "Search"}[q.route.Kind]
	h.write(q, "application/atom+xml;type=feed;charset=utf-8",
		feedDoc(q.u(), self, entries, total, qs.Get("$inlinecount") == "allpages"), "")
}

func (h *handler) v2Entry(q *request) {
	pv, vv, ok := h.versionView(q)
	if !ok {
		return
	}
	for _, e := range v2Entries([]*pkgView{pv}, true) {
		if e.vv == vv {
			h.write(q, "application/atom+xml;type=entry;charset=utf-8", entryDoc(q.u(), e), pv.etag("entry/"+vv.key))
			return
		}
	}
	h.fail(q, fmt.Errorf("version: %w", store.ErrNotFound))
}
