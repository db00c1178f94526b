package pypi

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// versionMeta is the JSON kept in store.Version.Meta.
type versionMeta struct {
	Summary        string              `json:"summary,omitempty"`
	RequiresPython string              `json:"requires_python,omitempty"`
	Files          map[string]fileMeta `json:"files,omitempty"`
}

// fileMeta is what the index shows about one file beyond its name, hash
// and size.
type fileMeta struct {
	Kind           Kind   `json:"kind"`
	RequiresPython string `json:"requires_python,omitempty"`
	// MetadataSHA256 names the blob holding the wheel's core metadata
	// (PEP 658); empty for sdists.
	MetadataSHA256 string `json:"metadata_sha256,omitempty"`
	MetadataSize   int64  `json:"metadata_size,omitempty"`
}

func decodeVersionMeta(raw []byte) versionMeta {
	var m versionMeta
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &m)
	}
	return m
}

// Form is the part of twine's upload form the registry checks.
type Form struct {
	Action          string
	ProtocolVersion string
	Name            string
	Version         string
	Filetype        string
	SHA256          string
	MetadataVersion string
}

const (
	maxFieldBytes = 4 << 20
	maxFormBytes  = 32 << 20
	maxFields     = 2000
)

// ReceivedFile is the content part of an upload, staged.
type ReceivedFile struct {
	Filename string
	Staged   store.Staged
}

// ReadForm reads twine's multipart form from mr. Fields are bounded;
// the file part ("content") is handed to onFile as it arrives (with the
// fields read so far) and must be consumed there. It returns the form
// after the last part.
func ReadForm(mr *multipart.Reader, onFile func(f *Form, filename string, body io.Reader) error) (*Form, error) {
	f := &Form{}
	total, fields, files := 0, 0, 0
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return f, fmt.Errorf("%w: multipart body: %w", ErrUpload, err)
		}
		name := p.FormName()
		if name == "content" {
			files++
			if files > 1 {
				return f, fmt.Errorf("%w: more than one file in the upload", ErrUpload)
			}
			// The raw filename parameter: Part.FileName would strip a
			// directory ("../x.whl" → "x.whl") that must be refused instead.
			_, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
			if err := onFile(f, params["filename"], p); err != nil {
				return f, err
			}
			continue
		}
		fields++
		if fields > maxFields {
			return f, fmt.Errorf("%w: more than %d form fields", ErrUpload, maxFields)
		}
		b, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
		if err != nil {
			return f, fmt.Errorf("%w: field %s: %w", ErrUpload, truncate(name), err)
		}
		if len(b) > maxFieldBytes {
			return f, fmt.Errorf("%w: field %s is larger than %d bytes", ErrUpload, truncate(name), maxFieldBytes)
		}
		total += len(b)
		if total > maxFormBytes {
			return f, fmt.Errorf("%w: form fields larger than %d bytes", ErrUpload, maxFormBytes)
		}
		v := string(b)
		switch name {
		case ":action":
			f.Action = v
		case "protocol_version":
			f.ProtocolVersion = v
		case "name":
			f.Name = v
		case "version":
			f.Version = v
		case "filetype":
			f.Filetype = v
		case "sha256_digest":
			f.SHA256 = strings.ToLower(strings.TrimSpace(v))
		case "metadata_version":
			f.MetadataVersion = v
		}
	}
	if files == 0 {
		return f, fmt.Errorf("%w: the upload has no file (field \"content\")", ErrUpload)
	}
	return f, nil
}

// CheckForm validates the form fields that must be known before the
// file is received, and returns the parsed filename.
func CheckForm(f *Form, filename string) (Dist, error) {
	if f.Action != "file_upload" {
		return Dist{}, fmt.Errorf("%w: :action must be file_upload (got %q)", ErrUpload, truncate(f.Action))
	}
	if f.ProtocolVersion != "" && f.ProtocolVersion != "1" {
		return Dist{}, fmt.Errorf("%w: protocol_version %q is not supported", ErrUpload, truncate(f.ProtocolVersion))
	}
	if f.Name == "" || f.Version == "" {
		return Dist{}, fmt.Errorf("%w: the name and version fields must come before the file", ErrUpload)
	}
	if err := ValidateName(f.Name); err != nil {
		return Dist{}, err
	}
	v, err := ParseVersion(f.Version)
	if err != nil {
		return Dist{}, err
	}
	if f.SHA256 != "" && !validSHA256(f.SHA256) {
		return Dist{}, fmt.Errorf("%w: sha256_digest %q is not 64 hex digits", ErrUpload, truncate(f.SHA256))
	}
	d, err := ParseFilename(filename, f.Name)
	if err != nil {
		return d, err
	}
	if d.Version != v {
		return d, fmt.Errorf("%w: %s is version %s, but the upload says %s", ErrFilename, filename, d.Version, v)
	}
	switch {
	case f.Filetype == "":
	case d.Kind == Wheel && f.Filetype != string(Wheel), d.Kind == Sdist && f.Filetype != string(Sdist):
		return d, fmt.Errorf("%w: filetype %q does not match %s", ErrUpload, truncate(f.Filetype), filename)
	}
	return d, nil
}

func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// inspected is a staged file with its validated core metadata.
type inspected struct {
	dist    Dist
	meta    Metadata
	metaRaw []byte
	staged  store.Staged
	blob    store.BlobInfo
}

// inspect reads the staged archive and checks it against d (and the form,
// when there is one).
func inspect(staged store.Staged, d Dist, f *Form) (*inspected, error) {
	rs, ok := staged.(store.ReadableStaged)
	if !ok {
		return nil, errors.New("inspect upload: the blob store cannot read staged files")
	}
	file, err := rs.OpenStaged()
	if err != nil {
		return nil, fmt.Errorf("inspect upload: %w", err)
	}
	defer file.Close()
	info := staged.Info()
	var raw []byte
	if d.Kind == Wheel {
		raw, err = InspectWheel(file, info.Size, d, DefaultLimits)
	} else {
		raw, err = InspectSdist(file, info.Size, d, DefaultLimits)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Filename, err)
	}
	m, err := ParseMetadata(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Filename, err)
	}
	if NormalizeName(m.Name) != NormalizeName(d.Name) {
		return nil, fmt.Errorf("%w: %s: the archive's metadata names project %q, the filename %q", ErrMetadata, d.Filename, m.Name, d.Name)
	}
	if m.Version != d.Version {
		return nil, fmt.Errorf("%w: %s: the archive's metadata says version %s, the filename %s", ErrMetadata, d.Filename, m.Version, d.Version)
	}
	if f != nil {
		if f.SHA256 != "" && f.SHA256 != info.SHA256 {
			return nil, fmt.Errorf("%w: sha256_digest %s does not match the file's sha256 %s", ErrUpload, f.SHA256, info.SHA256)
		}
		if NormalizeName(f.Name) != NormalizeName(m.Name) {
			return nil, fmt.Errorf("%w: the form names %q, the archive's metadata %q", ErrMetadata, f.Name, m.Name)
		}
		if f.MetadataVersion != "" && f.MetadataVersion != m.MetadataVersion {
			return nil, fmt.Errorf("%w: metadata_version %q, the archive's metadata says %q", ErrMetadata, truncate(f.MetadataVersion), m.MetadataVersion)
		}
	}
	return &inspected{dist: d, meta: m, metaRaw: raw, staged: staged, blob: info}, nil
}

// precheckFile answers, before the file is received, whether filename
// can still be uploaded to version of project key: nil when it is free,
// errIdentical when the same bytes (by digest) are already there, an
// error wrapping store.ErrConflict when the name is taken or the version
// was deleted. The pipeline repeats the check in its transaction.
func precheckFile(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, k store.PackageKey, version, filename, digest string) error {
	return env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		if err := ecosystems.Authorize(tx, pr, ecosystems.Write, k); err != nil {
			return err
		}
		return fileTaken(tx, k, version, filename, digest)
	})
}

var errIdentical = errors.New("identical file already uploaded")

func fileTaken(tx store.Tx, k store.PackageKey, version, filename, digest string) error {
	if v, err := tx.Version(k, version); err == nil && v.IsDeleted() {
		return fmt.Errorf("version %s was deleted and can never be uploaded again: %w", version, store.ErrTombstoned)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	vs, err := tx.Versions(k)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	for _, v := range vs {
		f, ok := v.File(filename)
		if !ok {
			continue
		}
		if !v.IsDeleted() && digest != "" && f.SHA256 == digest {
			return errIdentical
		}
		if v.IsDeleted() {
			return fmt.Errorf("file %s was deleted and its name can never be used again: %w", filename, store.ErrTombstoned)
		}
		return fmt.Errorf("file %s already exists: %w", filename, store.ErrConflict)
	}
	return nil
}

// commitUpload publishes an inspected upload into org: it re-checks
// access and the filename with the real digest, commits the staged file
// and the metadata blob, then adds the file to its version in one
// pipeline transaction. A byte-identical retry succeeds without change.
func commitUpload(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, org string, in *inspected) (ecosystems.PublishResult, error) {
	var none ecosystems.PublishResult
	key := store.PackageKey{Ecosystem: ecosystems.PyPI, Org: org, Name: NormalizeName(in.meta.Name)}
	fn := in.dist.Filename
	// The version owns the wheel's metadata file too (Version.ExtraSize).
	var metaSize int64
	if in.dist.Kind == Wheel {
		metaSize = int64(len(in.metaRaw))
	}
	switch err := precheckFile(ctx, env, pr, key, in.meta.Version, fn, in.blob.SHA256); {
	case errors.Is(err, errIdentical):
	case err != nil:
		return none, fmt.Errorf("upload %s: %w", fn, err)
	default:
		// Refuse what cannot fit the org's storage before any blob is
		// committed, so a refused upload leaves nothing behind; the publish
		// transaction charges (and checks) again.
		err := env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
			return env.Pipeline.CheckStorage(tx, org, in.blob.Size+metaSize)
		})
		if err != nil {
			return none, fmt.Errorf("upload %s: %w", fn, err)
		}
	}
	fm := fileMeta{Kind: in.dist.Kind, RequiresPython: in.meta.RequiresPython}
	if in.dist.Kind == Wheel {
		mb, err := env.Pipeline.Blobs.Put(ctx, bytes.NewReader(in.metaRaw), "")
		if err != nil {
			return none, fmt.Errorf("upload %s: store metadata: %w", fn, err)
		}
		fm.MetadataSHA256, fm.MetadataSize = mb.SHA256, mb.Size
	}
	if err := in.staged.Commit(); err != nil {
		return none, fmt.Errorf("upload %s: store file: %w", fn, err)
	}
	contentType := "application/gzip"
	if in.dist.Kind == Wheel || strings.HasSuffix(strings.ToLower(fn), ".zip") {
		contentType = "application/zip"
	}
	file := store.File{Name: fn, SHA256: in.blob.SHA256, Size: in.blob.Size, ContentType: contentType}
	res, err := env.Pipeline.Publish(ctx, pr, ecosystems.PublishRequest{
		Key: key, Version: in.meta.Version, Files: []store.File{file}, AddFiles: true,
		DisplayName: in.meta.Name,
		UpdateVersion: func(v *store.Version) error {
			vm := decodeVersionMeta(v.Meta)
			if vm.Files == nil {
				vm.Files = map[string]fileMeta{}
			}
			vm.Files[fn] = fm
			v.ExtraSize += fm.MetadataSize
			if vm.Summary == "" {
				vm.Summary = in.meta.Summary
			}
			if vm.RequiresPython == "" {
				vm.RequiresPython = in.meta.RequiresPython
			}
			b, err := json.Marshal(vm)
			if err != nil {
				return err
			}
			v.Meta = b
			return nil
		},
	})
	switch {
	case errors.Is(err, store.ErrTombstoned):
		return none, fmt.Errorf("upload %s: version %s was deleted and can never be uploaded again: %w", fn, in.meta.Version, store.ErrTombstoned)
	case errors.Is(err, store.ErrConflict):
		return none, fmt.Errorf("upload %s: file already exists: %w", fn, store.ErrConflict)
	case err != nil:
		return none, fmt.Errorf("upload %s: %w", fn, err)
	}
	return res, nil
}

// Accepts reports whether filename is a wheel (.whl) or an sdist
// (.tar.gz, .zip).
func (e *Ecosystem) Accepts(filename string) bool {
	l := strings.ToLower(filename)
	return strings.HasSuffix(l, ".whl") || strings.HasSuffix(l, ".tar.gz") || strings.HasSuffix(l, ".zip")
}

// PublishFile publishes a wheel or sdist uploaded through the drok REST
// API; the project and version come from the archive's core metadata and
// must agree with the filename.
func (e *Ecosystem) PublishFile(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, org, filename string, body io.Reader) (ecosystems.PublishResult, error) {
	var none ecosystems.PublishResult
	d, err := ParseFilename(filename, "")
	if err != nil {
		return none, fmt.Errorf("publish %s: %w", truncate(filename), err)
	}
	staged, err := env.Pipeline.Blobs.Stage(ctx, body, "")
	if err != nil {
		return none, fmt.Errorf("publish %s: %w", filename, err)
	}
	defer staged.Discard()
	in, err := inspect(staged, d, nil)
	if err != nil && d.Kind == Sdist {
		// An sdist name split differently (foo-1.0-1.tar.gz) is settled by
		// its PKG-INFO: try again with the name the archive gives.
		if alt, aerr := retrySdistSplit(staged, d); aerr == nil {
			in, err = alt, nil
		}
	}
	if err != nil {
		return none, fmt.Errorf("publish: %w", err)
	}
	return commitUpload(ctx, env, pr, org, in)
}

// retrySdistSplit re-parses an sdist filename with the project name found
// in its PKG-INFO.
func retrySdistSplit(staged store.Staged, d Dist) (*inspected, error) {
	rs, ok := staged.(store.ReadableStaged)
	if !ok {
		return nil, errors.New("staged file not readable")
	}
	file, err := rs.OpenStaged()
	if err != nil {
		return nil, err
	}
	raw, err := InspectSdist(file, staged.Info().Size, d, DefaultLimits)
	file.Close()
	if err != nil {
		return nil, err
	}
	m, err := ParseMetadata(raw)
	if err != nil {
		return nil, err
	}
	d2, err := ParseFilename(d.Filename, m.Name)
	if err != nil {
		return nil, err
	}
	return inspect(staged, d2, nil)
}
