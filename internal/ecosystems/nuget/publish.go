package nuget

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// genericUploadName is the part file name nuget.exe and dotnet use for
// every push; it names no package.
const genericUploadName = "package.nupkg"

// push handles PUT of a .nupkg (or .snupkg with symbols) as multipart
// form data (the first file part) or as a raw body.
func (h *handler) push(q *request, symbols bool) {
	if err := h.env.Pipeline.Index.View(q.ctx, func(tx store.Tx) error {
		return ecosystems.AuthorizePublisher(tx, q.pr, q.org)
	}); err != nil {
		h.fail(q, err)
		return
	}
	body, filename, err := uploadBody(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	res, err := publishNupkg(q.ctx, h.env, q.pr, q.org, filename, body, symbols)
	if err == nil && res.Retried {
		err = fmt.Errorf("%s %s: %w", res.Package.DisplayName, res.Version.Version, store.ErrConflict)
	}
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			ecosystems.WriteText(q.w, http.StatusConflict, "the package version already exists (or was deleted): "+ecosystems.PublicMessage(err))
			return
		}
		h.fail(q, err)
		return
	}
	ecosystems.WriteText(q.w, http.StatusCreated, "created")
}

// uploadBody returns the package bytes of a push: the first file part of a
// multipart body, else the body itself.
func uploadBody(r *http.Request) (io.Reader, string, error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !strings.HasPrefix(mt, "multipart/") {
		return r.Body, "", nil
	}
	if params["boundary"] == "" {
		return nil, "", fmt.Errorf("%w: multipart body without a boundary", store.ErrInvalid)
	}
	return firstPart(r.Body, params["boundary"])
}

// checkFilename refuses an upload file name of the form ID.VERSION.nupkg
// that disagrees with the .nuspec. Generic names are accepted.
func checkFilename(filename string, n Nuspec, symbols bool) error {
	base := filename
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	lower := strings.ToLower(base)
	ext := ".nupkg"
	if symbols {
		ext = ".snupkg"
	}
	if lower == "" || lower == genericUploadName || lower == "package"+ext || !strings.HasSuffix(lower, ext) {
		return nil
	}
	stem := base[:len(base)-len(ext)]
	idPart := stem[:min(len(n.ID)+1, len(stem))]
	if !strings.EqualFold(idPart, n.ID+".") {
		return fmt.Errorf("%w: file %s does not hold package %s (the .nuspec id)", ErrPackage, base, n.ID)
	}
	v, err := ParseVersion(stem[len(n.ID)+1:])
	if err != nil || !strings.EqualFold(v.String(), n.Version) {
		return fmt.Errorf("%w: file %s does not hold version %s (the .nuspec version)", ErrPackage, base, n.Version)
	}
	return nil
}

// publishNupkg stages body, inspects it as a .nupkg (or .snupkg) and
// publishes it into org. Nothing is committed when the package is
// refused.
func publishNupkg(ctx context.Context, env *ecosystems.Env, pr ecosystems.Principal, org, filename string, body io.Reader, symbols bool) (ecosystems.PublishResult, error) {
	var res ecosystems.PublishResult
	h512, h1 := sha512.New(), sha1.New()
	staged, err := env.Pipeline.Blobs.Stage(ctx, io.TeeReader(body, io.MultiWriter(h512, h1)), "")
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) || errors.Is(err, store.ErrQuota) {
			return res, err
		}
		return res, fmt.Errorf("receive package: %w: %w", store.ErrIncomplete, err)
	}
	defer staged.Discard()
	sr, ok := staged.(store.ReadableStaged)
	if !ok {
		return res, errors.New("blob store cannot read staged uploads")
	}
	ra, err := sr.OpenStaged()
	if err != nil {
		return res, fmt.Errorf("open staged package: %w", err)
	}
	defer ra.Close()
	info := staged.Info()
	ins, err := InspectNupkg(ra, info.Size, DefaultLimits)
	if err == nil {
		err = checkFilename(filename, ins.Nuspec, symbols)
	}
	if err != nil {
		return res, fmt.Errorf("%w: %w", store.ErrInvalid, err)
	}
	n := ins.Nuspec
	v, _ := ParseVersion(n.FullVersion)
	key := store.PackageKey{Ecosystem: ecosystems.NuGet, Org: org, Name: strings.ToLower(n.ID)}
	base := key.Name + "." + v.Key()
	file := store.File{Name: base + ".nupkg", SHA256: info.SHA256, Size: info.Size, ContentType: "application/octet-stream",
		Hashes: map[string]string{"sha512": hex.EncodeToString(h512.Sum(nil)), "sha1": hex.EncodeToString(h1.Sum(nil))}}
	req := ecosystems.PublishRequest{Key: key, Version: v.Key(), DisplayName: n.ID}
	if err := env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		if err := ecosystems.Authorize(tx, pr, ecosystems.Write, key); err != nil {
			return err
		}
		if ver, err := tx.Version(key, v.Key()); err == nil && !symbols {
			if f, ok := ver.File(file.Name); ok && f.SHA256 == file.SHA256 && !ver.IsDeleted() {
				return nil // an identical retry: the pipeline reports it
			}
			return fmt.Errorf("%s %s: %w", n.ID, n.Version, store.ErrConflict)
		}
		// Refuse what cannot fit before any blob is kept; the publish
		// transaction checks again.
		size := info.Size
		if !symbols {
			size += int64(len(ins.NuspecXML))
		}
		return env.Pipeline.CheckStorage(tx, org, size)
	}); err != nil {
		return res, fmt.Errorf("publish %s %s: %w", n.ID, n.Version, err)
	}
	if symbols {
		if _, err := env.Pipeline.Resolve(ctx, pr, key); err != nil {
			return res, fmt.Errorf("symbols for %s %s: %w", n.ID, n.Version, err)
		}
		found := false
		_ = env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
			ver, err := tx.Version(key, v.Key())
			found = err == nil && !ver.IsDeleted()
			return nil
		})
		if !found {
			return res, fmt.Errorf("%w: push %s %s before its symbol package", store.ErrNotFound, n.ID, n.Version)
		}
		file.Name = base + ".snupkg"
		req.Files, req.AddFiles = []store.File{file}, true
	} else {
		meta, err := json.Marshal(versionMeta{Nuspec: n})
		if err != nil {
			return res, err
		}
		nsInfo, err := env.Pipeline.Blobs.Put(ctx, bytes.NewReader(ins.NuspecXML), "")
		if err != nil {
			return res, fmt.Errorf("store .nuspec: %w", err)
		}
		req.Meta = meta
		req.Files = []store.File{file, {Name: base + ".nuspec", SHA256: nsInfo.SHA256, Size: nsInfo.Size, ContentType: "application/xml"}}
	}
	if err := staged.Commit(); err != nil {
		return res, fmt.Errorf("store package: %w", err)
	}
	return env.Pipeline.Publish(ctx, pr, req)
}
