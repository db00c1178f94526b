package npm

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// cacheBytes is the approximate memory budget of rendered packuments.
const cacheBytes = 256 << 20

type handler struct {
	env      *ecosystems.Env
	cache    *ecosystems.RevCache[*pkgState]
	searches *ecosystems.RevCache[*searchEntry]
}

// request is one parsed npm request.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	ctx   context.Context
	pr    ecosystems.Principal
	org   string
	route Route
}

func (q *request) key() store.PackageKey {
	return store.PackageKey{Ecosystem: ecosystems.NPM, Org: q.org, Name: q.route.Name}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pr, err := ecosystems.PrincipalFrom(r.Context())
	if err != nil {
		writeError(w, http.StatusUnauthorized, "invalid, expired or revoked token: create a new one with `drok token create` and run `drok setup npm`")
		return
	}
	q := &request{w: w, r: r, ctx: r.Context(), pr: pr, org: ecosystems.Org(r), route: ParseRoute(ecosystems.Rest(r))}
	m := r.Method
	get := m == http.MethodGet || m == http.MethodHead
	switch q.route.Kind {
	case RouteInvalidName:
		writeError(w, http.StatusBadRequest, q.route.Err.Error())
	case RoutePackument:
		switch {
		case get:
			h.packument(q)
		case m == http.MethodPut:
			h.put(q, "")
		default:
			h.toREST(q)
		}
	case RouteVersion:
		if get {
			h.version(q)
		} else {
			h.toREST(q)
		}
	case RouteTarball:
		if get {
			h.tarball(q)
		} else {
			h.toREST(q)
		}
	case RouteTarballRev:
		if m == http.MethodDelete {
			h.deleteTarball(q)
		} else {
			notAllowed(w, "DELETE")
		}
	case RouteRev:
		switch m {
		case http.MethodPut:
			h.put(q, q.route.Rev)
		case http.MethodDelete:
			h.deletePackage(q)
		default:
			notAllowed(w, "PUT, DELETE")
		}
	case RouteDistTags:
		if get {
			h.distTags(q)
		} else {
			notAllowed(w, "GET")
		}
	case RouteDistTag:
		switch m {
		case http.MethodPut, http.MethodPost:
			h.setDistTag(q)
		case http.MethodDelete:
			h.removeDistTag(q)
		default:
			notAllowed(w, "PUT, DELETE")
		}
	case RouteWhoami:
		h.whoami(q)
	case RoutePing:
		writeJSON(w, http.StatusOK, map[string]any{})
	case RouteLogin:
		writeError(w, http.StatusNotFound, "web login is not supported by drok; npm falls back to token login")
	case RouteAddUser:
		h.addUser(q)
	case RouteSearch:
		if get {
			h.search(q)
		} else {
			notAllowed(w, "GET")
		}
	case RouteAudit:
		if m == http.MethodPost && strings.HasSuffix(ecosystems.Rest(r), "security/advisories/bulk") {
			h.advisoriesBulk(q)
			return
		}
		// The legacy quick audit is not served: an empty report keeps
		// `npm install` and `npm audit` from failing.
		writeJSON(w, http.StatusOK, map[string]any{})
	default:
		h.toREST(q)
	}
}

// toREST hands paths the npm protocol does not claim to the REST API.
func (h *handler) toREST(q *request) {
	if h.env.REST != nil {
		h.env.REST.ServeHTTP(q.w, q.r)
		return
	}
	writeError(q.w, http.StatusNotFound, fmt.Sprintf("no npm route for %s %s", q.r.Method, q.r.URL.Path))
}

func notAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "method not allowed")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError writes npm's error body {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// fail writes err in npm's format. For reads (read=true), anonymous
// callers get 404 rather than 401 for packages they cannot see, so an
// invisible package looks exactly like a missing one.
func (h *handler) fail(q *request, err error, read bool) {
	status := ecosystems.HTTPStatus(err)
	msg := ecosystems.PublicMessage(err)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		status, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than the limit of %d bytes", mbe.Limit)
	case errors.Is(err, ecosystems.ErrBadToken):
		msg = "invalid, expired or revoked token: create a new one with `drok token create` and run `drok setup npm`"
	case errors.Is(err, ecosystems.ErrLoginRequired) && read:
		status, msg = http.StatusNotFound, notFoundMsg(q)
	case errors.Is(err, ecosystems.ErrLoginRequired):
		msg = "authentication required: create a token with `drok token create` and configure npm with `drok setup npm`"
	case status == http.StatusNotFound && !errors.As(err, new(notFound)):
		msg = notFoundMsg(q)
	case status == http.StatusInternalServerError && h.env.Log != nil:
		h.env.Log.Error("npm request failed", "method", q.r.Method, "path", q.r.URL.Path, "err", err)
	}
	writeError(q.w, status, msg)
}

// notFound is a "not found" whose message is safe and more precise than
// "package X not found" (a version or tag of a visible package).
type notFound string

func (e notFound) Error() string { return string(e) }
func (e notFound) Unwrap() error { return store.ErrNotFound }

func notFoundMsg(q *request) string {
	if q.route.Name != "" {
		return fmt.Sprintf("package %s not found", q.route.Name)
	}
	return "not found"
}

// registry is the absolute npm registry root of org, without trailing slash.
func (h *handler) registry(org string) string {
	return h.env.BaseURL + "/api/v1/packages/npm/" + org
}

// state returns the rendered state of the package after the access check
// (PackageRev). It rebuilds from Resolve when the cached one is stale.
func (h *handler) state(q *request) (*pkgState, error) {
	k := q.key()
	pkg, err := h.env.Pipeline.PackageRev(q.ctx, q.pr, k)
	if err != nil {
		return nil, err
	}
	if st, _, ok := h.cache.Get(k); ok && st.matches(pkg) {
		return st, nil
	}
	res, err := h.env.Pipeline.Resolve(q.ctx, q.pr, k)
	if err != nil {
		return nil, err
	}
	st := h.newState(q.ctx, res)
	h.cache.Put(k, st, st.rev, stateSize(st))
	return st, nil
}

func (h *handler) newState(ctx context.Context, res ecosystems.Resolved) *pkgState {
	vis := h.visibility(ctx, res.Package)
	doc := NewPackument(res.Package, res.Versions, vis, h.registry(res.Package.Org))
	doc.MarkBlocked(res.Settings)
	return &pkgState{rev: res.Package.Rev, repo: res.Package.Repo, doc: doc}
}

// visibility is the linked repository's visibility, "org" when unlinked
// (the same words the REST API uses).
func (h *handler) visibility(ctx context.Context, pkg store.Package) string {
	vis := "org"
	_ = h.env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		vis = ecosystems.Visibility(tx, pkg)
		return nil
	})
	return vis
}

func wantsAbbreviated(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), AbbreviatedType) && r.URL.Query().Get("write") != "true"
}

// packument serves GET {name}: the full or abbreviated document from the
// cache, with ETag / If-None-Match and gzip.
func (h *handler) packument(q *request) {
	st, err := h.state(q)
	if err != nil {
		h.fail(q, err, true)
		return
	}
	if st.doc.Empty() {
		writeError(q.w, http.StatusNotFound, fmt.Sprintf("package %s not found: every version was unpublished", q.route.Name))
		return
	}
	variant, ctype := variantFull, "application/json"
	if wantsAbbreviated(q.r) {
		variant, ctype = variantAbbreviated, AbbreviatedType
	}
	doc := st.render(variant)
	ecosystems.ServeRendered(q.w, q.r, doc.body, doc.gz, doc.etag, ctype, "Accept, Accept-Encoding, Authorization")
}

// version serves GET {name}/{version|tag}.
func (h *handler) version(q *request) {
	st, err := h.state(q)
	if err != nil {
		h.fail(q, err, true)
		return
	}
	ver := q.route.Arg
	if validSemver(ver) != nil {
		if v, ok := st.doc.DistTags()[ver]; ok {
			ver = v
		}
	}
	body, ok := st.doc.VersionDoc(ver)
	if !ok {
		writeError(q.w, http.StatusNotFound, fmt.Sprintf("version %s of %s not found", q.route.Arg, q.route.Name))
		return
	}
	q.w.Header().Set("Cache-Control", "private, max-age=0, must-revalidate")
	q.w.Header().Set("Content-Type", "application/json")
	q.w.Header().Set("X-Content-Type-Options", "nosniff")
	q.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	q.w.WriteHeader(http.StatusOK)
	if q.r.Method != http.MethodHead {
		_, _ = q.w.Write(body)
	}
}

// tarball serves GET {name}/-/{basename}-{version}.tgz (yanked versions
// included: an exact install still works).
func (h *handler) tarball(q *request) {
	st, err := h.state(q)
	if err != nil {
		h.fail(q, err, true)
		return
	}
	ver, err := ParseTarballName(q.route.Name, q.route.Arg)
	if err != nil {
		writeError(q.w, http.StatusNotFound, fmt.Sprintf("tarball %s of %s not found", q.route.Arg, q.route.Name))
		return
	}
	v, ok := st.doc.Find(ver)
	var f store.File
	if ok {
		f, ok = v.File(TarballName(q.route.Name, ver))
	}
	if !ok {
		writeError(q.w, http.StatusNotFound, fmt.Sprintf("tarball %s of %s not found", q.route.Arg, q.route.Name))
		return
	}
	h.env.Pipeline.ServeFile(q.w, q.r, q.key(), ver, f)
}

// put handles PUT {name} (publish, or a metadata update such as
// deprecate) and PUT {name}/-rev/{rev} (unpublish of the versions missing
// from the body).
func (h *handler) put(q *request, rev string) {
	// An early refusal leaves most of a large body unread; reading it
	// (bounded by the daemon's body limit) lets the client finish sending
	// and read the npm error instead of a broken connection.
	defer func() { _, _ = io.Copy(io.Discard, q.r.Body) }()
	if q.pr.Anonymous() {
		h.fail(q, ecosystems.ErrLoginRequired, false)
		return
	}
	k := q.key()
	if err := h.authorizeWrite(q.ctx, q.pr, k); err != nil {
		h.fail(q, err, false)
		return
	}
	var up *upload
	defer func() { up.discard() }() // no-op once committed
	var att Attachment
	doc, err := ParsePublish(q.r.Body, DefaultMetaLimit, func(doc *PublishDoc, name string, data io.Reader) error {
		if !strings.HasSuffix(name, ".tgz") {
			return nil // e.g. a provenance bundle: not stored
		}
		if up != nil {
			return fmt.Errorf("%w: a publish carries one tarball", ErrManifest)
		}
		if rev != "" {
			return fmt.Errorf("%w: a -rev update cannot carry a tarball", ErrManifest)
		}
		if err := precheck(q.ctx, h.env, k, doc); err != nil {
			return err
		}
		var err error
		up, err = storeTarball(q.ctx, h.env.Pipeline.Blobs, base64.NewDecoder(base64.StdEncoding, data))
		if err != nil {
			if isBase64Err(err) {
				return fmt.Errorf("%w: attachment data is not valid base64: %v", ErrManifest, err)
			}
			return err
		}
		att.Name = name
		return nil
	})
	if err != nil {
		h.fail(q, err, false)
		return
	}
	if up == nil {
		h.updateMeta(q, doc, rev)
		return
	}
	for _, a := range doc.Attachments {
		if a.Name == att.Name {
			att = a
		}
	}
	in, err := checkPublish(h.env, q.pr, k, doc, att, up)
	if err != nil {
		h.fail(q, err, false)
		return
	}
	res, err := commit(q.ctx, h.env, q.pr, in, up, false)
	if err != nil {
		h.fail(q, err, false)
		return
	}
	status := http.StatusCreated
	if res.Retried {
		status = http.StatusOK
	}
	writeJSON(q.w, status, map[string]any{"ok": true, "id": in.name, "rev": strconv.FormatInt(res.Package.Rev, 10)})
}

func isBase64Err(err error) bool {
	var ce base64.CorruptInputError
	return errors.As(err, &ce)
}

// authorizeWrite checks write access before any byte of a body is read
// or stored.
func (h *handler) authorizeWrite(ctx context.Context, pr ecosystems.Principal, k store.PackageKey) error {
	return h.env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		return ecosystems.Authorize(tx, pr, ecosystems.Write, k)
	})
}

// updateMeta applies a PUT without a tarball: deprecation messages for
// existing versions and, for -rev updates, deletion of the versions the
// body no longer lists.
func (h *handler) updateMeta(q *request, doc *PublishDoc, rev string) {
	if doc.Versions == nil {
		writeError(q.w, http.StatusBadRequest, "the document has neither versions nor a tarball attachment: nothing to do")
		return
	}
	k := q.key()
	res, err := h.env.Pipeline.Resolve(q.ctx, q.pr, k)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) && len(doc.Versions) > 0 {
			writeError(q.w, http.StatusBadRequest, fmt.Sprintf("%s has no published versions; publish a tarball first", q.route.Name))
			return
		}
		h.fail(q, err, false)
		return
	}
	cur := NewPackument(res.Package, res.Versions, "", "")
	cur.MarkBlocked(res.Settings)
	if rev != "" && rev != cur.Rev() {
		writeError(q.w, http.StatusConflict, fmt.Sprintf("document update conflict: revision %s is not the current revision %s", rev, cur.Rev()))
		return
	}
	changes := map[string]string{}
	for ver, raw := range doc.Versions {
		v, ok := cur.Find(ver)
		if !ok {
			writeError(q.w, http.StatusBadRequest, fmt.Sprintf("version %s of %s does not exist; new versions need a tarball attachment", ver, q.route.Name))
			return
		}
		var fields struct {
			Deprecated *string `json:"deprecated"`
		}
		if err := json.Unmarshal(raw, &fields); err != nil {
			writeError(q.w, http.StatusBadRequest, fmt.Sprintf("versions[%q]: \"deprecated\" must be a string", ver))
			return
		}
		msg := ""
		if fields.Deprecated != nil {
			msg = *fields.Deprecated
		}
		if len(msg) > maxDeprecation {
			writeError(q.w, http.StatusBadRequest, fmt.Sprintf("versions[%q]: the deprecation message is %d bytes; the limit is %d", ver, len(msg), maxDeprecation))
			return
		}
		// npm deprecate sends back every version as it read it: the
		// rendered message of a blocked version (advisory appended) is
		// not a change, and never stored.
		if msg != cur.deprecation(v) && msg != cur.storedDeprecation(v) {
			changes[ver] = msg
		}
	}
	if rev != "" {
		var gone []string
		for _, v := range cur.live {
			if _, keep := doc.Versions[v.Version]; !keep {
				gone = append(gone, v.Version)
			}
		}
		if len(gone) > 0 {
			if err := h.env.Pipeline.DeleteVersions(q.ctx, q.pr, k, gone, res.Package.Rev); err != nil {
				h.fail(q, fmt.Errorf("unpublish %s: %w", q.route.Name, err), false)
				return
			}
		}
	}
	if len(changes) > 0 {
		err := h.env.Pipeline.Mutate(q.ctx, q.pr, ecosystems.Write, k, func(_ store.Tx, pkg *store.Package, vs []store.Version) ([]store.Version, []store.Event, error) {
			var changed []store.Version
			var events []store.Event
			for _, v := range vs {
				msg, ok := changes[v.Version]
				if !ok || v.IsDeleted() {
					continue
				}
				was := deprecated(v)
				meta, err := setDeprecated(v.Meta, msg)
				if err != nil {
					return nil, nil, err
				}
				v.Meta = meta
				changed = append(changed, v)
				// npm deprecate is npm's yank: a version that becomes
				// deprecated (or stops being so) fires the webhook event.
				if is := deprecated(v); is != was {
					typ := store.EventUnyanked
					if is {
						typ = store.EventYanked
					}
					events = append(events, store.Event{Type: typ, Ecosystem: pkg.Ecosystem, Org: pkg.Org,
						Package: pkg.Name, Version: v.Version, Time: time.Now().UTC()})
				}
			}
			return changed, events, nil
		})
		if err != nil {
			h.fail(q, fmt.Errorf("deprecate %s: %w", q.route.Name, err), false)
			return
		}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"ok": true, "id": q.route.Name})
}

// deprecated reports whether npm sees v as deprecated (its stored
// deprecation, or a drok yank); the blocking mark is not looked at.
func deprecated(v store.Version) bool {
	fields := map[string]json.RawMessage{}
	_ = json.Unmarshal(v.Meta, &fields)
	return Deprecation(v, fields) != ""
}

// setDeprecated sets (or, for "", removes) "deprecated" in a stored manifest.
func setDeprecated(meta []byte, msg string) ([]byte, error) {
	fields := map[string]json.RawMessage{}
	if len(meta) > 0 {
		if err := json.Unmarshal(meta, &fields); err != nil {
			return nil, fmt.Errorf("stored manifest: %w", err)
		}
	}
	if msg == "" {
		delete(fields, "deprecated")
	} else {
		fields["deprecated"] = mustJSON(msg)
	}
	return json.Marshal(fields)
}

// deletePackage handles DELETE {name}/-rev/{rev}: every version becomes a
// tombstone. The revision check and the tombstoning happen in one
// transaction, so a change made after the client read the document
// (a concurrent publish) is never deleted unseen.
func (h *handler) deletePackage(q *request) {
	k := q.key()
	err := h.env.Pipeline.DeletePackageIf(q.ctx, q.pr, k, func(pkg store.Package) error {
		return checkRev(q.route.Rev, pkg.Rev)
	})
	if err != nil {
		h.fail(q, err, false)
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"ok": true, "id": q.route.Name})
}

// checkRev compares a client's document revision with the current one.
func checkRev(rev string, cur int64) error {
	if rev != strconv.FormatInt(cur, 10) {
		return conflict(fmt.Sprintf("document update conflict: revision %s is not the current revision %d", rev, cur))
	}
	return nil
}

// conflict is a 409 whose message needs no suffix.
type conflict string

func (e conflict) Error() string { return string(e) }
func (e conflict) Unwrap() error { return store.ErrConflict }

// deleteTarball handles DELETE {name}/-/{file}/-rev/{rev}, the second step
// of a one-version unpublish: it tombstones the version if the preceding
// PUT did not already. rev is deliberately not checked. npm first PUTs
// the document without the version (updateMeta tombstones it, checking
// that PUT's rev in the same transaction), then reads the document again
// and sends the rev it just got here, so for npm the check could only
// fail on a race it cannot act on. And unlike a whole-package delete,
// whose effect depends on which versions exist when it runs, this request
// names one immutable version: a concurrent change to the package cannot
// make it delete anything the client did not ask for.
func (h *handler) deleteTarball(q *request) {
	k := q.key()
	ver, err := ParseTarballName(q.route.Name, q.route.Arg)
	if err != nil {
		writeError(q.w, http.StatusNotFound, fmt.Sprintf("tarball %s of %s not found", q.route.Arg, q.route.Name))
		return
	}
	res, err := h.env.Pipeline.Resolve(q.ctx, q.pr, k)
	if err != nil {
		h.fail(q, err, false)
		return
	}
	for _, v := range res.Versions {
		if v.Version != ver {
			continue
		}
		if !v.IsDeleted() {
			if err := h.env.Pipeline.DeleteVersion(q.ctx, q.pr, k, ver); err != nil {
				h.fail(q, err, false)
				return
			}
		} else if err := h.authorizeWrite(q.ctx, q.pr, k); err != nil {
			h.fail(q, err, false)
			return
		}
		writeJSON(q.w, http.StatusOK, map[string]any{"ok": true})
		return
	}
	writeError(q.w, http.StatusNotFound, fmt.Sprintf("tarball %s of %s not found", q.route.Arg, q.route.Name))
}

// distTags serves GET -/package/{name}/dist-tags.
func (h *handler) distTags(q *request) {
	st, err := h.state(q)
	if err != nil {
		h.fail(q, err, true)
		return
	}
	writeJSON(q.w, http.StatusOK, st.doc.DistTags())
}

// setDistTag handles PUT -/package/{name}/dist-tags/{tag} with a JSON
// string body holding the version.
func (h *handler) setDistTag(q *request) {
	tag := q.route.Arg
	if err := ValidateTag(tag); err != nil {
		h.fail(q, err, false)
		return
	}
	body, err := io.ReadAll(io.LimitReader(q.r.Body, 4096))
	if err != nil {
		h.fail(q, fmt.Errorf("read body: %w", err), false)
		return
	}
	ver, err := DistTagBody(body)
	if err != nil {
		h.fail(q, err, false)
		return
	}
	var tags map[string]string
	err = h.env.Pipeline.Mutate(q.ctx, q.pr, ecosystems.Write, q.key(), func(_ store.Tx, pkg *store.Package, vs []store.Version) ([]store.Version, []store.Event, error) {
		found := false
		for _, v := range vs {
			if v.Version == ver && !v.IsDeleted() {
				found = true
			}
		}
		if !found {
			return nil, nil, notFound(fmt.Sprintf("version %s of %s not found", ver, pkg.Name))
		}
		if pkg.Tags == nil {
			pkg.Tags = map[string]string{}
		}
		pkg.Tags[tag] = ver
		tags = cloneTags(pkg.Tags)
		return nil, nil, nil
	})
	if err != nil {
		h.fail(q, fmt.Errorf("dist-tag %s: %w", tag, err), false)
		return
	}
	writeJSON(q.w, http.StatusCreated, tags)
}

// removeDistTag handles DELETE -/package/{name}/dist-tags/{tag}.
func (h *handler) removeDistTag(q *request) {
	tag := q.route.Arg
	if tag == "latest" {
		writeError(q.w, http.StatusBadRequest, "the latest tag cannot be removed; point it at another version instead")
		return
	}
	var tags map[string]string
	err := h.env.Pipeline.Mutate(q.ctx, q.pr, ecosystems.Write, q.key(), func(_ store.Tx, pkg *store.Package, _ []store.Version) ([]store.Version, []store.Event, error) {
		if _, ok := pkg.Tags[tag]; !ok {
			return nil, nil, notFound(fmt.Sprintf("dist-tag %q of %s not found", tag, pkg.Name))
		}
		delete(pkg.Tags, tag)
		tags = cloneTags(pkg.Tags)
		return nil, nil, nil
	})
	if err != nil {
		h.fail(q, err, false)
		return
	}
	writeJSON(q.w, http.StatusOK, tags)
}

func cloneTags(t map[string]string) map[string]string {
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}

// whoami serves GET -/whoami.
func (h *handler) whoami(q *request) {
	if q.pr.Anonymous() {
		h.fail(q, ecosystems.ErrLoginRequired, false)
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]string{"username": q.pr.User})
}

// addUser handles PUT -/user/org.couchdb.user:{name}, npm's legacy login.
// drok never trades a password for a token; a request that already
// carries a valid drok token gets that same token back, so `npm login`
// succeeds for users whose .npmrc is set up.
func (h *handler) addUser(q *request) {
	if q.r.Method != http.MethodPut {
		notAllowed(q.w, "PUT")
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(q.r.Body, 64<<10))
	scheme, token, _ := strings.Cut(q.r.Header.Get("Authorization"), " ")
	if q.pr.Anonymous() || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		writeError(q.w, http.StatusUnauthorized, "drok does not log in with a password: create a token with `drok token create` and configure npm with `drok setup npm` (it writes the token into .npmrc)")
		return
	}
	writeJSON(q.w, http.StatusCreated, map[string]any{
		"ok": true, "id": "org.couchdb.user:" + q.pr.User, "token": strings.TrimSpace(token),
	})
}
