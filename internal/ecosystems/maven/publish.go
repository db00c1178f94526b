package maven

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// Limits of the archive inspection done by `drok package publish`.
const (
	maxZipEntries = 100000
)

var archiveExts = []string{".jar", ".war", ".aar", ".ear"}

// Accepts reports whether filename is a Maven artifact drok can publish
// on its own: a .pom, or a .jar/.war/.aar/.ear (optionally prefixed with
// "groupId:artifactId:version/", which `drok package publish` adds from a
// sibling .pom).
func (e *Ecosystem) Accepts(filename string) bool {
	f := strings.ToLower(filename)
	if strings.HasSuffix(f, ".pom") {
		return true
	}
	for _, x := range archiveExts {
		if strings.HasSuffix(f, x) {
			return true
		}
	}
	return false
}

// SplitPublishName splits the "groupId:artifactId:version/" prefix from a
// filename given to `drok package publish` (see Accepts).
func SplitPublishName(filename string) (coords, name string) {
	if i := strings.LastIndexByte(filename, '/'); i >= 0 && strings.Count(filename[:i], ":") == 2 {
		return filename[:i], filename[i+1:]
	}
	return "", filename
}

// PublishFile publishes a POM or an archive through the REST API.
//
// A .pom publishes (or adds to) the version it names, stored as
// artifactId-version.pom. An archive takes its coordinates from the POM
// Maven embeds at META-INF/maven/groupId/artifactId/pom.xml, which is
// also stored as the version's .pom unless the version has one; without
// an embedded POM the coordinates come from the filename prefix the CLI
// adds from a sibling .pom, which must then have been published first.
// SNAPSHOT versions are refused: deploy those with mvn.
func (e *Ecosystem) PublishFile(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, org, filename string, body io.Reader) (ecosystems.PublishResult, error) {
	coords, name := SplitPublishName(filename)
	name = path.Base(name)
	if strings.HasSuffix(strings.ToLower(name), ".pom") {
		return publishPOM(ctx, env, pr, org, body)
	}
	return publishArchive(ctx, env, pr, org, coords, name, body)
}

// stagedFile is an accepted upload waiting for Commit.
type stagedFile struct {
	staged store.Staged
	file   store.File
}

func stageFile(ctx context.Context, env *ecosystems.Env, name string, r io.Reader) (*stagedFile, error) {
	hashes := newHashes()
	ws := make([]io.Writer, 0, len(hashes))
	for _, hh := range hashes {
		ws = append(ws, hh)
	}
	st, err := env.Pipeline.Blobs.Stage(ctx, io.TeeReader(r, io.MultiWriter(ws...)), "")
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", name, err)
	}
	info := st.Info()
	sum := func(a string) string { return hex.EncodeToString(hashes[a].Sum(nil)) }
	return &stagedFile{staged: st, file: store.File{Name: name, SHA256: info.SHA256, Size: info.Size, ContentType: contentType(name),
		Hashes: map[string]string{"md5": sum("md5"), "sha1": sum("sha1"), "sha512": sum("sha512")}}}, nil
}

func publishPOM(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, org string, body io.Reader) (ecosystems.PublishResult, error) {
	var buf bytes.Buffer
	sf, err := stageFile(ctx, env, "pom", io.TeeReader(io.LimitReader(body, maxPOM+1), &buf))
	if err != nil {
		return ecosystems.PublishResult{}, err
	}
	defer sf.staged.Discard()
	p, err := ParsePOM(&buf)
	if err != nil {
		return ecosystems.PublishResult{}, err
	}
	if IsSnapshot(p.Version) {
		return ecosystems.PublishResult{}, fmt.Errorf("%w: %s is a SNAPSHOT: deploy SNAPSHOTs with mvn deploy", store.ErrInvalid, p.Version)
	}
	sf.file.Name = p.ArtifactID + "-" + p.Version + ".pom"
	return commit(ctx, env, pr, org, p, sf)
}

func commit(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, org string, p POM, files ...*stagedFile) (ecosystems.PublishResult, error) {
	req := ecosystems.PublishRequest{Key: store.PackageKey{Ecosystem: ecosystems.Maven, Org: org, Name: p.GroupID + ":" + p.ArtifactID},
		Version: p.Version, DisplayName: p.GroupID + ":" + p.ArtifactID, AddFiles: true, UpdatePackage: raiseLatest(p.Version)}
	var size int64
	for _, f := range files {
		size += f.file.Size
	}
	// Refuse what cannot fit before any blob is kept; the publish
	// transaction checks again.
	if err := env.Pipeline.Index.View(ctx, func(tx store.Tx) error { return env.Pipeline.CheckStorage(tx, org, size) }); err != nil {
		return ecosystems.PublishResult{}, fmt.Errorf("publish %s:%s:%s: %w", p.GroupID, p.ArtifactID, p.Version, err)
	}
	for _, f := range files {
		if err := f.staged.Commit(); err != nil {
			return ecosystems.PublishResult{}, fmt.Errorf("store %s: %w", f.file.Name, err)
		}
		req.Files = append(req.Files, f.file)
	}
	return env.Pipeline.Publish(ctx, pr, req)
}

func publishArchive(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, org, coords, name string, body io.Reader) (ecosystems.PublishResult, error) {
	var none ecosystems.PublishResult
	sf, err := stageFile(ctx, env, name, body)
	if err != nil {
		return none, err
	}
	defer sf.staged.Discard()
	rs, ok := sf.staged.(store.ReadableStaged)
	if !ok {
		return none, errors.New("blob store cannot read staged uploads")
	}
	staged, err := rs.OpenStaged()
	if err != nil {
		return none, fmt.Errorf("inspect %s: %w", name, err)
	}
	embedded, pomBytes, err := embeddedPOM(staged, sf.file.Size)
	staged.Close()
	if err != nil {
		return none, fmt.Errorf("%s: %w", name, err)
	}
	var p POM
	switch {
	case coords != "":
		parts := strings.Split(coords, ":")
		p = POM{GroupID: parts[0], ArtifactID: parts[1], Version: parts[2]}
		if err := errors.Join(ValidGroupID(p.GroupID), ValidArtifactID(p.ArtifactID), ValidVersion(p.Version)); err != nil {
			return none, err
		}
		if embedded != nil && (embedded.GroupID != p.GroupID || embedded.ArtifactID != p.ArtifactID || embedded.Version != p.Version) {
			return none, fmt.Errorf("%w: %s embeds the POM of %s:%s:%s but its .pom says %s", ErrBadPOM, name, embedded.GroupID, embedded.ArtifactID, embedded.Version, coords)
		}
	case embedded != nil:
		p = *embedded
	default:
		return none, fmt.Errorf("%w: %s has no META-INF/maven/GROUP/ARTIFACT/pom.xml; put its .pom next to it (same name) so drok package publish sends it first", ErrBadPOM, name)
	}
	if IsSnapshot(p.Version) {
		return none, fmt.Errorf("%w: %s is a SNAPSHOT: deploy SNAPSHOTs with mvn deploy", store.ErrInvalid, p.Version)
	}
	ext := name[strings.LastIndexByte(name, '.')+1:]
	if _, err := ParseFileName(p.ArtifactID, p.Version, name); err != nil {
		name = p.ArtifactID + "-" + p.Version + "." + strings.ToLower(ext)
	}
	sf.file.Name, sf.file.ContentType = name, contentType(name)

	pomName := p.ArtifactID + "-" + p.Version + ".pom"
	hasPOM := false
	k := store.PackageKey{Ecosystem: ecosystems.Maven, Org: org, Name: p.GroupID + ":" + p.ArtifactID}
	if res, err := env.Pipeline.Resolve(ctx, pr, k); err == nil {
		if v, ok := res.Find(p.Version); ok {
			_, hasPOM = v.File(pomName)
		}
	}
	files := []*stagedFile{sf}
	switch {
	case hasPOM:
	case embedded != nil:
		pf, err := stageFile(ctx, env, pomName, bytes.NewReader(pomBytes))
		if err != nil {
			return none, err
		}
		defer pf.staged.Discard()
		files = append(files, pf)
	default:
		return none, fmt.Errorf("%w: publish %s before %s", store.ErrInvalid, pomName, name)
	}
	return commit(ctx, env, pr, org, p, files...)
}

// embeddedPOM finds META-INF/maven/*/*/pom.xml in a zip of size bytes.
// Several (a shaded jar) are an error rather than a guess.
func embeddedPOM(r io.ReaderAt, size int64) (*POM, []byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: not a zip archive: %v", store.ErrInvalid, err)
	}
	if len(zr.File) > maxZipEntries {
		return nil, nil, fmt.Errorf("%w: more than %d entries", store.ErrInvalid, maxZipEntries)
	}
	var found *zip.File
	for _, f := range zr.File {
		parts := strings.Split(f.Name, "/")
		if len(parts) == 5 && parts[0] == "META-INF" && parts[1] == "maven" && parts[4] == "pom.xml" {
			if found != nil {
				return nil, nil, fmt.Errorf("%w: several META-INF/maven/*/*/pom.xml; publish with mvn deploy", ErrBadPOM)
			}
			found = f
		}
	}
	if found == nil {
		return nil, nil, nil
	}
	if found.UncompressedSize64 > maxPOM {
		return nil, nil, fmt.Errorf("%w: embedded pom.xml larger than %d bytes", ErrBadPOM, maxPOM)
	}
	rc, err := found.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadPOM, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxPOM+1))
	if err != nil || len(b) > maxPOM {
		return nil, nil, fmt.Errorf("%w: cannot read the embedded pom.xml", ErrBadPOM)
	}
	p, err := ParsePOM(bytes.NewReader(b))
	if err != nil {
		return nil, nil, err
	}
	return &p, b, nil
}
