package oci

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// An SBOM attached to an image (a referrer whose artifact type is SPDX or
// CycloneDX JSON, e.g. `oras attach --artifact-type application/spdx+json`)
// lists the packages inside the image. drok reads the package URLs from
// its layer when the referrer is pushed, records them on the referrer
// (manifestMeta.SBOM) and their union over the subject's live SBOM
// referrers on the subject (manifestMeta.Packages), and matches the
// subject against the advisory database through
// ecosystems.ContentLister: an image is flagged — and blocked — by the
// advisories of the packages it carries.

// SBOM artifact types drok reads.
const (
	MediaSPDXJSON      = "application/spdx+json"
	MediaCycloneDXJSON = "application/vnd.cyclonedx+json"
)

// Bounds of SBOM reading: bigger layers are not read, longer package
// lists are cut (the list is stored with the subject's version record).
const (
	maxSBOMBytes    = 16 << 20
	maxSBOMPackages = 10000
)

func isSBOMType(t string) bool {
	t = mediaTypeBase(t)
	return t == MediaSPDXJSON || t == MediaCycloneDXJSON
}

// sbomDoc covers the parts of SPDX 2.x and CycloneDX JSON documents that
// name packages.
type sbomDoc struct {
	Packages []struct {
		ExternalRefs []struct {
			ReferenceType    string `json:"referenceType"`
			ReferenceLocator string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
	Components []cdxComponent `json:"components"`
}

type cdxComponent struct {
	Purl       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

// parseSBOM returns the package URLs an SPDX or CycloneDX JSON document
// lists, sorted and each once.
func parseSBOM(b []byte) ([]string, error) {
	var doc sbomDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	var out []string
	add := func(p string) {
		if p != "" && len(out) < maxSBOMPackages {
			out = append(out, p)
		}
	}
	for _, p := range doc.Packages {
		for _, r := range p.ExternalRefs {
			if r.ReferenceType == "purl" {
				add(r.ReferenceLocator)
			}
		}
	}
	var walk func([]cdxComponent, int)
	walk = func(cs []cdxComponent, depth int) {
		if depth > 32 {
			return
		}
		for _, c := range cs {
			add(c.Purl)
			walk(c.Components, depth+1)
		}
	}
	walk(doc.Components, 0)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// readSBOM reads the package URLs of SBOM referrer m from its layers
// (blob store keys in shas, config excluded); layers that are too big or
// not SBOM JSON are skipped.
func (h *handler) readSBOM(shas []string) []string {
	var out []string
	var total int64
	for _, sha := range shas {
		rc, info, err := h.env.Pipeline.Blobs.Open(sha)
		if err != nil {
			continue
		}
		if total += info.Size; total > maxSBOMBytes {
			rc.Close()
			break
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxSBOMBytes))
		rc.Close()
		if err != nil {
			continue
		}
		purls, err := parseSBOM(b)
		if err != nil {
			h.env.Log.Debug("oci: layer of an SBOM referrer is not SPDX or CycloneDX JSON", "blob", sha, "err", err)
			continue
		}
		out = append(out, purls...)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxSBOMPackages {
		out = out[:maxSBOMPackages]
	}
	return out
}

// sbomUnion is the union of the package URLs of the live SBOM referrers
// of subject among vs, leaving out version skip.
func sbomUnion(vs []store.Version, subject, skip string) []string {
	var out []string
	for _, v := range vs {
		if v.IsDeleted() || v.Version == skip {
			continue
		}
		m, err := decodeMeta(v)
		if err != nil || m.Subject != subject || len(m.SBOM) == 0 {
			continue
		}
		out = append(out, m.SBOM...)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxSBOMPackages {
		out = out[:maxSBOMPackages]
	}
	return out
}

// setContents records pkgs as the contents of subject version v (when it
// changed), matches it against the advisories again and returns the
// updated version and the package:vulnerable event for advisories it
// gained (nil when nothing changed).
func (h *handler) setContents(pkg store.Package, v store.Version, pkgs []string) (*store.Version, []store.Event, error) {
	m, err := decodeMeta(v)
	if err != nil {
		return nil, nil, err
	}
	if slices.Equal(m.Packages, pkgs) {
		return nil, nil, nil
	}
	m.Packages = pkgs
	if v.Meta, err = json.Marshal(m); err != nil {
		return nil, nil, err
	}
	newly := h.env.Pipeline.MatchVersion(&v)
	var events []store.Event
	if len(newly) > 0 {
		events = append(events, store.Event{Type: store.EventVulnerable, Ecosystem: pkg.Ecosystem, Org: pkg.Org,
			Package: pkg.Name, Version: v.Version, Time: time.Now().UTC(), Advisories: newly})
	}
	return &v, events, nil
}

// refreshSubject recomputes the contents of manifest subject of k from
// its SBOM referrers after one was pushed. A subject not pushed yet is
// left alone: its push collects the SBOMs already there.
func (h *handler) refreshSubject(ctx context.Context, p ecosystems.Principal, k store.PackageKey, subject string) error {
	err := h.env.Pipeline.Mutate(ctx, p, ecosystems.Write, k, func(_ store.Tx, pkg *store.Package, vs []store.Version) ([]store.Version, []store.Event, error) {
		i := slices.IndexFunc(vs, func(v store.Version) bool { return v.Version == subject && !v.IsDeleted() })
		if i < 0 {
			return nil, nil, nil
		}
		nv, events, err := h.setContents(*pkg, vs[i], sbomUnion(vs, subject, ""))
		if err != nil || nv == nil {
			return nil, nil, err
		}
		return []store.Version{*nv}, events, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
