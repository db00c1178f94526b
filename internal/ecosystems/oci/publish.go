package oci

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// Limits of an image archive published through the REST API.
const (
	maxArchiveEntries = 10000
	maxArchiveJSON    = MaxManifestBytes
)

// ErrArchiveInvalid reports an image archive drok cannot publish.
var ErrArchiveInvalid = fmt.Errorf("invalid image archive: %w", store.ErrInvalid)

// Accepts reports whether filename is an image archive: a `docker save`
// tarball or a tarred OCI image layout (".tar", not ".tar.gz").
func (e *Ecosystem) Accepts(filename string) bool {
	return strings.HasSuffix(strings.ToLower(filename), ".tar")
}

// archive is an image archive received into the blob store's staging
// area: blobs by digest plus the small JSON documents that describe them.
type archive struct {
	blobs map[string]store.Staged // digest → staged bytes (not committed)
	files map[string][]byte       // index.json, manifest.json, oci-layout, docker configs
	paths map[string]string       // archive path → digest of staged entries
}

func (a *archive) discard() {
	for _, s := range a.blobs {
		s.Discard()
	}
}

// readArchive streams a tar into staged blobs. Entries under
// blobs/ALG/HEX are verified against their names; other regular files
// are staged too (legacy docker save layers) and small JSON files are
// kept in memory. Links, traversal and absolute names are refused.
func readArchive(ctx context.Context, blobs store.Blobs, r io.Reader) (*archive, error) {
	a := &archive{blobs: map[string]store.Staged{}, files: map[string][]byte{}, paths: map[string]string{}}
	tr := tar.NewReader(r)
	n := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			a.discard()
			return nil, fmt.Errorf("%w: %v", ErrArchiveInvalid, err)
		}
		if n++; n > maxArchiveEntries {
			a.discard()
			return nil, fmt.Errorf("%w: more than %d entries", ErrArchiveInvalid, maxArchiveEntries)
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || path.Clean(name) != strings.TrimSuffix(name, "/") || strings.HasPrefix(path.Clean(name), "..") {
			a.discard()
			return nil, fmt.Errorf("%w: entry %.100q escapes the archive", ErrArchiveInvalid, hdr.Name)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		case tar.TypeSymlink, tar.TypeLink:
			// docker save links duplicate layers; they are resolved by name
			target := path.Clean(path.Join(path.Dir(name), hdr.Linkname))
			if hdr.Typeflag == tar.TypeLink {
				target = path.Clean(hdr.Linkname)
			}
			if strings.HasPrefix(target, "..") || strings.HasPrefix(target, "/") {
				a.discard()
				return nil, fmt.Errorf("%w: link %.100q escapes the archive", ErrArchiveInvalid, hdr.Name)
			}
			if d, ok := a.paths[target]; ok {
				a.paths[name] = d
			}
			continue
		default:
			continue
		}
		want := ""
		var d Digest
		if rest, ok := strings.CutPrefix(name, "blobs/"); ok {
			alg, hex, _ := strings.Cut(rest, "/")
			if d, err = ParseDigest(alg + ":" + hex); err != nil {
				a.discard()
				return nil, fmt.Errorf("%w: %s: %v", ErrArchiveInvalid, name, err)
			}
			if d.Algorithm == "sha256" {
				want = d.Hex
			}
		}
		if !strings.HasPrefix(name, "blobs/") && strings.HasSuffix(name, ".json") || name == "oci-layout" {
			if hdr.Size > maxArchiveJSON {
				a.discard()
				return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrArchiveInvalid, name, maxArchiveJSON)
			}
			b, err := io.ReadAll(io.LimitReader(tr, maxArchiveJSON+1))
			if err != nil {
				a.discard()
				return nil, fmt.Errorf("%w: %s: %v", ErrArchiveInvalid, name, err)
			}
			a.files[name] = b
			if name == "manifest.json" || name == "index.json" || name == "oci-layout" || name == "repositories" {
				continue
			}
			// a legacy docker config: also a blob
			st, err := blobs.Stage(ctx, bytes.NewReader(b), "")
			if err != nil {
				a.discard()
				return nil, err
			}
			dd := "sha256:" + st.Info().SHA256
			a.add(name, dd, st)
			continue
		}
		st, err := blobs.Stage(ctx, tr, want)
		if err != nil {
			a.discard()
			if errors.Is(err, store.ErrInvalid) {
				return nil, fmt.Errorf("%w: %s does not match its digest", ErrArchiveInvalid, name)
			}
			return nil, err
		}
		dd := "sha256:" + st.Info().SHA256
		if d.Algorithm != "" && d.Algorithm != "sha256" {
			st.Discard()
			a.discard()
			return nil, fmt.Errorf("%w: %s: only sha256 layouts can be published from an archive", ErrArchiveInvalid, name)
		}
		a.add(name, dd, st)
	}
	return a, nil
}

func (a *archive) add(name, digest string, st store.Staged) {
	if old, ok := a.blobs[digest]; ok {
		old.Discard()
	}
	a.blobs[digest] = st
	a.paths[name] = digest
}

// imageRef is where an archive's image goes.
type imageRef struct {
	name, tag string
}

// parseImageRef turns "host:5000/org/app:tag" (or "app:tag", "app") into
// the image name below org and the tag.
func parseImageRef(ref, org string) (imageRef, bool) {
	ref = strings.TrimSpace(ref)
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	out := imageRef{tag: "latest"}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		out.tag, ref = ref[i+1:], ref[:i]
	}
	parts := strings.Split(ref, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		parts = parts[1:]
	}
	if len(parts) > 1 && parts[0] == org {
		parts = parts[1:]
	}
	if len(parts) > 1 && parts[0] == "library" {
		parts = parts[1:]
	}
	out.name = strings.ToLower(strings.Join(parts, "/"))
	return out, ValidateImageName(out.name) == nil && ValidTag(out.tag)
}

type layoutIndex struct {
	Manifests []Descriptor `json:"manifests"`
}

type dockerSaveEntry struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

// PublishFile publishes a `docker save` tarball or a tarred OCI image
// layout: every blob is verified while it is staged, the manifests are
// checked against the staged blobs, and only then is anything committed.
// The image name and tag come from the archive (RepoTags, the
// io.containerd.image.name or org.opencontainers.image.ref.name
// annotations), else from the file name and "latest".
func (e *Ecosystem) PublishFile(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, org, filename string, body io.Reader) (ecosystems.PublishResult, error) {
	var none ecosystems.PublishResult
	h := e.handler()
	if h == nil {
		h = newHandler(env)
	}
	a, err := readArchive(ctx, env.Pipeline.Blobs, body)
	if err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	defer a.discard()
	ref, top, err := a.plan(org, filename)
	if err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	rt := Route{Org: org, Image: ref.name}
	if err := h.authorize(ctx, pr, ecosystems.Write, rt); err != nil {
		return none, err
	}
	// Commit and link every staged blob the graph needs, then push the
	// manifests children first.
	order, err := a.graph(env.Pipeline.Blobs, top)
	if err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	// Refuse before committing anything when the blobs cannot fit the
	// org's storage (the manifests would be refused at the end).
	var total int64
	counted := map[string]bool{}
	for _, n := range order {
		for _, b := range n.blobs {
			if st, ok := a.blobs[b]; ok && !counted[b] {
				counted[b] = true
				total += st.Info().Size
			}
		}
	}
	if err := h.checkRoom(ctx, org, total); err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	for _, n := range order {
		for _, b := range n.blobs {
			st := a.blobs[b]
			d, _ := ParseDigest(b)
			if err := h.commitAndLink(ctx, pr, rt, d, st); err != nil {
				return none, fmt.Errorf("publish %s: %w", filename, err)
			}
		}
	}
	for i, n := range order {
		var tags []string
		if i == len(order)-1 {
			tags = []string{ref.tag}
		}
		d, _ := ParseDigest(n.digest)
		if err := h.publishManifest(ctx, pr, rt, d, n.m, n.body, tags); err != nil {
			var oe *ociError
			if errors.As(err, &oe) {
				return none, fmt.Errorf("publish %s: %w: %s", filename, store.ErrInvalid, oe.err)
			}
			if errors.Is(err, errImmutableTag) {
				return none, fmt.Errorf("publish %s: %w: %w", filename, store.ErrConflict, err)
			}
			return none, fmt.Errorf("publish %s: %w", filename, err)
		}
	}
	res, err := env.Pipeline.Resolve(ctx, pr, rt.key())
	if err != nil {
		return none, err
	}
	v, _ := res.Find(order[len(order)-1].digest)
	return ecosystems.PublishResult{Package: res.Package, Version: v}, nil
}

// plan picks the image to publish and its name.
func (a *archive) plan(org, filename string) (imageRef, Descriptor, error) {
	base := strings.TrimSuffix(path.Base(strings.ReplaceAll(filename, "\\", "/")), ".tar")
	ref, ok := parseImageRef(base, org)
	if !ok {
		ref = imageRef{}
	}
	var top Descriptor
	if raw, ok := a.files["index.json"]; ok {
		var idx layoutIndex
		if err := json.Unmarshal(raw, &idx); err != nil {
			return ref, top, fmt.Errorf("%w: index.json: %v", ErrArchiveInvalid, err)
		}
		switch {
		case len(idx.Manifests) == 1:
			top = idx.Manifests[0]
		case len(idx.Manifests) == 0:
			return ref, top, fmt.Errorf("%w: index.json lists no image", ErrArchiveInvalid)
		default:
			return ref, top, fmt.Errorf("%w: index.json lists %d images; publish one at a time", ErrArchiveInvalid, len(idx.Manifests))
		}
		for _, k := range []string{"io.containerd.image.name", "org.opencontainers.image.ref.name"} {
			v := top.Annotations[k]
			if v == "" {
				continue
			}
			if !strings.ContainsAny(v, ":/") && ValidTag(v) {
				ref.tag = v
				break
			}
			if r, ok := parseImageRef(v, org); ok {
				ref = r
				break
			}
		}
	} else if raw, ok := a.files["manifest.json"]; ok {
		var entries []dockerSaveEntry
		if err := json.Unmarshal(raw, &entries); err != nil || len(entries) != 1 {
			return ref, top, fmt.Errorf("%w: manifest.json must describe exactly one image", ErrArchiveInvalid)
		}
		m, err := a.dockerManifest(entries[0])
		if err != nil {
			return ref, top, err
		}
		top = m
	} else {
		return ref, top, fmt.Errorf("%w: neither an OCI image layout (index.json) nor a docker save archive (manifest.json)", ErrArchiveInvalid)
	}
	if raw, ok := a.files["manifest.json"]; ok {
		var entries []dockerSaveEntry
		if json.Unmarshal(raw, &entries) == nil && len(entries) == 1 && len(entries[0].RepoTags) > 0 {
			if r, ok := parseImageRef(entries[0].RepoTags[0], org); ok {
				ref = r
			}
		}
	}
	if ref.name == "" {
		return ref, top, fmt.Errorf("%w: cannot tell the image name; name the file IMAGE.tar or tag the image", ErrArchiveInvalid)
	}
	if ref.tag == "" {
		ref.tag = "latest"
	}
	return ref, top, nil
}

// dockerManifest builds an OCI manifest for a legacy docker save image
// (uncompressed layers) and stages it.
func (a *archive) dockerManifest(e dockerSaveEntry) (Descriptor, error) {
	cfgD, ok := a.paths[path.Clean(e.Config)]
	if !ok {
		return Descriptor{}, fmt.Errorf("%w: config %s is not in the archive", ErrArchiveInvalid, e.Config)
	}
	m := map[string]any{"schemaVersion": 2, "mediaType": MediaOCIManifest,
		"config": Descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: cfgD, Size: a.blobs[cfgD].Info().Size}}
	var layers []Descriptor
	for _, l := range e.Layers {
		d, ok := a.paths[path.Clean(l)]
		if !ok {
			return Descriptor{}, fmt.Errorf("%w: layer %s is not in the archive", ErrArchiveInvalid, l)
		}
		layers = append(layers, Descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: d, Size: a.blobs[d].Info().Size})
	}
	m["layers"] = layers
	b, _ := json.Marshal(m)
	d := SHA256Of(b)
	a.files["drok:"+d.String()] = b
	return Descriptor{MediaType: MediaOCIManifest, Digest: d.String(), Size: int64(len(b))}, nil
}

type node struct {
	digest string
	body   []byte
	m      Manifest
	blobs  []string
}

// graph reads the manifests reachable from top (children first) and
// checks that every blob they need is in the archive.
func (a *archive) graph(blobs store.Blobs, top Descriptor) ([]node, error) {
	var out []node
	seen := map[string]bool{}
	var visit func(d Descriptor, depth int) error
	visit = func(d Descriptor, depth int) error {
		if depth > 4 {
			return fmt.Errorf("%w: indexes nested too deeply", ErrArchiveInvalid)
		}
		if seen[d.Digest] {
			return nil
		}
		seen[d.Digest] = true
		body, err := a.manifestBytes(blobs, d.Digest)
		if err != nil {
			return err
		}
		m, err := ParseManifest(d.MediaType, body)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrArchiveInvalid, d.Digest, err)
		}
		n := node{digest: d.Digest, body: body, m: m}
		for _, c := range m.Children {
			if err := visit(c, depth+1); err != nil {
				return err
			}
		}
		for _, b := range m.Blobs {
			if _, ok := a.blobs[b.Digest]; !ok {
				return fmt.Errorf("%w: blob %s of %s is not in the archive", ErrArchiveInvalid, b.Digest, d.Digest)
			}
			n.blobs = append(n.blobs, b.Digest)
		}
		out = append(out, n)
		return nil
	}
	if err := visit(top, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// manifestBytes reads a manifest from the archive: built in memory
// (legacy docker save) or a staged blob.
func (a *archive) manifestBytes(blobs store.Blobs, digest string) ([]byte, error) {
	if b, ok := a.files["drok:"+digest]; ok {
		return b, nil
	}
	st, ok := a.blobs[digest]
	if !ok {
		return nil, fmt.Errorf("%w: manifest %s is not in the archive", ErrArchiveInvalid, digest)
	}
	if st.Info().Size > MaxManifestBytes {
		return nil, fmt.Errorf("%w: manifest %s is larger than %d bytes", ErrArchiveInvalid, digest, MaxManifestBytes)
	}
	// Manifests are small: commit them (content-addressed, unreferenced
	// until published, so garbage collection reclaims them on failure).
	if err := st.Commit(); err != nil {
		return nil, err
	}
	delete(a.blobs, digest)
	rc, _, err := blobs.Open(st.Info().SHA256)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxManifestBytes+1))
	if err != nil {
		return nil, err
	}
	a.files["drok:"+digest] = b
	return b, nil
}
