// Package store defines drok's storage contracts and domain types.
//
// Metadata lives behind Index (transactional, small sub-interfaces per
// aggregate); bytes live behind Blobs (content-addressed by sha256). The
// package knows nothing about HTTP or package protocols.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"
)

// Sentinel errors shared by every store implementation. Callers test them
// with errors.Is.
var (
	// ErrNotFound reports a missing record or blob.
	ErrNotFound = errors.New("not found")
	// ErrConflict reports a record that already exists and may not be replaced.
	ErrConflict = errors.New("already exists")
	// ErrTombstoned reports a version (or file) that was deleted and whose
	// coordinate can never be reused. It wraps ErrConflict.
	ErrTombstoned = wrapErr("deleted and cannot be reused", ErrConflict)
	// ErrInvalid reports input that fails validation.
	ErrInvalid = errors.New("invalid")
	// ErrQuota reports an operation that would exceed a plan limit.
	ErrQuota = errors.New("quota exceeded")
	// ErrIncomplete reports data that could not be read from its source
	// (a client that stopped sending, a broken connection).
	ErrIncomplete = errors.New("upload incomplete")
	// ErrLocked reports a data directory held by another process.
	ErrLocked = errors.New("data directory is locked by another process")
)

type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

func wrapErr(msg string, err error) error { return &wrapped{msg: msg, err: err} }

// Role is a user's role in an organisation.
type Role string

// Organisation roles.
const (
	RoleOwner  Role = "owner"
	RoleMember Role = "member"
)

// Permission is a collaborator's permission on a repository.
type Permission string

// Repository permissions, in increasing order of power.
const (
	PermRead  Permission = "read"
	PermWrite Permission = "write"
	PermAdmin Permission = "admin"
)

// Rank orders permissions: read < write < admin; unknown is 0.
func (p Permission) Rank() int {
	switch p {
	case PermRead:
		return 1
	case PermWrite:
		return 2
	case PermAdmin:
		return 3
	}
	return 0
}

// Visibility of a repository (and of the packages linked to it).
type Visibility string

// Repository visibilities.
const (
	Private  Visibility = "private"
	Internal Visibility = "internal"
	Public   Visibility = "public"
)

// Valid reports whether v is one of the known visibilities.
func (v Visibility) Valid() bool { return v == Private || v == Internal || v == Public }

// Token scopes.
const (
	ScopeRead  = "package:read"
	ScopeWrite = "package:write"
	ScopeAdmin = "admin"
)

// User is an account on the server.
type User struct {
	Name    string    `json:"name"`
	Admin   bool      `json:"admin"`
	Created time.Time `json:"created"`
}

// Token is a personal access token. Only the sha256 of the secret is stored.
type Token struct {
	ID       string    `json:"id"`
	User     string    `json:"user"`
	Name     string    `json:"name"`
	Scopes   []string  `json:"scopes"`
	Hash     []byte    `json:"hash"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`
	LastUsed time.Time `json:"last_used,omitzero"`
	Revoked  time.Time `json:"revoked,omitzero"`
}

// Org is an organisation: the owner of repositories and packages.
type Org struct {
	Name     string          `json:"name"`
	Created  time.Time       `json:"created"`
	Members  map[string]Role `json:"members"`
	Settings OrgSettings     `json:"settings"`
}

// OrgSettings holds per-organisation policy. Later features (plans,
// vulnerability blocking, immutable tags) add fields here.
type OrgSettings struct {
	// Plan names the org's plan ("free", "pro", ...); empty means the daemon default.
	Plan string `json:"plan,omitempty"`
	// ImmutableTags makes every OCI tag immutable once pushed (release
	// tags such as v1.2.3 always are).
	ImmutableTags bool `json:"immutable_tags,omitempty"`
	// MaxSnapshots caps how many timestamped builds of each Maven SNAPSHOT
	// version are kept (older builds leave the version); 0 keeps all.
	MaxSnapshots int `json:"max_snapshots,omitempty"`
	// StorageLimit and BandwidthLimit override the plan's limits in bytes
	// (enterprise plans); 0 takes the plan's.
	StorageLimit   int64 `json:"storage_limit,omitempty"`
	BandwidthLimit int64 `json:"bandwidth_limit,omitempty"`
	// BandwidthWarnOnly serves downloads over the monthly bandwidth limit
	// with a warning instead of refusing them.
	BandwidthWarnOnly bool `json:"bandwidth_warn_only,omitempty"`
	// BlockVulnerable refuses downloads of versions flagged by an advisory
	// of at least BlockSeverity ("" = any severity).
	BlockVulnerable bool   `json:"block_vulnerable,omitempty"`
	BlockSeverity   string `json:"block_severity,omitempty"`
}

// Repo is a repository inside an organisation.
type Repo struct {
	Org           string                `json:"org"`
	Name          string                `json:"name"`
	Visibility    Visibility            `json:"visibility"`
	Description   string                `json:"description,omitempty"`
	Collaborators map[string]Permission `json:"collaborators"`
	Created       time.Time             `json:"created"`
}

// PackageKey identifies a package: ecosystem, org and the ecosystem's
// canonical (normalised) name.
type PackageKey struct {
	Ecosystem string `json:"ecosystem"`
	Org       string `json:"org"`
	Name      string `json:"name"`
}

// Package is one package of one ecosystem in one org.
type Package struct {
	PackageKey
	// DisplayName is the name as first published (may differ in case or
	// punctuation from the canonical Name).
	DisplayName string `json:"display_name,omitempty"`
	// Repo is the linked repository in the same org, or "" when unlinked.
	Repo    string    `json:"repo,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Tags maps tag names (npm dist-tags, OCI tags) to versions.
	Tags map[string]string `json:"tags,omitempty"`
	// Meta is ecosystem-specific package-level metadata (npm: readme, etc.).
	Meta json.RawMessage `json:"meta,omitempty"`
	// Rev increases on every change to the package or one of its versions.
	Rev int64 `json:"rev"`
	// Downloads counts downloads of all versions (flushed periodically).
	Downloads int64 `json:"downloads"`
}

// File is one stored file of a version.
type File struct {
	Name        string            `json:"name"`
	SHA256      string            `json:"sha256"`
	Size        int64             `json:"size"`
	ContentType string            `json:"content_type,omitempty"`
	Hashes      map[string]string `json:"hashes,omitempty"` // e.g. sha1, sha512 (hex)
	Uploaded    time.Time         `json:"uploaded"`
}

// Version is one immutable version of a package. A deleted version stays as
// a tombstone (Deleted set) so its number can never be reused.
type Version struct {
	PackageKey
	Version    string          `json:"version"`
	Published  time.Time       `json:"published"`
	Publisher  string          `json:"publisher,omitempty"`
	Files      []File          `json:"files"`
	Meta       json.RawMessage `json:"meta,omitempty"`
	Yanked     bool            `json:"yanked,omitempty"`
	YankReason string          `json:"yank_reason,omitempty"`
	Deleted    time.Time       `json:"deleted,omitzero"`
	Downloads  int64           `json:"downloads"`
	// ExtraSize is storage the version owns besides its Files (OCI: the
	// blobs its manifest references); it counts toward the org's quota.
	ExtraSize int64 `json:"extra_size,omitempty"`
	// Advisories lists the security advisories that affect this version,
	// matched at publish time and whenever advisories change.
	Advisories []AdvisoryRef `json:"advisories,omitempty"`
}

// AdvisoryRef is one advisory matched against a version.
type AdvisoryRef struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases,omitempty"`
	Summary  string   `json:"summary,omitempty"`
	Severity string   `json:"severity"` // low, moderate, high, critical or unknown
	Fixed    []string `json:"fixed,omitempty"`
}

// Size is the storage v counts toward its org's quota.
func (v Version) Size() int64 {
	n := v.ExtraSize
	for _, f := range v.Files {
		n += f.Size
	}
	return n
}

// IsDeleted reports whether v is a tombstone.
func (v Version) IsDeleted() bool { return !v.Deleted.IsZero() }

// File returns the file with the given name.
func (v Version) File(name string) (File, bool) {
	for _, f := range v.Files {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// Event is a package event written to the webhook outbox in the same
// transaction as the change that caused it.
type Event struct {
	Seq        uint64    `json:"seq"`
	Type       string    `json:"type"` // package:published, package:yanked, ...
	Ecosystem  string    `json:"ecosystem"`
	Org        string    `json:"org"`
	Repository string    `json:"repository,omitempty"`
	Package    string    `json:"package"`
	Version    string    `json:"version,omitempty"`
	Actor      string    `json:"actor,omitempty"`
	Time       time.Time `json:"timestamp"`
	// Advisories names the advisory ids of a package:vulnerable event.
	Advisories []string `json:"advisories,omitempty"`
}

// Event types.
const (
	EventPublished = "package:published"
	EventYanked    = "package:yanked"
	EventUnyanked  = "package:unyanked"
	EventDeleted   = "package:deleted"
	// EventVulnerable is written when an advisory starts to affect a version.
	EventVulnerable = "package:vulnerable"
)

// PackageFilter selects packages in Packages. Empty fields match all.
type PackageFilter struct {
	Ecosystem string
	Org       string
	Repo      string
}

// Index is the transactional metadata store. fn runs inside one
// transaction; Update commits only when fn returns nil.
type Index interface {
	View(ctx context.Context, fn func(Tx) error) error
	Update(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Generational is implemented by indexes that count write transactions
// in this process. A value read before a computation and still current
// after it proves that no write happened in between, so in-memory caches
// of derived data (authenticated tokens, access decisions) can be
// validated with one atomic load. Only valid while this process is the
// index's only writer (drok serve holds the lock).
type Generational interface {
	Generation() uint64
	// UpdateQuiet is Update for writes that change only counters no cache
	// derives from (download counts, token last-used times); it does not
	// move the generation.
	UpdateQuiet(ctx context.Context, fn func(Tx) error) error
}

// UpdateCounters runs fn as a quiet update when idx supports it, else as
// an ordinary Update.
func UpdateCounters(ctx context.Context, idx Index, fn func(Tx) error) error {
	if g, ok := idx.(Generational); ok {
		return g.UpdateQuiet(ctx, fn)
	}
	return idx.Update(ctx, fn)
}

// Tx is the set of operations available inside one transaction.
type Tx interface {
	Accounts
	Orgs
	Packages
	Outbox
}

// Accounts stores users and tokens.
type Accounts interface {
	User(name string) (User, error)
	PutUser(User) error
	Users() ([]User, error)
	Token(id string) (Token, error)
	TokenByHash(hash []byte) (Token, error)
	PutToken(Token) error
	Tokens(user string) ([]Token, error)
}

// Orgs stores organisations and repositories.
type Orgs interface {
	Org(name string) (Org, error)
	PutOrg(Org) error
	OrgList() ([]Org, error)
	Repo(org, name string) (Repo, error)
	PutRepo(Repo) error
	Repos(org string) ([]Repo, error)
}

// Packages stores packages and versions. PutVersion never refuses by
// itself; immutability is enforced by the publish pipeline, which reads
// the existing version in the same transaction.
type Packages interface {
	Package(k PackageKey) (Package, error)
	PutPackage(Package) error
	PackageList(PackageFilter) ([]Package, error)
	Version(k PackageKey, version string) (Version, error)
	PutVersion(Version) error
	// Versions returns every version of k, tombstones included, in
	// publication order.
	Versions(k PackageKey) ([]Version, error)
}

// Outbox is the durable queue of package events.
type Outbox interface {
	// AppendEvent assigns e.Seq and stores it.
	AppendEvent(e Event) (uint64, error)
	// EventsAfter returns up to limit events with Seq > seq.
	EventsAfter(seq uint64, limit int) ([]Event, error)
	// PruneEvents deletes the oldest events, in Seq order, while their
	// Seq is at most upTo and their Time is before before; it returns how
	// many it deleted. Sequence numbers are never reused.
	PruneEvents(upTo uint64, before time.Time) (int, error)
}

// BlobInfo describes a stored blob.
type BlobInfo struct {
	SHA256  string
	Size    int64
	ModTime time.Time
}

// BlobReader is an open blob, seekable so it can be served with Range.
type BlobReader interface {
	io.ReadSeekCloser
}

// Staged is a fully received, hashed blob that is not yet visible in the
// store. Exactly one of Commit or Discard must be called.
type Staged interface {
	// Info describes the staged bytes.
	Info() BlobInfo
	// Commit makes the blob readable under its sha256 (a no-op when the
	// same bytes are already stored).
	Commit() error
	// Discard removes the staged bytes; safe to call after Commit.
	Discard()
}

// Blobs is the content-addressed byte store, keyed by lower-case sha256 hex.
type Blobs interface {
	// Stage streams r to a temporary file while hashing it. Nothing is
	// visible until Commit, so callers validate first and commit only what
	// they accept. When wantSHA256 is non-empty and differs, nothing is kept
	// and an error wrapping ErrInvalid is returned.
	Stage(ctx context.Context, r io.Reader, wantSHA256 string) (Staged, error)
	// Put is Stage followed by Commit.
	Put(ctx context.Context, r io.Reader, wantSHA256 string) (BlobInfo, error)
	// Open opens a blob for reading.
	Open(sha256 string) (BlobReader, BlobInfo, error)
	// Stat reports a blob's size without opening it.
	Stat(sha256 string) (BlobInfo, error)
	// Delete removes a blob; deleting a missing blob is not an error.
	Delete(sha256 string) error
	// Walk calls fn for every stored blob.
	Walk(fn func(BlobInfo) error) error
}
