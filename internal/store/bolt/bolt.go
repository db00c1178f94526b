// Package bolt implements store.Index on a bbolt database file.
//
// Records are JSON values in one bucket per aggregate; composite keys join
// their parts with a NUL byte, which no validated name may contain.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/drok-dev/drok/internal/store"
)

// Bucket names.
const (
	bucketMeta       = "meta"
	bucketUsers      = "users"
	bucketTokens     = "tokens"
	bucketTokenHash  = "token_hash"
	bucketOrgs       = "orgs"
	bucketRepos      = "repos"
	bucketPackages   = "packages"
	bucketVersions   = "versions"
	bucketVersionIdx = "version_idx"
	bucketOutbox     = "outbox"
	keySchemaVersion = "schema_version"
)

var allBuckets = []string{bucketMeta, bucketUsers, bucketTokens, bucketTokenHash, bucketOrgs, bucketRepos, bucketPackages, bucketVersions, bucketVersionIdx, bucketOutbox}

// SchemaVersion is the current on-disk schema version.
const SchemaVersion = 1

// migrations[i] upgrades schema version i+1 to i+2. Run in order on open.
var migrations []func(*bolt.Tx) error

// Index is a bbolt-backed store.Index.
type Index struct {
	db  *bolt.DB
	gen atomic.Uint64
}

// Open opens (creating if needed) the bbolt file at path. When another
// process holds the file it fails within lockTimeout with store.ErrLocked.
func Open(path string, lockTimeout time.Duration) (*Index, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open index %s: %w", path, store.ErrLocked)
		}
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		fresh := tx.Bucket([]byte(bucketMeta)) == nil
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		meta := tx.Bucket([]byte(bucketMeta))
		if fresh {
			return meta.Put([]byte(keySchemaVersion), u64(SchemaVersion))
		}
		raw := meta.Get([]byte(keySchemaVersion))
		if len(raw) != 8 {
			return fmt.Errorf("index has no valid schema version (damaged or not a drok index)")
		}
		v := binary.BigEndian.Uint64(raw)
		if v == 0 || v > SchemaVersion {
			return fmt.Errorf("index schema version %d is not one this drok knows (1..%d)", v, SchemaVersion)
		}
		for ; v < SchemaVersion; v++ {
			if err := migrations[v-1](tx); err != nil {
				return fmt.Errorf("migrate schema %d→%d: %w", v, v+1, err)
			}
		}
		return meta.Put([]byte(keySchemaVersion), u64(SchemaVersion))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise index %s: %w", path, err)
	}
	return &Index{db: db}, nil
}

// Path returns the database file path.
func (i *Index) Path() string { return i.db.Path() }

// Close closes the database.
func (i *Index) Close() error { return i.db.Close() }

// View runs fn in a read-only transaction.
func (i *Index) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return i.db.View(func(tx *bolt.Tx) error { return fn(&txn{tx: tx}) })
}

// Update runs fn in a read-write transaction, committed when fn returns nil.
// The generation moves before and after, so a cache entry computed before
// or during the write is never taken for current afterwards.
func (i *Index) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	i.gen.Add(1)
	defer i.gen.Add(1)
	return i.db.Update(func(tx *bolt.Tx) error { return fn(&txn{tx: tx}) })
}

// UpdateQuiet is Update without moving the generation. It is only for
// writes that change no data an in-memory cache derives from: download
// counters and token last-used times.
func (i *Index) UpdateQuiet(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return i.db.Update(func(tx *bolt.Tx) error { return fn(&txn{tx: tx}) })
}

// Generation implements store.Generational.
func (i *Index) Generation() uint64 { return i.gen.Load() }

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func key(parts ...string) []byte {
	var b bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(p)
	}
	return b.Bytes()
}

// prefix returns key(parts...) followed by the separator, for prefix scans.
func prefix(parts ...string) []byte { return append(key(parts...), 0) }

type txn struct{ tx *bolt.Tx }

func (t *txn) b(name string) *bolt.Bucket { return t.tx.Bucket([]byte(name)) }

func (t *txn) get(bucket string, k []byte, out any, what string) error {
	v := t.b(bucket).Get(k)
	if v == nil {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	if err := json.Unmarshal(v, out); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

func (t *txn) put(bucket string, k []byte, v any) error {
	if !t.tx.Writable() {
		return fmt.Errorf("write in a read-only transaction")
	}
	buf, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s record: %w", bucket, err)
	}
	return t.b(bucket).Put(k, buf)
}

func scan[T any](t *txn, bucket string, pfx []byte, keep func(T) bool) ([]T, error) {
	var out []T
	c := t.b(bucket).Cursor()
	for k, v := c.Seek(pfx); k != nil && bytes.HasPrefix(k, pfx); k, v = c.Next() {
		var rec T
		if err := json.Unmarshal(v, &rec); err != nil {
			return nil, fmt.Errorf("decode %s record %q: %w", bucket, k, err)
		}
		if keep == nil || keep(rec) {
			out = append(out, rec)
		}
	}
	return out, nil
}

func (t *txn) User(name string) (store.User, error) {
	var u store.User
	return u, t.get(bucketUsers, key(name), &u, "user "+name)
}

func (t *txn) PutUser(u store.User) error { return t.put(bucketUsers, key(u.Name), u) }

func (t *txn) Users() ([]store.User, error) { return scan[store.User](t, bucketUsers, nil, nil) }

func (t *txn) Token(id string) (store.Token, error) {
	var tok store.Token
	return tok, t.get(bucketTokens, key(id), &tok, "token "+id)
}

func (t *txn) TokenByHash(hash []byte) (store.Token, error) {
	id := t.b(bucketTokenHash).Get(hash)
	if id == nil {
		return store.Token{}, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	return t.Token(string(id))
}

func (t *txn) PutToken(tok store.Token) error {
	if len(tok.Hash) == 0 || tok.ID == "" {
		return fmt.Errorf("token record needs an id and a hash: %w", store.ErrInvalid)
	}
	if err := t.b(bucketTokenHash).Put(tok.Hash, []byte(tok.ID)); err != nil {
		return err
	}
	return t.put(bucketTokens, key(tok.ID), tok)
}

func (t *txn) Tokens(user string) ([]store.Token, error) {
	return scan(t, bucketTokens, nil, func(tok store.Token) bool { return user == "" || tok.User == user })
}

func (t *txn) Org(name string) (store.Org, error) {
	var o store.Org
	return o, t.get(bucketOrgs, key(name), &o, "organisation "+name)
}

func (t *txn) PutOrg(o store.Org) error { return t.put(bucketOrgs, key(o.Name), o) }

func (t *txn) OrgList() ([]store.Org, error) { return scan[store.Org](t, bucketOrgs, nil, nil) }

func (t *txn) Repo(org, name string) (store.Repo, error) {
	var r store.Repo
	return r, t.get(bucketRepos, key(org, name), &r, "repository "+org+"/"+name)
}

func (t *txn) PutRepo(r store.Repo) error { return t.put(bucketRepos, key(r.Org, r.Name), r) }

func (t *txn) Repos(org string) ([]store.Repo, error) {
	return scan[store.Repo](t, bucketRepos, prefix(org), nil)
}

func pkgKey(k store.PackageKey) []byte { return key(k.Ecosystem, k.Org, k.Name) }

func (t *txn) Package(k store.PackageKey) (store.Package, error) {
	var p store.Package
	return p, t.get(bucketPackages, pkgKey(k), &p, fmt.Sprintf("%s package %s/%s", k.Ecosystem, k.Org, k.Name))
}

func (t *txn) PutPackage(p store.Package) error {
	return t.put(bucketPackages, pkgKey(p.PackageKey), p)
}

func (t *txn) PackageList(f store.PackageFilter) ([]store.Package, error) {
	var pfx []byte
	if f.Ecosystem != "" {
		pfx = prefix(f.Ecosystem)
		if f.Org != "" {
			pfx = prefix(f.Ecosystem, f.Org)
		}
	}
	return scan(t, bucketPackages, pfx, func(p store.Package) bool {
		return (f.Org == "" || p.Org == f.Org) && (f.Repo == "" || p.Repo == f.Repo)
	})
}

// Versions are keyed eco\0org\0name\0<8-byte publish sequence> so a prefix
// scan returns them in publication order; bucketVersionIdx maps
// eco\0org\0name\0version to that key.
func (t *txn) versionSeqKey(k store.PackageKey, version string) []byte {
	return t.b(bucketVersionIdx).Get(key(k.Ecosystem, k.Org, k.Name, version))
}

func (t *txn) Version(k store.PackageKey, version string) (store.Version, error) {
	var v store.Version
	what := fmt.Sprintf("version %s of %s", version, k.Name)
	sk := t.versionSeqKey(k, version)
	if sk == nil {
		return v, fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return v, t.get(bucketVersions, sk, &v, what)
}

func (t *txn) PutVersion(v store.Version) error {
	sk := t.versionSeqKey(v.PackageKey, v.Version)
	if sk == nil {
		b := t.b(bucketVersions)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		sk = append(prefix(v.Ecosystem, v.Org, v.Name), u64(seq)...)
		if err := t.b(bucketVersionIdx).Put(key(v.Ecosystem, v.Org, v.Name, v.Version), sk); err != nil {
			return err
		}
	}
	return t.put(bucketVersions, sk, v)
}

func (t *txn) Versions(k store.PackageKey) ([]store.Version, error) {
	pfx := prefix(k.Ecosystem, k.Org, k.Name)
	var out []store.Version
	c := t.b(bucketVersions).Cursor()
	for ck, v := c.Seek(pfx); ck != nil && bytes.HasPrefix(ck, pfx); ck, v = c.Next() {
		var rec store.Version
		if err := json.Unmarshal(v, &rec); err != nil {
			return nil, fmt.Errorf("decode version record: %w", err)
		}
		out = append(out, rec)
	}
	return out, nil
}

func (t *txn) AppendEvent(e store.Event) (uint64, error) {
	b := t.b(bucketOutbox)
	seq, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	e.Seq = seq
	return seq, t.put(bucketOutbox, u64(seq), e)
}

func (t *txn) EventsAfter(seq uint64, limit int) ([]store.Event, error) {
	var out []store.Event
	c := t.b(bucketOutbox).Cursor()
	for k, v := c.Seek(u64(seq + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		var e store.Event
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("decode event: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// PruneEvents implements store.Outbox.
func (t *txn) PruneEvents(upTo uint64, before time.Time) (int, error) {
	c := t.b(bucketOutbox).Cursor()
	n := 0
	for k, v := c.First(); k != nil && binary.BigEndian.Uint64(k) <= upTo; k, v = c.First() {
		var e store.Event
		if err := json.Unmarshal(v, &e); err != nil {
			return n, fmt.Errorf("decode event: %w", err)
		}
		if !e.Time.Before(before) {
			break
		}
		if err := c.Delete(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Exists reports whether a bbolt file exists at path.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
