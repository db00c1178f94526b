package oci

import (
	"context"
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

// auxNS is the namespace of OCI records in the index's Aux area.
const auxNS = "oci"

// link records that a blob may be read through one repository.
type link struct {
	// SHA256 is the blob store key (hex) of the bytes.
	SHA256  string    `json:"sha256"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
}

func linkKey(k store.PackageKey, d Digest) string {
	return "l/" + k.Org + "/" + k.Name + "@" + d.String()
}

func auxOf(tx store.Tx) (store.Aux, error) {
	a, ok := store.AuxOf(tx)
	if !ok {
		return nil, errors.New("oci: the index has no Aux area for blob links")
	}
	return a, nil
}

// getLink returns the link of d in repository k, or ErrNotFound.
func getLink(tx store.Tx, k store.PackageKey, d Digest) (link, error) {
	a, err := auxOf(tx)
	if err != nil {
		return link{}, err
	}
	raw, err := a.AuxGet(auxNS, linkKey(k, d))
	if err != nil {
		return link{}, fmt.Errorf("blob %s: %w", d, err)
	}
	var l link
	if err := json.Unmarshal(raw, &l); err != nil {
		return link{}, fmt.Errorf("decode blob link: %w", err)
	}
	return l, nil
}

func putLink(tx store.Tx, k store.PackageKey, d Digest, l link) error {
	a, err := auxOf(tx)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(l)
	return a.AuxPut(auxNS, linkKey(k, d), b)
}

// linkBlob records d (stored as sha) in repository k after checking that
// p may still write there.
func (h *handler) linkBlob(ctx context.Context, p ecosystems.Principal, k store.PackageKey, d Digest, info store.BlobInfo) error {
	return h.env.Pipeline.Index.Update(ctx, func(tx store.Tx) error {
		if err := ecosystems.Authorize(tx, p, ecosystems.Write, k); err != nil {
			return err
		}
		if l, err := getLink(tx, k, d); err == nil && l.SHA256 == info.SHA256 {
			l.Created = time.Now().UTC()
			return putLink(tx, k, d, l)
		}
		return putLink(tx, k, d, link{SHA256: info.SHA256, Size: info.Size, Created: time.Now().UTC()})
	})
}

// blob serves GET, HEAD and DELETE /v2/{name}/blobs/{digest}.
func (h *handler) blob(w http.ResponseWriter, r *http.Request, rt Route) {
	if !h.needsMethod(w, r, rt, http.MethodGet, http.MethodHead, http.MethodDelete) {
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
	if r.Method == http.MethodDelete {
		h.deleteBlob(w, r, rt, p, d)
		return
	}
	var l link
	err = h.env.Pipeline.Index.View(r.Context(), func(tx store.Tx) error {
		if err := ecosystems.Authorize(tx, p, ecosystems.Read, rt.key()); err != nil {
			return err
		}
		l, err = getLink(tx, rt.key(), d)
		return err
	})
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	rc, info, err := h.env.Pipeline.Blobs.Open(l.SHA256)
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	defer rc.Close()
	hd := w.Header()
	hd.Set("Docker-Content-Digest", d.String())
	hd.Set("ETag", `"`+d.String()+`"`)
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, max-age=31536000, immutable")
	if r.Method == http.MethodHead {
		hd.Set("Content-Length", strconv.FormatInt(info.Size, 10))
		hd.Set("Accept-Ranges", "bytes")
		w.WriteHeader(http.StatusOK)
		return
	}
	// Blobs are shared by manifests, so only bandwidth is admitted here
	// (version ""); blocking applies to the manifests that name them. The
	// whole blob is reserved, what is sent (a range) is counted.
	g, err := h.env.Pipeline.AdmitDownload(r.Context(), rt.key(), "", info.Size)
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	g.SetWarning(w)
	mw := &ecosystems.MeteredWriter{ResponseWriter: w}
	defer func() { g.Done(mw.N) }()
	http.ServeContent(mw, r, "", info.ModTime, rc)
}

func (h *handler) deleteBlob(w http.ResponseWriter, r *http.Request, rt Route, p ecosystems.Principal, d Digest) {
	err := h.env.Pipeline.Index.Update(r.Context(), func(tx store.Tx) error {
		if err := ecosystems.Authorize(tx, p, ecosystems.Write, rt.key()); err != nil {
			return err
		}
		if _, err := getLink(tx, rt.key(), d); err != nil {
			return err
		}
		a, err := auxOf(tx)
		if err != nil {
			return err
		}
		return a.AuxDelete(auxNS, linkKey(rt.key(), d))
	})
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}

// manifestCache keeps recently served manifest bytes by sha256; manifests
// are immutable content, so entries never go stale.
type manifestCache struct {
	c *lruBytes
}

func newManifestCache(max int) *manifestCache { return &manifestCache{c: newLRUBytes(max)} }

// load returns the bytes of the blob sha (at most MaxManifestBytes).
func (m *manifestCache) load(blobs store.Blobs, sha string) ([]byte, error) {
	if b, ok := m.c.get(sha); ok {
		return b, nil
	}
	rc, info, err := blobs.Open(sha)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if info.Size > MaxManifestBytes {
		return nil, fmt.Errorf("manifest blob of %d bytes: %w", info.Size, store.ErrInvalid)
	}
	b := make([]byte, info.Size)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	if SHA256Of(b).Hex != sha {
		return nil, fmt.Errorf("stored manifest %s is corrupt", sha)
	}
	m.c.put(sha, b)
	return b, nil
}

func parseRepoName(s string) (Route, bool) {
	org, img, ok := strings.Cut(s, "/")
	if !ok || ecosystems.ValidAccountName("org", org) != nil || ValidateImageName(img) != nil {
		return Route{}, false
	}
	return Route{Org: org, Image: img}, true
}
