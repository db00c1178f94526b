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

// upload is a tarball received into the blob store's staging area: not
// visible in the store until commit.
type upload struct {
	staged  store.Staged
	blob    store.BlobInfo
	digests Digests
	info    TarballInfo
}

// discard removes the staged bytes unless they were committed; safe on a
// nil upload, so callers can defer it before the upload exists.
func (u *upload) discard() {
	if u != nil && u.staged != nil {
		u.staged.Discard()
	}
}

// storeTarball streams r into the blob store's staging area while hashing
// it and inspecting it as an npm tarball, holding only small buffers in
// memory. Nothing becomes visible in the store: the caller validates the
// publish, then commits the upload (see commit) or discards it. An invalid
// tarball is refused and nothing is kept.
func storeTarball(ctx context.Context, blobs store.Blobs, r io.Reader) (*upload, error) {
	h := NewHasher()
	staged, info, err := ecosystems.StageInspected(ctx, blobs, io.TeeReader(r, h), "tarball", func(r io.Reader) (TarballInfo, error) {
		return InspectTarball(r, DefaultTarballLimits)
	})
	if err != nil {
		return nil, err
	}
	return &upload{staged: staged, blob: staged.Info(), digests: h.Sum(), info: info}, nil
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
// uploaded tarball and returns what to commit. Nothing is stored. The
// stored manifest is built from the tarball's package.json (see
// BuildVersionMeta); the document only has to agree with it on name and
// version and with the bytes on their checksums.
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
	pj, fields, err := ParsePackageJSON(up.info.PackageJSON)
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
	meta, err := BuildVersionMeta(fields, m.Fields, name, ver, pr.User, up.digests, up.info)
	if err != nil {
		return in, err
	}
	return publishInput{key: key, name: name, version: ver, tags: tags, meta: meta,
		hint: RepoHint(fields, env.BaseURL, key.Org)}, nil
}

// commit publishes a validated input through the pipeline. It first
// repeats, now with the exact sha256, the checks the pipeline will make
// (write access, tombstone, a different tarball already published, the
// org's storage limit), so
// that refused publishes leave nothing in the blob store; then it commits
// the staged tarball and runs the publish transaction. Only when that
// transaction fails after the commit — a concurrent publish of the same
// version won, access was revoked or the version deleted in between, an
// index error — is the committed blob left unreferenced (unless the same
// bytes are referenced elsewhere): that orphan is for the blob garbage
// collector.
func commit(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, in publishInput, up *upload, promote bool) (ecosystems.PublishResult, error) {
	var res ecosystems.PublishResult
	err := env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		if err := ecosystems.Authorize(tx, pr, ecosystems.Write, in.key); err != nil {
			return err
		}
		if err := checkExisting(tx, in.key, in.version, func(f store.File) bool { return f.SHA256 == up.blob.SHA256 }); err != nil {
			return err
		}
		if _, err := tx.Version(in.key, in.version); err == nil {
			return nil // an identical retry adds no storage
		}
		return env.Pipeline.CheckStorage(tx, in.key.Org, up.blob.Size)
	})
	if err != nil {
		return res, err
	}
	if err := up.staged.Commit(); err != nil {
		return res, fmt.Errorf("store tarball: %w", err)
	}
	res, err = env.Pipeline.Publish(ctx, pr, ecosystems.PublishRequest{
		Key: in.key, Version: in.version, Files: []store.File{up.file(in.name, in.version)},
		Meta: in.meta, Tags: in.tags, RepoHint: in.hint, DisplayName: in.name,
		UpdatePackage: ensureLatest(in.version, promote),
	})
	switch {
	case errors.Is(err, store.ErrTombstoned):
		return res, fmt.Errorf("%s@%s was unpublished and can never be published again: %w", in.name, in.version, store.ErrTombstoned)
	case errors.Is(err, store.ErrConflict):
		return res, fmt.Errorf("cannot publish over the previously published version %s@%s: %w", in.name, in.version, store.ErrConflict)
	case err != nil:
		return res, fmt.Errorf("publish %s@%s: %w", in.name, in.version, err)
	}
	return res, nil
}

// checkExisting refuses version of key when it was deleted or holds a
// tarball for which same is false. It is advisory: the pipeline re-checks
// inside its transaction.
func checkExisting(tx store.Tx, key store.PackageKey, version string, same func(store.File) bool) error {
	v, err := tx.Version(key, version)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if v.IsDeleted() {
		return fmt.Errorf("%s@%s was unpublished and can never be published again: %w", key.Name, version, store.ErrTombstoned)
	}
	if f, ok := v.File(TarballName(key.Name, version)); ok && same(f) {
		return nil // an identical retry; the pipeline answers it
	}
	return fmt.Errorf("cannot publish over the previously published version %s@%s: %w", key.Name, version, store.ErrConflict)
}

// precheck refuses, before any byte of the tarball is received, a publish
// whose version is invalid or already taken by different content (or
// deleted), judged by the document's checksums. It can only run when the
// document sends "versions" before "_attachments" (npm does); commit
// repeats the check with the real sha256.
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
		return checkExisting(tx, key, ver, func(f store.File) bool { return sameIntegrity(m, f) })
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
	var none ecosystems.PublishResult
	up, err := storeTarball(ctx, env.Pipeline.Blobs, body)
	if err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	defer up.discard()
	pj, fields, err := ParsePackageJSON(up.info.PackageJSON)
	if err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	if err := ValidateName(pj.Name); err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	if err := ValidateVersion(pj.Version); err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	if string(fields["private"]) == "true" {
		return none, fmt.Errorf("publish %s: %w: package.json has \"private\": true", filename, ErrManifest)
	}
	meta, err := BuildVersionMeta(fields, nil, pj.Name, pj.Version, pr.User, up.digests, up.info)
	if err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	in := publishInput{
		key:  store.PackageKey{Ecosystem: ecosystems.NPM, Org: org, Name: pj.Name},
		name: pj.Name, version: pj.Version, meta: meta, hint: RepoHint(fields, env.BaseURL, org),
	}
	return commit(ctx, env, pr, in, up, true)
}
