package oci

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"regexp"
	"strconv"
	"strings"
)

// Media types drok understands as manifests.
const (
	MediaOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MediaOCIIndex       = "application/vnd.oci.image.index.v1+json"
	MediaDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaOCIEmpty       = "application/vnd.oci.empty.v1+json"
)

// MaxManifestBytes is the largest manifest accepted (413 above).
const MaxManifestBytes = 4 << 20

// Sentinel errors of the parsers; handlers map them to OCI error codes.
var (
	ErrDigestInvalid   = errors.New("invalid digest")
	ErrNameInvalid     = errors.New("invalid repository name")
	ErrTagInvalid      = errors.New("invalid tag")
	ErrManifestInvalid = errors.New("invalid manifest")
	ErrRangeInvalid    = errors.New("invalid Content-Range")
	ErrNoRoute         = errors.New("no such endpoint")
)

var (
	componentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$`)
	tagRE       = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
	// semverTagRE matches tags that name a release: 1.2, v1.2.3,
	// 1.2.3-rc.1. Such tags are immutable once pushed.
	semverTagRE = regexp.MustCompile(`^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?(-[0-9A-Za-z.-]+)?$`)
	algRE       = regexp.MustCompile(`^[a-z0-9]+(?:[+._-][a-z0-9]+)*$`)
)

// ValidateImageName checks the image part of a repository name (below the
// org): slash-separated components of lower-case letters and digits joined
// by '.', '_', '__' or dashes; at most 200 characters.
func ValidateImageName(name string) error {
	if name == "" || len(name) > 200 {
		return fmt.Errorf("%w: image name must be 1-200 characters", ErrNameInvalid)
	}
	for c := range strings.SplitSeq(name, "/") {
		if !componentRE.MatchString(c) {
			return fmt.Errorf("%w: %q: components are lower-case letters and digits separated by '.', '_', '__' or '-'", ErrNameInvalid, name)
		}
	}
	return nil
}

// ValidTag reports whether t is a valid tag.
func ValidTag(t string) bool { return tagRE.MatchString(t) }

// ImmutableTag reports whether a tag names a release (a semantic version
// such as 1.2 or v1.2.3) and therefore may never point at another
// manifest once pushed.
func ImmutableTag(t string) bool { return semverTagRE.MatchString(t) }

// Digest is a parsed content digest ("sha256:…" or "sha512:…").
type Digest struct {
	Algorithm string
	Hex       string
}

// String returns the digest in its canonical "alg:hex" form.
func (d Digest) String() string { return d.Algorithm + ":" + d.Hex }

// NewHash returns a hash of the digest's algorithm.
func (d Digest) NewHash() hash.Hash {
	if d.Algorithm == "sha512" {
		return sha512.New()
	}
	return sha256.New()
}

// Of hashes b with the digest's algorithm.
func (d Digest) Of(b []byte) Digest {
	h := d.NewHash()
	h.Write(b)
	return Digest{Algorithm: d.Algorithm, Hex: hex.EncodeToString(h.Sum(nil))}
}

// SHA256Of returns the sha256 digest of b.
func SHA256Of(b []byte) Digest {
	s := sha256.Sum256(b)
	return Digest{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

// ParseDigest parses "alg:hex". Only sha256 and sha512 with lower-case hex
// of the right length are accepted.
func ParseDigest(s string) (Digest, error) {
	if len(s) > 200 {
		return Digest{}, fmt.Errorf("%w: digest of %d characters", ErrDigestInvalid, len(s))
	}
	alg, enc, ok := strings.Cut(s, ":")
	if !ok || !algRE.MatchString(alg) || enc == "" {
		return Digest{}, fmt.Errorf("%w: %q is not algorithm:hex", ErrDigestInvalid, s)
	}
	var n int
	switch alg {
	case "sha256":
		n = 64
	case "sha512":
		n = 128
	default:
		return Digest{}, fmt.Errorf("%w: unsupported algorithm %q (sha256 and sha512 are)", ErrDigestInvalid, alg)
	}
	if len(enc) != n {
		return Digest{}, fmt.Errorf("%w: %s digests have %d hex characters, got %d", ErrDigestInvalid, alg, n, len(enc))
	}
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return Digest{}, fmt.Errorf("%w: %q: the hex part must be lower-case hexadecimal", ErrDigestInvalid, s)
		}
	}
	return Digest{Algorithm: alg, Hex: enc}, nil
}

// Descriptor is an OCI content descriptor.
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	URLs         []string          `json:"urls,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Platform     json.RawMessage   `json:"platform,omitempty"`
	Data         []byte            `json:"data,omitempty"`
}

// rawManifest covers OCI and Docker schema 2 manifests and indexes.
type rawManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *Descriptor       `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Manifests     []Descriptor      `json:"manifests"`
	Subject       *Descriptor       `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
}

// Manifest is what drok needs to know about a pushed manifest.
type Manifest struct {
	// MediaType is the effective media type (Content-Type or the body's).
	MediaType    string
	ArtifactType string
	// Index is true for image indexes and Docker manifest lists.
	Index bool
	// Blobs are the config and layers that must exist in the repository.
	Blobs []Descriptor
	// Foreign are layers that are not pushed (non-distributable).
	Foreign []Descriptor
	// Children are the manifests an index lists.
	Children    []Descriptor
	Subject     *Descriptor
	Annotations map[string]string
	// ConfigMediaType is the config descriptor's media type (artifact type
	// fallback for the referrers API).
	ConfigMediaType string
}

func isIndexType(mt string) bool { return mt == MediaOCIIndex || mt == MediaDockerList }

func isManifestType(mt string) bool { return mt == MediaOCIManifest || mt == MediaDockerManifest }

// IsManifestMediaType reports whether mt is a manifest type drok stores.
func IsManifestMediaType(mt string) bool { return isIndexType(mt) || isManifestType(mt) }

func foreignLayer(d Descriptor) bool {
	return strings.Contains(d.MediaType, ".nondistributable.") ||
		d.MediaType == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
}

// ParseManifest validates manifest bytes pushed with Content-Type ct.
func ParseManifest(ct string, body []byte) (Manifest, error) {
	var m Manifest
	if len(body) > MaxManifestBytes {
		return m, fmt.Errorf("%w: larger than %d bytes", ErrManifestInvalid, MaxManifestBytes)
	}
	var raw rawManifest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return m, fmt.Errorf("%w: %v", ErrManifestInvalid, err)
	}
	if dec.More() {
		return m, fmt.Errorf("%w: trailing data after the JSON document", ErrManifestInvalid)
	}
	if raw.SchemaVersion != 2 {
		return m, fmt.Errorf("%w: schemaVersion must be 2", ErrManifestInvalid)
	}
	ct = mediaTypeBase(ct)
	mt := raw.MediaType
	switch {
	case mt != "" && ct != "" && ct != mt && IsManifestMediaType(ct):
		return m, fmt.Errorf("%w: Content-Type %s does not match the manifest's mediaType %s", ErrManifestInvalid, ct, mt)
	case mt == "" && IsManifestMediaType(ct):
		mt = ct
	case mt == "" && raw.Manifests != nil:
		mt = MediaOCIIndex
	case mt == "":
		mt = MediaOCIManifest
	}
	if !IsManifestMediaType(mt) {
		return m, fmt.Errorf("%w: unsupported manifest media type %q", ErrManifestInvalid, mt)
	}
	m.MediaType, m.ArtifactType, m.Annotations = mt, raw.ArtifactType, raw.Annotations
	m.Index = isIndexType(mt)
	check := func(what string, d Descriptor) error {
		if _, err := ParseDigest(d.Digest); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrManifestInvalid, what, err)
		}
		if d.Size < 0 {
			return fmt.Errorf("%w: %s: negative size", ErrManifestInvalid, what)
		}
		if d.MediaType == "" {
			return fmt.Errorf("%w: %s: no mediaType", ErrManifestInvalid, what)
		}
		return nil
	}
	if m.Index {
		if raw.Config != nil || raw.Layers != nil {
			return m, fmt.Errorf("%w: an index has no config or layers", ErrManifestInvalid)
		}
		for i, d := range raw.Manifests {
			if err := check(fmt.Sprintf("manifests[%d]", i), d); err != nil {
				return m, err
			}
			m.Children = append(m.Children, d)
		}
	} else {
		if raw.Config == nil {
			return m, fmt.Errorf("%w: an image manifest needs a config", ErrManifestInvalid)
		}
		if raw.Manifests != nil {
			return m, fmt.Errorf("%w: an image manifest has no manifests list", ErrManifestInvalid)
		}
		if err := check("config", *raw.Config); err != nil {
			return m, err
		}
		m.ConfigMediaType = raw.Config.MediaType
		m.Blobs = append(m.Blobs, *raw.Config)
		for i, d := range raw.Layers {
			if err := check(fmt.Sprintf("layers[%d]", i), d); err != nil {
				return m, err
			}
			if foreignLayer(d) {
				m.Foreign = append(m.Foreign, d)
			} else {
				m.Blobs = append(m.Blobs, d)
			}
		}
	}
	if raw.Subject != nil {
		if err := check("subject", *raw.Subject); err != nil {
			return m, err
		}
		m.Subject = raw.Subject
	}
	return m, nil
}

func mediaTypeBase(ct string) string {
	ct, _, _ = strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(ct))
}

// ReferrerType is the artifact type the referrers API reports for m.
func (m Manifest) ReferrerType() string {
	if m.ArtifactType != "" {
		return m.ArtifactType
	}
	if !m.Index && m.ConfigMediaType != mediaOCIEmpty {
		return m.ConfigMediaType
	}
	return ""
}

// ParseContentRange parses a chunk's Content-Range "start-end"
// (inclusive, optionally "bytes " prefixed).
func ParseContentRange(s string) (start, end int64, err error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "bytes"))
	s = strings.TrimPrefix(strings.TrimSpace(s), "=")
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%w: %q", ErrRangeInvalid, s)
	}
	start, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	end, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, fmt.Errorf("%w: %q", ErrRangeInvalid, s)
	}
	return start, end, nil
}

// ParsePage reads the n and last pagination parameters; n is clamped to
// [0, max] and defaults to max.
func ParsePage(nStr, last string, max int) (int, string, error) {
	n := max
	if nStr != "" {
		v, err := strconv.Atoi(nStr)
		if err != nil || v < 0 {
			return 0, "", fmt.Errorf("%w: n must be a non-negative integer", ErrRangeInvalid)
		}
		n = min(v, max)
	}
	return n, last, nil
}

// Route kinds of the /v2/ API, for the access matrix.
const (
	RouteUnknown = iota
	RoutePing
	RouteToken
	RouteCatalog
	RouteTags
	RouteManifest
	RouteBlob
	RouteUploadStart
	RouteUpload
	RouteReferrers
	RouteLast = RouteReferrers
)

// Route is a parsed /v2/ request path.
type Route struct {
	Kind int
	// Org and Image name the repository (Org/Image).
	Org, Image string
	// Ref is the manifest reference, blob digest, upload id or referrers
	// subject.
	Ref string
}

// ParseRoute splits a /v2/ path (unescaped) into its route.
func ParseRoute(path string) (Route, error) {
	switch path {
	case "/v2", "/v2/":
		return Route{Kind: RoutePing}, nil
	case "/v2/token":
		return Route{Kind: RouteToken}, nil
	case "/v2/_catalog":
		return Route{Kind: RouteCatalog}, nil
	}
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return Route{}, fmt.Errorf("%w: not a /v2/ path", ErrNoRoute)
	}
	segs := strings.Split(rest, "/")
	n := len(segs)
	var r Route
	var nameSegs int
	switch {
	case n >= 4 && segs[n-3] == "blobs" && segs[n-2] == "uploads":
		r.Kind, r.Ref, nameSegs = RouteUpload, segs[n-1], n-3
		if r.Ref == "" {
			r.Kind = RouteUploadStart
		}
	case n >= 3 && segs[n-2] == "blobs" && segs[n-1] == "uploads":
		r.Kind, nameSegs = RouteUploadStart, n-2
	case n >= 3 && segs[n-2] == "tags" && segs[n-1] == "list":
		r.Kind, nameSegs = RouteTags, n-2
	case n >= 3 && segs[n-2] == "manifests":
		r.Kind, r.Ref, nameSegs = RouteManifest, segs[n-1], n-2
	case n >= 3 && segs[n-2] == "blobs":
		r.Kind, r.Ref, nameSegs = RouteBlob, segs[n-1], n-2
	case n >= 3 && segs[n-2] == "referrers":
		r.Kind, r.Ref, nameSegs = RouteReferrers, segs[n-1], n-2
	default:
		return Route{}, ErrNoRoute
	}
	if nameSegs < 2 {
		return Route{}, fmt.Errorf("%w: images are named ORG/IMAGE", ErrNameInvalid)
	}
	r.Org, r.Image = segs[0], strings.Join(segs[1:nameSegs], "/")
	if err := ValidateImageName(r.Image); err != nil {
		return Route{}, err
	}
	return r, nil
}
