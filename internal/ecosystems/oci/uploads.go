package oci

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// session is one resumable blob upload: bytes so far in a temporary file
// and the running sha256 of them.
type session struct {
	mu      sync.Mutex
	id      string
	key     store.PackageKey
	path    string
	size    int64
	h       hash.Hash
	updated time.Time
	done    bool
}

// uploads holds the upload sessions of one handler.
type uploads struct {
	blobs store.Blobs
	mu    sync.Mutex
	m     map[string]*session
	// commit is held (read) while a blob is committed and linked, and
	// (write) by garbage collection while it deletes blobs.
	commit sync.RWMutex
	// max bounds the open sessions (each holds a temporary file).
	max int
}

// maxSessions bounds the upload sessions open at once.
const maxSessions = 10000

// errTooManyUploads is answered 429 TOOMANYREQUESTS.
var errTooManyUploads = errors.New("too many uploads in progress; finish or cancel some, or retry later")

func newUploads(b store.Blobs) *uploads {
	return &uploads{blobs: b, m: map[string]*session{}, max: maxSessions}
}

func (u *uploads) createTemp() (*os.File, error) {
	if ta, ok := u.blobs.(store.TempAdopter); ok {
		return ta.CreateTemp("oci-upload-*")
	}
	return os.CreateTemp("", "drok-oci-upload-*")
}

func (u *uploads) start(k store.PackageKey) (*session, error) {
	u.mu.Lock()
	full := len(u.m) >= u.max
	u.mu.Unlock()
	if full {
		return nil, oerr(http.StatusTooManyRequests, "TOOMANYREQUESTS", errTooManyUploads)
	}
	f, err := u.createTemp()
	if err != nil {
		return nil, err
	}
	f.Close()
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("upload id: %w", err)
	}
	s := &session{id: hex.EncodeToString(id), key: k, path: f.Name(), h: sha256.New(), updated: time.Now()}
	u.mu.Lock()
	u.m[s.id] = s
	u.mu.Unlock()
	return s, nil
}

func (u *uploads) get(id string, k store.PackageKey) (*session, error) {
	u.mu.Lock()
	s, ok := u.m[id]
	u.mu.Unlock()
	if !ok || s.key != k {
		return nil, fmt.Errorf("upload %.64q: %w", id, store.ErrNotFound)
	}
	return s, nil
}

// end forgets s and removes its file (s.mu held).
func (u *uploads) end(s *session) {
	s.done = true
	u.mu.Lock()
	delete(u.m, s.id)
	u.mu.Unlock()
	os.Remove(s.path)
}

// expire ends sessions idle for longer than idle and returns how many.
func (u *uploads) expire(idle time.Duration) int {
	u.mu.Lock()
	var old []*session
	for _, s := range u.m {
		old = append(old, s)
	}
	u.mu.Unlock()
	n := 0
	for _, s := range old {
		if !s.mu.TryLock() {
			continue // in use right now
		}
		if !s.done && time.Since(s.updated) > idle {
			u.end(s)
			n++
		}
		s.mu.Unlock()
	}
	return n
}

// append adds r to the session (s.mu held). On failure the session is
// left as it was before.
func (s *session) append(r io.Reader) (int64, error) {
	state, err := s.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return 0, err
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return 0, fmt.Errorf("open upload: %w", err)
	}
	buf := make([]byte, 1<<20)
	wb := &writeback{f: f, off: s.size, from: s.size}
	n, err := copyFull(io.MultiWriter(wb, s.h), clientReader{r}, buf)
	if err != nil {
		_ = f.Truncate(s.size)
		f.Close()
		_ = s.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state)
		return 0, fmt.Errorf("write upload: %w", err)
	}
	if err := f.Close(); err != nil {
		_ = os.Truncate(s.path, s.size)
		_ = s.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state)
		return 0, fmt.Errorf("write upload: %w", err)
	}
	s.size += n
	s.updated = time.Now()
	return n, nil
}

// copyFull copies src to dst in whole buffers (fewer, larger writes and
// hash updates than io.Copy's read-sized ones).
func copyFull(dst io.Writer, src io.Reader, buf []byte) (int64, error) {
	var total int64
	for {
		n, err := io.ReadFull(src, buf)
		if n > 0 {
			w, werr := dst.Write(buf[:n])
			total += int64(w)
			if werr != nil {
				return total, werr
			}
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return total, nil
		default:
			return total, err
		}
	}
}

// writebackEvery is how many bytes an upload writes before it asks the
// kernel to start writing them out.
const writebackEvery = 8 << 20

// writeback writes to an upload file and starts the disk writes of every
// writebackEvery bytes as soon as they are written.
type writeback struct {
	f         *os.File
	off, from int64
}

func (w *writeback) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.from >= writebackEvery {
		startWriteback(w.f, w.from, w.off-w.from)
		w.from = w.off
	}
	return n, err
}

// clientReader marks the request body's errors with store.ErrIncomplete
// (400: the client stopped sending), so that they differ from a failing
// disk (500).
type clientReader struct{ r io.Reader }

func (c clientReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return n, err
		}
		err = fmt.Errorf("%w: %w", store.ErrIncomplete, err)
	}
	return n, err
}

func (s *session) rangeHeader() string {
	if s.size == 0 {
		return "0-0"
	}
	return "0-" + strconv.FormatInt(s.size-1, 10)
}

func uploadLocation(rt Route, id string) string {
	return "/v2/" + rt.name() + "/blobs/uploads/" + id
}

func (h *handler) sessionHeaders(w http.ResponseWriter, rt Route, s *session) {
	hd := w.Header()
	hd.Set("Location", uploadLocation(rt, s.id))
	hd.Set("Range", s.rangeHeader())
	hd.Set("Docker-Upload-UUID", s.id)
	hd.Set("Content-Length", "0")
}

// uploadStart is POST /v2/{name}/blobs/uploads/: a monolithic upload
// (?digest=), a cross-repository mount (?mount=&from=), or a new session.
func (h *handler) uploadStart(w http.ResponseWriter, r *http.Request, rt Route) {
	if !h.needsMethod(w, r, rt, http.MethodPost) {
		return
	}
	p, err := h.caller(r, ecosystems.Write, rt)
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	q := r.URL.Query()
	if m := q.Get("mount"); m != "" {
		if d, err := ParseDigest(m); err == nil {
			ok, needScope := h.mount(r.Context(), p, rt, d, q.Get("from"))
			if ok {
				blobCreated(w, rt, d)
				return
			}
			if needScope != "" {
				h.fail(w, r, rt, &ociError{status: http.StatusUnauthorized, code: "UNAUTHORIZED",
					err: fmt.Errorf("%w %s; ask /v2/token for it", errMountScope, needScope), scope: "repository:" + needScope + ":pull"})
				return
			}
		}
	}
	if ds := q.Get("digest"); ds != "" {
		d, err := ParseDigest(ds)
		if err != nil {
			h.fail(w, r, rt, err)
			return
		}
		err = nil
		if r.ContentLength > 0 {
			err = h.checkRoom(r.Context(), rt.Org, r.ContentLength)
		}
		if err == nil {
			err = h.putMonolithic(r.Context(), p, rt, d, r.Body)
		}
		if err != nil {
			h.fail(w, r, rt, err)
			return
		}
		blobCreated(w, rt, d)
		return
	}
	s, err := h.uploads.start(rt.key())
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	h.sessionHeaders(w, rt, s)
	w.WriteHeader(http.StatusAccepted)
}

func blobCreated(w http.ResponseWriter, rt Route, d Digest) {
	w.Header().Set("Location", "/v2/"+rt.name()+"/blobs/"+d.String())
	w.Header().Set("Docker-Content-Digest", d.String())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// errMountScope aborts a mount whose source the principal may read but
// the registry token does not cover.
var errMountScope = errors.New("the registry token does not grant pull on the mount source")

// mount links d from repository from (or, without from, from any
// repository of the org the caller may read) when p may read it there.
// ok=false means: upload instead. needScope names a source repository the
// principal may read but the registry token does not cover: the client
// is challenged for it (as distribution does) instead.
func (h *handler) mount(ctx context.Context, p ecosystems.Principal, rt Route, d Digest, from string) (ok bool, needScope string) {
	var src Route
	if from != "" {
		var valid bool
		if src, valid = parseRepoName(from); !valid {
			return false, ""
		}
	}
	h.uploads.commit.RLock()
	defer h.uploads.commit.RUnlock()
	err := h.env.Pipeline.Index.Update(ctx, func(tx store.Tx) error {
		if err := ecosystems.Authorize(tx, p, ecosystems.Write, rt.key()); err != nil {
			return err
		}
		var l link
		var err error
		name := src.name()
		if from == "" {
			l, name, err = findReadableLink(ctx, tx, p, rt.Org, d)
		} else if err = ecosystems.Authorize(tx, p, ecosystems.Read, src.key()); err == nil {
			l, err = getLink(tx, src.key(), d)
		}
		if err != nil {
			return err
		}
		if _, err := h.env.Pipeline.Blobs.Stat(l.SHA256); err != nil {
			return err
		}
		if !scopeAllows(ctx, "pull", name) {
			needScope = name
			return errMountScope
		}
		l.Created = time.Now().UTC()
		return putLink(tx, rt.key(), d, l)
	})
	return err == nil, needScope
}

// putMonolithic streams body into the blob store, verifies it against d
// and links it into rt.
func (h *handler) putMonolithic(ctx context.Context, p ecosystems.Principal, rt Route, d Digest, body io.Reader) error {
	want := ""
	var extra hash.Hash
	if d.Algorithm == "sha256" {
		want = d.Hex
	} else {
		extra = d.NewHash()
		body = io.TeeReader(body, extra)
	}
	st, err := h.env.Pipeline.Blobs.Stage(ctx, body, want)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return oerr(http.StatusBadRequest, "DIGEST_INVALID", fmt.Errorf("the uploaded content does not match digest %s", d))
		}
		return err
	}
	defer st.Discard()
	if extra != nil && hex.EncodeToString(extra.Sum(nil)) != d.Hex {
		return oerr(http.StatusBadRequest, "DIGEST_INVALID", fmt.Errorf("the uploaded content does not match digest %s", d))
	}
	if err := h.checkRoom(ctx, rt.Org, st.Info().Size); err != nil {
		return err
	}
	return h.commitAndLink(ctx, p, rt, d, st)
}

// checkRoom refuses (413, ecosystems.QuotaError) a blob of n bytes that
// cannot fit org's storage limit: the manifest that references it would
// be refused anyway, so the bytes are not kept. The manifest push
// charges the storage; this is only the early check.
func (h *handler) checkRoom(ctx context.Context, org string, n int64) error {
	return h.env.Pipeline.Index.View(ctx, func(tx store.Tx) error {
		return h.env.Pipeline.CheckStorage(tx, org, n)
	})
}

func (h *handler) commitAndLink(ctx context.Context, p ecosystems.Principal, rt Route, d Digest, st store.Staged) error {
	h.uploads.commit.RLock()
	defer h.uploads.commit.RUnlock()
	if err := st.Commit(); err != nil {
		return err
	}
	return h.linkBlob(ctx, p, rt.key(), d, st.Info())
}

// upload serves GET (status), PATCH (chunk), PUT (finish) and DELETE
// (cancel) of /v2/{name}/blobs/uploads/{id}.
func (h *handler) upload(w http.ResponseWriter, r *http.Request, rt Route) {
	if !h.needsMethod(w, r, rt, http.MethodGet, http.MethodPatch, http.MethodPut, http.MethodDelete) {
		return
	}
	p, err := h.caller(r, ecosystems.Write, rt)
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	s, err := h.uploads.get(rt.Ref, rt.key())
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		h.fail(w, r, rt, fmt.Errorf("upload %s: %w", s.id, store.ErrNotFound))
		return
	}
	switch r.Method {
	case http.MethodGet:
		h.sessionHeaders(w, rt, s)
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodDelete:
		h.uploads.end(s)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var d Digest
	if r.Method == http.MethodPut {
		if d, err = ParseDigest(r.URL.Query().Get("digest")); err != nil {
			h.fail(w, r, rt, err)
			return
		}
	}
	// A blob that cannot fit the org's storage is refused as soon as its
	// size is known, and its bytes are dropped with the session.
	if r.ContentLength > 0 {
		if err := h.checkRoom(r.Context(), rt.Org, s.size+r.ContentLength); err != nil {
			h.uploads.end(s)
			h.fail(w, r, rt, err)
			return
		}
	}
	if err := h.appendChunk(r, s); err != nil {
		if errors.Is(err, ErrRangeInvalid) {
			h.sessionHeaders(w, rt, s)
		}
		h.fail(w, r, rt, err)
		return
	}
	if r.Method == http.MethodPatch {
		if err := h.checkRoom(r.Context(), rt.Org, s.size); err != nil {
			h.uploads.end(s)
			h.fail(w, r, rt, err)
			return
		}
		h.sessionHeaders(w, rt, s)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	err = h.finish(r.Context(), p, rt, s, d)
	h.uploads.end(s)
	if err != nil {
		h.fail(w, r, rt, err)
		return
	}
	blobCreated(w, rt, d)
}

// appendChunk appends the request body, checking Content-Range when
// given: a chunk must start where the session ends (else 416).
func (h *handler) appendChunk(r *http.Request, s *session) error {
	cr := r.Header.Get("Content-Range")
	if cr == "" {
		if r.Body == nil || r.Body == http.NoBody {
			return nil
		}
		_, err := s.append(r.Body)
		return err
	}
	start, end, err := ParseContentRange(cr)
	if err != nil {
		return err
	}
	if start != s.size {
		return fmt.Errorf("%w: chunk starts at %d but the upload has %d bytes", ErrRangeInvalid, start, s.size)
	}
	if r.ContentLength >= 0 && r.ContentLength != end-start+1 {
		return fmt.Errorf("%w: Content-Range %d-%d does not match Content-Length %d", ErrRangeInvalid, start, end, r.ContentLength)
	}
	state, _ := s.h.(encoding.BinaryMarshaler).MarshalBinary()
	before := s.size
	n, err := s.append(io.LimitReader(r.Body, end-start+2))
	if err != nil {
		return err
	}
	if n != end-start+1 {
		_ = os.Truncate(s.path, before)
		s.size = before
		_ = s.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state)
		return fmt.Errorf("%w: chunk has %d bytes, Content-Range says %d", ErrRangeInvalid, n, end-start+1)
	}
	return nil
}

// finish verifies the session's bytes against d, commits and links them.
func (h *handler) finish(ctx context.Context, p ecosystems.Principal, rt Route, s *session, d Digest) error {
	sum := hex.EncodeToString(s.h.Sum(nil))
	got := sum
	if d.Algorithm != "sha256" {
		f, err := os.Open(s.path)
		if err != nil {
			return fmt.Errorf("open upload: %w", err)
		}
		hh := d.NewHash()
		_, err = io.Copy(hh, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("read upload: %w", err)
		}
		got = hex.EncodeToString(hh.Sum(nil))
	}
	if got != d.Hex {
		return oerr(http.StatusBadRequest, "DIGEST_INVALID", fmt.Errorf("the uploaded content does not match digest %s", d))
	}
	if err := h.checkRoom(ctx, rt.Org, s.size); err != nil {
		return err
	}
	info := store.BlobInfo{SHA256: sum, Size: s.size}
	var st store.Staged
	var err error
	if ta, ok := h.env.Pipeline.Blobs.(store.TempAdopter); ok {
		st, err = ta.Adopt(s.path, info)
	} else {
		var f *os.File
		if f, err = os.Open(s.path); err == nil {
			st, err = h.env.Pipeline.Blobs.Stage(ctx, f, sum)
			f.Close()
		}
	}
	if err != nil {
		return err
	}
	defer st.Discard()
	return h.commitAndLink(ctx, p, rt, d, st)
}

// findReadableLink looks for d in the repositories of org that p may
// read (a mount without a source repository), preferring those the
// request's registry token covers, and returns the link and the
// repository's name.
func findReadableLink(ctx context.Context, tx store.Tx, p ecosystems.Principal, org string, d Digest) (link, string, error) {
	a, err := auxOf(tx)
	if err != nil {
		return link{}, "", err
	}
	pfx := "l/" + org + "/"
	suffix := "@" + d.String()
	var found, fallback *link
	var foundName, fallbackName string
	errFound := errors.New("found")
	err = a.AuxScan(auxNS, pfx, func(key string, val []byte) error {
		if !strings.HasSuffix(key, suffix) {
			return nil
		}
		name := strings.TrimSuffix(strings.TrimPrefix(key, pfx), suffix)
		k := store.PackageKey{Ecosystem: ecosystems.Docker, Org: org, Name: name}
		if ecosystems.Authorize(tx, p, ecosystems.Read, k) != nil {
			return nil
		}
		var l link
		if json.Unmarshal(val, &l) != nil {
			return nil
		}
		if scopeAllows(ctx, "pull", org+"/"+name) {
			found, foundName = &l, org+"/"+name
			return errFound
		}
		if fallback == nil {
			fallback, fallbackName = &l, org+"/"+name
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return link{}, "", err
	}
	if found != nil {
		return *found, foundName, nil
	}
	if fallback != nil {
		return *fallback, fallbackName, nil
	}
	return link{}, "", fmt.Errorf("blob %s: %w", d, store.ErrNotFound)
}
