package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// manifestFile is the name of the one file of a manifest version.
const manifestFile = "manifest.json"

// pageMax caps n of tags/list and _catalog.
const pageMax = 1000

// manifestMeta is the store.Version.Meta of a manifest version.
type manifestMeta struct {
	MediaType    string            `json:"mediaType"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	Subject      string            `json:"subject,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	// Blobs are the blob store keys (sha256 hex) of config and layers.
	Blobs []string `json:"blobs,omitempty"`
	// Children are the digests of the manifests an index lists.
	Children []string `json:"children,omitempty"`
	// SBOM holds the package URLs an SBOM referrer (SPDX or CycloneDX
	// JSON artifact) lists; see sbom.go.
	SBOM []string `json:"sbom,omitempty"`
	// Packages is the union of the SBOM package URLs of this manifest's
	// live SBOM referrers: what advisory matching checks.
	Packages []string `json:"sbom_packages,omitempty"`
}

func decodeMeta(v store.Version) (manifestMeta, error) {
	var m manifestMeta
	if err := json.Unmarshal(v.Meta, &m); err != nil {
		return m, fmt.Errorf("decode manifest record %s: %w", v.Version, err)
	}
	return m, nil
}

func (h *handler) manifest(w http.ResponseWriter, r *http.Request, rt Route) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.getManifest(w, r, rt)
	case http.MethodPut:
		h.putManifest(w, r, rt)
	case http.MethodDelete:
		h.deleteManifest(w, r, rt)
	default:
		h.needsMethod(w, r, rt, http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete)
	}
}

// resolveRef turns a tag or digest into a digest using the package's tags.
func resolveRef(pkg store.Package, ref string) (Digest, error) {
	if strings.Contains(ref, ":") {
		return ParseDigest(ref)
	}
	if !ValidTag(ref) {
		return Digest{}, fmt.Errorf("%w: %.200q", ErrTagInvalid, ref)
	}
	ds, ok := pkg.Tags[ref]
	if !ok {
		return Digest{}, fmt.Errorf("manifest %s: %w", ref, store.ErrNotFound)
	}
	return ParseDigest(ds)
}

func (h *handler) getManifest(w http.ResponseWriter, r *http.Request, rt Route) {
	p, err := h.principal(r)
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	pkg, err := h.env.Pipeline.PackageRev(r.Context(), p, rt.key())
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	d, err := resolveRef(pkg, rt.Ref)
	if errors.Is(err, ErrTagInvalid) {
		err = fmt.Errorf("manifest %.200q: %w", rt.Ref, store.ErrNotFound)
	}
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	var v store.Version
	err = h.env.Pipeline.Index.View(r.Context(), func(tx store.Tx) error {
		v, err = tx.Version(rt.key(), d.String())
		if err == nil && v.IsDeleted() {
			err = fmt.Errorf("manifest %s: %w", d, store.ErrNotFound)
		}
		return err
	})
	if err != nil || len(v.Files) == 0 {
		if err == nil {
			err = fmt.Errorf("manifest %s: %w", d, store.ErrNotFound)
		}
		h.fail(w, r, rt, err)
		return
	}
	f := v.Files[0]
	body, err := h.manifests.load(h.env.Pipeline.Blobs, f.SHA256)
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	// A manifest is a version: GET of a blocked one (its own advisories
	// or those of the packages its SBOM lists) is refused, by tag or
	// digest, and its bytes count toward the bandwidth limit. HEAD sends
	// no content and is not refused, so tools can still resolve, inspect,
	// discover referrers of and delete a blocked image.
	var g *ecosystems.Grant
	notModified := false
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, d.String()) {
		notModified = true
	}
	if r.Method == http.MethodGet {
		size := int64(len(body))
		if notModified {
			size = 0
		}
		if g, err = h.env.Pipeline.AdmitDownload(r.Context(), rt.key(), d.String(), size); err != nil {
			h.fail(w, r, rt, err)
			return
		}
		g.SetWarning(w)
	}
	hd := w.Header()
	hd.Set("Content-Type", f.ContentType)
	hd.Set("Docker-Content-Digest", d.String())
	hd.Set("ETag", `"`+d.String()+`"`)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	if notModified {
		w.WriteHeader(http.StatusNotModified)
		g.Done(0)
		return
	}
	h.env.Pipeline.CountDownload(rt.key(), d.String())
	n, _ := w.Write(body)
	g.Done(int64(n))
}

var errNeedPublish = errors.New("version not recorded yet")

func (h *handler) putManifest(w http.ResponseWriter, r *http.Request, rt Route) {
	p, err := h.caller(r, ecosystems.Write, rt)
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	if r.ContentLength > MaxManifestBytes {
		h.fail(w, r, rt, oerr(http.StatusRequestEntityTooLarge, "SIZE_INVALID", fmt.Errorf("manifest of %d bytes is larger than the limit of %d bytes", r.ContentLength, MaxManifestBytes)))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxManifestBytes+1))
	if err != nil {
		h.fail(w, r, rt, fmt.Errorf("%w: read manifest: %w", store.ErrIncomplete, err))
		return
	}
	if len(body) > MaxManifestBytes {
		h.fail(w, r, rt, oerr(http.StatusRequestEntityTooLarge, "SIZE_INVALID", fmt.Errorf("manifest is larger than the limit of %d bytes", MaxManifestBytes)))
		return
	}
	var tags []string
	d := SHA256Of(body)
	if strings.Contains(rt.Ref, ":") {
		want, err := ParseDigest(rt.Ref)
		if err != nil {
			h.fail(w, r, rt, err)
			return
		}
		if got := want.Of(body); got != want {
			h.fail(w, r, rt, oerr(http.StatusBadRequest, "DIGEST_INVALID", fmt.Errorf("manifest digest is %s, not %s", got, want)))
			return
		}
		d = want
	} else {
		if !ValidTag(rt.Ref) {
			h.fail(w, r, rt, fmt.Errorf("%w: %.200q: tags are 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'", ErrTagInvalid, rt.Ref))
			return
		}
		tags = append(tags, rt.Ref)
	}
	for _, t := range r.URL.Query()["tag"] {
		if !ValidTag(t) {
			h.fail(w, r, rt, fmt.Errorf("%w: %.200q", ErrTagInvalid, t))
			return
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	m, err := ParseManifest(r.Header.Get("Content-Type"), body)
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	if err := h.publishManifest(r.Context(), p, rt, d, m, body, tags); err != nil {
		h.fail(w, r, rt, err)
		return
	}
	hd := w.Header()
	hd.Set("Location", "/v2/"+rt.name()+"/manifests/"+d.String())
	hd.Set("Docker-Content-Digest", d.String())
	if m.Subject != nil {
		hd.Set("OCI-Subject", m.Subject.Digest)
	}
	for _, t := range tags {
		hd.Add("OCI-Tag", t)
	}
	hd.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// publishManifest checks that everything m references exists in the
// repository, stores the bytes and records the version and its tags.
// Nothing is recorded when a check fails.
func (h *handler) publishManifest(ctx context.Context, p ecosystems.Principal, rt Route, d Digest, m Manifest, body []byte, tags []string) error {
	k := rt.key()
	meta := manifestMeta{MediaType: m.MediaType, ArtifactType: m.ReferrerType(), Digest: d.String(), Size: int64(len(body)), Annotations: m.Annotations}
	if m.Subject != nil {
		meta.Subject = m.Subject.Digest
	}
	immutableAll := false
	// extra is the storage the manifest's blobs take: charged to the org
	// with the manifest (each distinct blob once per manifest; an index
	// adds nothing, its children are versions of their own).
	var extra int64
	sbom := m.Subject != nil && !m.Index && isSBOMType(m.ReferrerType())
	var sbomLayers []string
	err := h.env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		if o, err := tx.Org(rt.Org); err == nil {
			immutableAll = o.Settings.ImmutableTags
		}
		// SBOMs pushed before this manifest (referrers may come first).
		vs, err := tx.Versions(k)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		meta.Packages = sbomUnion(vs, d.String(), "")
		for i, b := range m.Blobs {
			bd, _ := ParseDigest(b.Digest)
			l, err := getLink(tx, k, bd)
			if err == nil {
				_, err = h.env.Pipeline.Blobs.Stat(l.SHA256)
			}
			if errors.Is(err, store.ErrNotFound) {
				e := &ociError{status: http.StatusBadRequest, code: "MANIFEST_BLOB_UNKNOWN",
					err: fmt.Errorf("blob %s referenced by the manifest is not in %s; push it first", bd, rt.name()), detail: map[string]string{"digest": bd.String()}}
				return e
			}
			if err != nil {
				return err
			}
			if l.Size != b.Size {
				return fmt.Errorf("%w: descriptor of %s says %d bytes, the blob has %d", ErrManifestInvalid, bd, b.Size, l.Size)
			}
			if !slices.Contains(meta.Blobs, l.SHA256) {
				extra += l.Size
			}
			meta.Blobs = append(meta.Blobs, l.SHA256)
			if sbom && i > 0 {
				sbomLayers = append(sbomLayers, l.SHA256)
			}
		}
		for _, c := range m.Children {
			v, err := tx.Version(k, c.Digest)
			if err == nil && v.IsDeleted() {
				err = store.ErrNotFound
			}
			if errors.Is(err, store.ErrNotFound) {
				return &ociError{status: http.StatusBadRequest, code: "MANIFEST_BLOB_UNKNOWN",
					err: fmt.Errorf("manifest %s listed by the index is not in %s; push it first", c.Digest, rt.name()), detail: map[string]string{"digest": c.Digest}}
			}
			if err != nil {
				return err
			}
			meta.Children = append(meta.Children, c.Digest)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sbom {
		meta.SBOM = h.readSBOM(sbomLayers)
	}
	metaJSON, _ := json.Marshal(meta)
	h.uploads.commit.RLock()
	defer h.uploads.commit.RUnlock()
	info, err := h.env.Pipeline.Blobs.Put(ctx, bytes.NewReader(body), SHA256Of(body).Hex)
	if err != nil {
		return fmt.Errorf("store manifest: %w", err)
	}
	file := store.File{Name: manifestFile, SHA256: info.SHA256, Size: info.Size, ContentType: m.MediaType}
	if d.Algorithm != "sha256" {
		file.Hashes = map[string]string{d.Algorithm: d.Hex}
	}
	version := d.String()
	setTags := func(pkg *store.Package) error {
		for _, t := range tags {
			cur, ok := pkg.Tags[t]
			if ok && cur != version && (immutableAll || ImmutableTag(t)) {
				return fmt.Errorf("%w: tag %s of %s points to %s and cannot be moved (release tags are immutable%s)", errImmutableTag, t, rt.name(), cur, orgNote(immutableAll))
			}
			if pkg.Tags == nil {
				pkg.Tags = map[string]string{}
			}
			pkg.Tags[t] = version
		}
		return nil
	}
	if err := h.storeManifest(ctx, p, k, version, file, metaJSON, extra, rt.Image, setTags); err != nil {
		return err
	}
	if sbom {
		return h.refreshSubject(ctx, p, k, meta.Subject)
	}
	return nil
}

// storeManifest records manifest version of k (restoring a deleted one)
// with its tags.
func (h *handler) storeManifest(ctx context.Context, p ecosystems.Principal, k store.PackageKey, version string, file store.File,
	metaJSON []byte, extra int64, display string, setTags func(pkg *store.Package) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = h.env.Pipeline.Mutate(ctx, p, ecosystems.Write, k, func(_ store.Tx, pkg *store.Package, vs []store.Version) ([]store.Version, []store.Event, error) {
			i := slices.IndexFunc(vs, func(v store.Version) bool { return v.Version == version })
			if i < 0 {
				return nil, nil, errNeedPublish
			}
			var changed []store.Version
			var events []store.Event
			if v := vs[i]; v.IsDeleted() {
				// A deleted manifest pushed again: the digest names the same
				// bytes, so it is restored rather than refused.
				v.Deleted, v.Files, v.Meta, v.Yanked, v.YankReason = time.Time{}, []store.File{file}, metaJSON, false, ""
				v.Published, v.Publisher, v.ExtraSize = time.Now().UTC(), p.User, extra
				newly := h.env.Pipeline.MatchVersion(&v)
				changed = append(changed, v)
				events = append(events, store.Event{Type: store.EventPublished, Ecosystem: k.Ecosystem, Org: k.Org, Package: k.Name, Version: version, Time: time.Now().UTC()})
				if len(newly) > 0 {
					events = append(events, store.Event{Type: store.EventVulnerable, Ecosystem: k.Ecosystem, Org: k.Org, Package: k.Name, Version: version, Time: time.Now().UTC(), Advisories: newly})
				}
			}
			return changed, events, setTags(pkg)
		})
		if err == nil {
			return nil
		}
		if !errors.Is(err, errNeedPublish) && !(errors.Is(err, store.ErrNotFound) && !errors.Is(err, ecosystems.ErrLoginRequired)) {
			return err
		}
		res, perr := h.env.Pipeline.Publish(ctx, p, ecosystems.PublishRequest{
			Key: k, Version: version, Files: []store.File{file}, Meta: metaJSON, DisplayName: display,
			UpdatePackage: setTags, ExtraSize: extra,
		})
		if perr != nil {
			if errors.Is(perr, store.ErrConflict) {
				continue // raced with another push of the same digest
			}
			return perr
		}
		if !res.Retried {
			return nil
		}
	}
	return err
}

func orgNote(all bool) string {
	if all {
		return "; this organisation makes every tag immutable"
	}
	return ""
}

func (h *handler) deleteManifest(w http.ResponseWriter, r *http.Request, rt Route) {
	p, err := h.caller(r, ecosystems.Write, rt)
	if err == nil {
		err = h.removeManifest(r.Context(), p, rt)
	}
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}

// removeManifest deletes tag rt.Ref, or tombstones manifest rt.Ref (a
// digest) and drops its tags. Immutable tags are never removed.
func (h *handler) removeManifest(ctx context.Context, p ecosystems.Principal, rt Route) error {
	k := rt.key()
	isDigest := strings.Contains(rt.Ref, ":")
	var d Digest
	var err error
	if isDigest {
		if d, err = ParseDigest(rt.Ref); err != nil {
			return err
		}
	} else if !ValidTag(rt.Ref) {
		return fmt.Errorf("%w: %.200q", ErrTagInvalid, rt.Ref)
	}
	immutableAll := false
	_ = h.env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		if o, err := tx.Org(rt.Org); err == nil {
			immutableAll = o.Settings.ImmutableTags
		}
		return nil
	})
	return h.env.Pipeline.Mutate(ctx, p, ecosystems.Write, k, func(_ store.Tx, pkg *store.Package, vs []store.Version) ([]store.Version, []store.Event, error) {
		if !isDigest {
			cur, ok := pkg.Tags[rt.Ref]
			if !ok {
				return nil, nil, fmt.Errorf("tag %s: %w", rt.Ref, store.ErrNotFound)
			}
			if immutableAll || ImmutableTag(rt.Ref) {
				return nil, nil, fmt.Errorf("%w: tag %s points to %s and cannot be deleted (release tags are immutable%s)", errImmutableTag, rt.Ref, cur, orgNote(immutableAll))
			}
			delete(pkg.Tags, rt.Ref)
			return nil, nil, nil
		}
		i := slices.IndexFunc(vs, func(v store.Version) bool { return v.Version == d.String() && !v.IsDeleted() })
		if i < 0 {
			return nil, nil, fmt.Errorf("manifest %s: %w", d, store.ErrNotFound)
		}
		for t, td := range pkg.Tags {
			if td == d.String() {
				if immutableAll || ImmutableTag(t) {
					return nil, nil, fmt.Errorf("%w: manifest %s carries the release tag %s and cannot be deleted%s", errImmutableTag, d, t, orgNote(immutableAll))
				}
				delete(pkg.Tags, t)
			}
		}
		v := vs[i]
		v.Deleted = time.Now().UTC()
		changed := []store.Version{v}
		events := []store.Event{{Type: store.EventDeleted, Ecosystem: k.Ecosystem, Org: k.Org, Package: k.Name, Version: v.Version, Time: time.Now().UTC()}}
		// Deleting an SBOM takes its packages off the image it describes.
		if m, err := decodeMeta(v); err == nil && len(m.SBOM) > 0 {
			if j := slices.IndexFunc(vs, func(o store.Version) bool { return o.Version == m.Subject && !o.IsDeleted() }); j >= 0 {
				nv, evs, err := h.setContents(*pkg, vs[j], sbomUnion(vs, m.Subject, v.Version))
				if err != nil {
					return nil, nil, err
				}
				if nv != nil {
					changed = append(changed, *nv)
					events = append(events, evs...)
				}
			}
		}
		return changed, events, nil
	})
}

// restDelete serves DELETE /api/v1/packages/docker/{org}/{image}/{ref}
// (`drok package delete`) with the registry's rules: a tag is removed, a
// digest tombstoned, release tags are kept.
func (h *handler) restDelete(w http.ResponseWriter, r *http.Request) {
	restPath, err := url.PathUnescape(ecosystems.Rest(r))
	i := strings.LastIndexByte(restPath, '/')
	if err != nil || i <= 0 {
		h.env.REST.ServeHTTP(w, r)
		return
	}
	rt := Route{Kind: RouteManifest, Org: ecosystems.Org(r), Image: restPath[:i], Ref: restPath[i+1:]}
	p, err := h.principal(r)
	if err == nil {
		if err = ValidateImageName(rt.Image); err != nil {
			err = fmt.Errorf("%w: %w", store.ErrInvalid, err)
		}
	}
	if err == nil {
		err = h.removeManifest(r.Context(), p, rt)
	}
	if err != nil {
		status := ecosystems.HTTPStatus(err)
		switch {
		case errors.Is(err, errImmutableTag):
			status = http.StatusConflict
		case errors.Is(err, ErrDigestInvalid), errors.Is(err, ErrTagInvalid):
			status = http.StatusBadRequest
		}
		msg := err.Error()
		if status >= 500 {
			h.env.Log.Error("delete image version", "path", r.URL.Path, "err", err)
			msg = "internal server error"
		}
		writeJSON(w, status, "application/json", client.Error{Message: msg})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type tagList struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// tagsList is GET /v2/{name}/tags/list with n/last pagination; tags of
// yanked manifests are left out.
func (h *handler) tagsList(w http.ResponseWriter, r *http.Request, rt Route) {
	if !h.needsMethod(w, r, rt, http.MethodGet, http.MethodHead) {
		return
	}
	p, n, last, ok := h.pageRequest(w, r, rt)
	if !ok {
		return
	}
	res, err := h.env.Pipeline.Resolve(r.Context(), p, rt.key())
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	yanked := map[string]bool{}
	for _, v := range res.Versions {
		if v.Yanked {
			yanked[v.Version] = true
		}
	}
	all := make([]string, 0, len(res.Package.Tags))
	for t, d := range res.Package.Tags {
		if !yanked[d] {
			all = append(all, t)
		}
	}
	slices.Sort(all)
	page, more := paginate(all, n, last)
	if more {
		w.Header().Set("Link", fmt.Sprintf(`</v2/%s/tags/list?n=%d&last=%s>; rel="next"`, rt.name(), n, url.QueryEscape(page[len(page)-1])))
	}
	writeJSON(w, http.StatusOK, "application/json", tagList{Name: rt.name(), Tags: page})
}

// pageRequest authenticates a listing request and parses its n/last
// pagination; it answers the failure itself (ok=false).
func (h *handler) pageRequest(w http.ResponseWriter, r *http.Request, rt Route) (p ecosystems.Principal, n int, last string, ok bool) {
	p, err := h.principal(r)
	if err != nil {
		h.fail(w, r, rt, err)
		return p, 0, "", false
	}
	n, last, err = ParsePage(r.URL.Query().Get("n"), r.URL.Query().Get("last"), pageMax)
	if err != nil {
		h.fail(w, r, rt, oerr(http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", err))
		return p, 0, "", false
	}
	return p, n, last, true
}

// paginate returns up to n entries of sorted all after last, and whether
// more follow.
func paginate(all []string, n int, last string) ([]string, bool) {
	start := 0
	if last != "" {
		start, _ = slices.BinarySearch(all, last)
		if start < len(all) && all[start] == last {
			start++
		}
	}
	rest := all[start:]
	if len(rest) > n {
		return slices.Clone(rest[:n]), n > 0
	}
	return slices.Clone(rest), false
}

type catalogBody struct {
	Repositories []string `json:"repositories"`
}

// catalog is GET /v2/_catalog: the repositories the caller may read.
func (h *handler) catalog(w http.ResponseWriter, r *http.Request, rt Route) {
	if !h.needsMethod(w, r, rt, http.MethodGet, http.MethodHead) {
		return
	}
	p, n, last, ok := h.pageRequest(w, r, rt)
	if !ok {
		return
	}
	var all []string
	err := h.env.Pipeline.Index.View(r.Context(), func(tx store.Tx) error {
		pkgs, err := tx.PackageList(store.PackageFilter{Ecosystem: ecosystems.Docker})
		if err != nil {
			return err
		}
		for _, pkg := range pkgs {
			if ecosystems.Authorize(tx, p, ecosystems.Read, pkg.PackageKey) == nil {
				all = append(all, pkg.Org+"/"+pkg.Name)
			}
		}
		return nil
	})
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	slices.Sort(all)
	page, more := paginate(all, n, last)
	if more {
		w.Header().Set("Link", fmt.Sprintf(`</v2/_catalog?n=%d&last=%s>; rel="next"`, n, url.QueryEscape(page[len(page)-1])))
	}
	writeJSON(w, http.StatusOK, "application/json", catalogBody{Repositories: page})
}

type referrersIndex struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []Descriptor `json:"manifests"`
}

// referrers is GET /v2/{name}/referrers/{digest}[?artifactType=].
func (h *handler) referrers(w http.ResponseWriter, r *http.Request, rt Route) {
	if !h.needsMethod(w, r, rt, http.MethodGet, http.MethodHead) {
		return
	}
	d, err := ParseDigest(rt.Ref)
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	p, err := h.principal(r)
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	filter := r.URL.Query().Get("artifactType")
	out := referrersIndex{SchemaVersion: 2, MediaType: MediaOCIIndex, Manifests: []Descriptor{}}
	res, err := h.env.Pipeline.Resolve(r.Context(), p, rt.key())
	if err != nil && !(errors.Is(err, store.ErrNotFound) && !errors.Is(err, ecosystems.ErrLoginRequired) && h.authorize(r.Context(), p, ecosystems.Read, rt) == nil) {
		h.fail(w, r, rt, err)
		return
	}
	for _, v := range res.Live() {
		m, err := decodeMeta(v)
		if err != nil || m.Subject != d.String() {
			continue
		}
		if filter != "" && m.ArtifactType != filter {
			continue
		}
		out.Manifests = append(out.Manifests, Descriptor{MediaType: m.MediaType, Digest: m.Digest, Size: m.Size,
			ArtifactType: m.ArtifactType, Annotations: m.Annotations})
	}
	if filter != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	writeJSON(w, http.StatusOK, MediaOCIIndex, out)
}
