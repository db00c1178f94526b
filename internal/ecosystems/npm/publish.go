package npm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// upload is a tarball streamed into the blob store.
type upload struct {
	blob    store.BlobInfo
	digests Digests
	info    TarballInfo
}

// storeTarball streams r into the blob store while hashing it and
// inspecting it as an npm tarball, holding only small buffers in memory.
// An invalid tarball aborts the write (nothing is committed); a valid one
// is committed even if the publish fails later (an orphan for GC).
func storeTarball(ctx context.Context, blobs store.Blobs, r io.Reader) (*upload, error) {
	pr, pw := io.Pipe()
	inspected := make(chan error, 1)
	var info TarballInfo
	go func() {
		var err error
		info, err = InspectTarball(pr, DefaultTarballLimits)
		inspected <- err
		if err != nil {
			pr.CloseWithError(err)
			return
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	h := NewHasher()
	bi, putErr := blobs.Put(ctx, io.TeeReader(r, io.MultiWriter(h, pw)), "")
	select {
	case err := <-inspected:
		if err != nil {
			pw.CloseWithError(err)
			return nil, err
		}
		pw.CloseWithError(putErr)
	default:
		pw.CloseWithError(putErr)
		if err := <-inspected; err != nil && putErr == nil {
			return nil, err
		}
	}
	if putErr != nil {
		return nil, fmt.Errorf("store tarball: %w", putErr)
	}
	return &upload{blob: bi, digests: h.Sum(), info: info}, nil
}

// file returns the store.File record of an uploaded tarball.
func (u *upload) file(name, version string) store.File {
	return store.File{
		Name:        TarballName(name, version),
		SHA256:      u.blob.SHA256,
		Size:        u.blob.Size,
		ContentType: "application/octet-stream",
		Hashes: map[string]string{
			"sha1":   hex.EncodeToString(u.digests.SHA1),
			"sha512": hex.EncodeToString(u.digests.SHA512),
		},
	}
}

// ensureLatest returns an UpdatePackage hook that points "latest" at
// version when the package has no live latest yet, or (with promote) when
// version is a stable release above the current latest.
func ensureLatest(version string, promote bool) func(pkg *store.Package) error {
	return func(pkg *store.Package) error {
		if pkg.Tags == nil {
			pkg.Tags = map[string]string{}
		}
		cur, ok := pkg.Tags["latest"]
		if !ok || cur == "" || (promote && !IsPrerelease(version) && CompareVersions(version, cur) > 0) {
			pkg.Tags["latest"] = version
		}
		return nil
	}
}

// singleVersion returns the one version a publish document carries.
func singleVersion(doc *PublishDoc) (string, json.RawMessage, error) {
	if len(doc.Versions) != 1 {
		return "", nil, fmt.Errorf("%w: a publish must carry exactly one version (found %d)", ErrManifest, len(doc.Versions))
	}
	for v, raw := range doc.Versions {
		return v, raw, nil
	}
	panic("unreachable")
}

// publishInput is a validated npm publish, ready for the pipeline.
type publishInput struct {
	key     store.PackageKey
	name    string
	version string
	tags    map[string]string
	meta    []byte
	hint    string
}

// checkPublish validates a publish document against its URL name and the
// uploaded tarball and returns what to commit. Nothing is stored.
func checkPublish(env *ecosystems.Env, pr ecosystems.Principal, key store.PackageKey, doc *PublishDoc, att Attachment, up *upload) (publishInput, error) {
	name := key.Name
	var in publishInput
	if doc.Name != "" && doc.Name != name {
		return in, fmt.Errorf("%w: the document names %q but the URL is for %q", ErrManifest, doc.Name, name)
	}
	if doc.ID != "" && doc.ID != name {
		return in, fmt.Errorf("%w: _id %q does not match %q", ErrManifest, doc.ID, name)
	}
	ver, raw, err := singleVersion(doc)
	if err != nil {
		return in, err
	}
	if err := ValidateVersion(ver); err != nil {
		return in, err
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return in, err
	}
	if att.Name != name+"-"+ver+".tgz" && att.Name != TarballName(name, ver) {
		return in, fmt.Errorf("%w: attachment %q should be named %s-%s.tgz", ErrManifest, att.Name, name, ver)
	}
	if att.Length >= 0 && att.Length != up.blob.Size {
		return in, fmt.Errorf("%w: attachment length says %d bytes but the data decodes to %d", ErrManifest, att.Length, up.blob.Size)
	}
	pj, _, err := ParsePackageJSON(up.info.PackageJSON)
	if err != nil {
		return in, err
	}
	if err := CheckAgreement(name, ver, m, pj, up.digests); err != nil {
		return in, err
	}
	tags := map[string]string{}
	for tag, tv := range doc.DistTags {
		if err := ValidateTag(tag); err != nil {
			return in, err
		}
		if tv != ver {
			return in, fmt.Errorf("%w: dist-tag %q points at %q, but this publish is %s", ErrManifest, tag, tv, ver)
		}
		tags[tag] = tv
	}
	meta, err := BuildVersionMeta(m.Fields, name, ver, pr.User, up.digests, up.info)
	if err != nil {
		return in, err
	}
	return publishInput{key: key, name: name, version: ver, tags: tags, meta: meta,
		hint: RepoHint(m.Fields, env.BaseURL, key.Org)}, nil
}

// commit publishes a validated input through the pipeline.
func commit(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, in publishInput, up *upload, promote bool) (ecosystems.PublishResult, error) {
	res, err := env.Pipeline.Publish(ctx, pr, ecosystems.PublishRequest{
		Key: in.key, Version: in.version, Files: []store.File{up.file(in.name, in.version)},
		Meta: in.meta, Tags: in.tags, RepoHint: in.hint, DisplayName: in.name,
		UpdatePackage: ensureLatest(in.version, promote),
	})
	switch {
	case errors.Is(err, store.ErrTombstoned):
		return res, fmt.Errorf("%s@%s was unpublished and can never be published again: %w", in.name, in.version, store.ErrTombstoned)
	case errors.Is(err, store.ErrConflict) && !errors.Is(err, ecosystems.ErrDenied):
		return res, fmt.Errorf("cannot publish over the previously published version %s@%s: %w", in.name, in.version, store.ErrConflict)
	case err != nil:
		return res, fmt.Errorf("publish %s@%s: %w", in.name, in.version, err)
	}
	return res, nil
}

// precheck refuses, before any byte is stored, a publish whose version
// is invalid or already taken by different content (or deleted). It is
// advisory: the pipeline re-checks inside its transaction.
func precheck(ctx context.Context, env *ecosystems.Env, key store.PackageKey, doc *PublishDoc) error {
	if doc.Versions == nil {
		return nil
	}
	ver, raw, err := singleVersion(doc)
	if err != nil {
		return err
	}
	if err := ValidateVersion(ver); err != nil {
		return err
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return err
	}
	if m.Name != key.Name {
		return fmt.Errorf("%w: the manifest names %q but the request is for %q", ErrManifest, m.Name, key.Name)
	}
	return env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		v, err := tx.Version(key, ver)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if v.IsDeleted() {
			return fmt.Errorf("%s@%s was unpublished and can never be published again: %w", key.Name, ver, store.ErrTombstoned)
		}
		if f, ok := v.File(TarballName(key.Name, ver)); ok && sameIntegrity(m, f) {
			return nil // an identical retry; the pipeline answers it
		}
		return fmt.Errorf("cannot publish over the previously published version %s@%s: %w", key.Name, ver, store.ErrConflict)
	})
}

// sameIntegrity reports whether the manifest's checksums name file f.
func sameIntegrity(m Manifest, f store.File) bool {
	if m.Integrity != "" {
		for _, part := range strings.Fields(m.Integrity) {
			if v, ok := strings.CutPrefix(part, "sha512-"); ok {
				got, err := base64.StdEncoding.DecodeString(v)
				want, _ := hex.DecodeString(f.Hashes["sha512"])
				return err == nil && bytes.Equal(got, want)
			}
		}
	}
	return m.Shasum != "" && strings.EqualFold(m.Shasum, f.Hashes["sha1"])
}

// Accepts reports whether filename is an npm tarball (.tgz).
func (e *Ecosystem) Accepts(filename string) bool {
	return strings.HasSuffix(strings.ToLower(filename), ".tgz")
}

// PublishFile publishes an npm tarball uploaded through the drok REST API:
// the manifest is package/package.json from the tarball itself. "latest"
// moves to the new version when it is a stable release above the current
// one (or when there is none).
func (e *Ecosystem) PublishFile(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, org, filename string, body io.Reader) (ecosystems.PublishResult, error) {
	up, err := storeTarball(ctx, env.Pipeline.Blobs, body)
	if err != nil {
		return ecosystems.PublishResult{}, fmt.Errorf("publish %s: %w", filename, err)
	}
	pj, fields, err := ParsePackageJSON(up.info.PackageJSON)
	if err != nil {
		return ecosystems.PublishResult{}, fmt.Errorf("publish %s: %w", filename, err)
	}
	if err := ValidateName(pj.Name); err != nil {
		return ecosystems.PublishResult{}, fmt.Errorf("publish %s: %w", filename, err)
	}
	if err := ValidateVersion(pj.Version); err != nil {
		return ecosystems.PublishResult{}, fmt.Errorf("publish %s: %w", filename, err)
	}
	if p, _ := fields["private"]; string(p) == "true" {
		return ecosystems.PublishResult{}, fmt.Errorf("publish %s: %w: package.json has \"private\": true", filename, ErrManifest)
	}
	meta, err := BuildVersionMeta(fields, pj.Name, pj.Version, pr.User, up.digests, up.info)
	if err != nil {
		return ecosystems.PublishResult{}, err
	}
	in := publishInput{
		key:  store.PackageKey{Ecosystem: ecosystems.NPM, Org: org, Name: pj.Name},
		name: pj.Name, version: pj.Version, meta: meta, hint: RepoHint(fields, env.BaseURL, org),
	}
	return commit(ctx, env, pr, in, up, true)
}
