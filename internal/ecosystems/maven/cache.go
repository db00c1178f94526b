package maven

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strconv"
	"sync"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// stateCacheEntries bounds the number of packages kept rendered.
const stateCacheEntries = 4096

// doc is a rendered metadata document with its checksums.
type doc struct {
	body []byte
	sums map[string]string
	etag string
	// gz is the gzip-compressed body (nil when not worth it); Maven's
	// HTTP client asks for gzip.
	gz     []byte
	gzEtag string
	// Pre-built header values.
	etagHdr, lengthHdr, gzEtagHdr, gzLengthHdr []string
}

func newDoc(body []byte, rev int64, tag string) *doc {
	etag := `"mvn-` + tag + "-" + strconv.FormatInt(rev, 10) + `"`
	d := &doc{body: body, sums: digests(body), etag: etag, etagHdr: []string{etag}, lengthHdr: []string{strconv.Itoa(len(body))}}
	if len(body) > 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		if zw.Close() == nil && buf.Len() < len(body) {
			d.gz = buf.Bytes()
			d.gzEtag = etag[:len(etag)-1] + `-gz"`
			d.gzEtagHdr = []string{d.gzEtag}
			d.gzLengthHdr = []string{strconv.Itoa(len(d.gz))}
		}
	}
	return d
}

// newHashes returns the checksum hashes served besides sha256.
func newHashes() map[string]hash.Hash {
	return map[string]hash.Hash{"md5": md5.New(), "sha1": sha1.New(), "sha256": sha256.New(), "sha512": sha512.New()}
}

func digests(b []byte) map[string]string {
	out := map[string]string{}
	for algo, h := range newHashes() {
		h.Write(b)
		out[algo] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// pkgState is one package as rendered at one revision; immutable.
type pkgState struct {
	rev      int64
	versions map[string]store.Version // live versions, yanked included
	artifact *doc
	snapshot map[string]*doc
}

func buildState(group, artifact string, r ecosystems.Resolved) *pkgState {
	st := &pkgState{rev: r.Package.Rev, versions: map[string]store.Version{}, snapshot: map[string]*doc{}}
	var listed []string
	for _, v := range r.Live() {
		st.versions[v.Version] = v
		if !v.Yanked && !r.Blocked(v) { // blocked versions are left out like yanked ones
			listed = append(listed, v.Version)
		}
		if IsSnapshot(v.Version) {
			st.snapshot[v.Version] = newDoc(RenderSnapshotMetadata(group, artifact, v.Version, v.Files, r.Package.Updated), st.rev, "s")
		}
	}
	st.artifact = newDoc(RenderArtifactMetadata(group, artifact, listed, r.Package.Updated), st.rev, "a")
	return st
}

// stateCache keeps the newest pkgState of recently read packages. Entries
// are validated by the caller against the package revision returned by
// the access check, so they never need invalidation.
type stateCache struct {
	mu  sync.RWMutex
	max int
	m   map[store.PackageKey]*pkgState
}

func newStateCache(max int) *stateCache {
	return &stateCache{max: max, m: map[store.PackageKey]*pkgState{}}
}

func (c *stateCache) get(k store.PackageKey, rev int64) *pkgState {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if st, ok := c.m[k]; ok && st.rev == rev {
		return st
	}
	return nil
}

func (c *stateCache) put(k store.PackageKey, st *pkgState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[k]; ok && old.rev > st.rev {
		return
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for victim := range c.m { // random eviction
			delete(c.m, victim)
			break
		}
	}
	c.m[k] = st
}
