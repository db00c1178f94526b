package client

import (
	"encoding/json"
	"time"
)

// Health is the answer of GET /api/v1/health.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// User is an account.
type User struct {
	Name    string    `json:"name"`
	Admin   bool      `json:"admin"`
	Created time.Time `json:"created"`
}

// Whoami is the answer of GET /api/v1/user: the caller and the token used.
type Whoami struct {
	User  User  `json:"user"`
	Token Token `json:"token"`
}

// Token describes a personal access token. Secret is only set in the
// answer to a create call: it is shown once and never stored.
type Token struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	User     string    `json:"user"`
	Scopes   []string  `json:"scopes"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`
	LastUsed time.Time `json:"last_used,omitzero"`
	Revoked  time.Time `json:"revoked,omitzero"`
	Secret   string    `json:"token,omitempty"`
}

// CreateToken is the body of POST /api/v1/tokens.
type CreateToken struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	// ExpiresIn is a duration such as "30d", "12h"; empty never expires.
	ExpiresIn string `json:"expires_in,omitempty"`
}

// CreateUser is the body of POST /api/v1/users.
type CreateUser struct {
	Name  string `json:"name"`
	Admin bool   `json:"admin"`
}

// CreatedUser is the answer to POST /api/v1/users: the user and a first
// token (package:read, package:write) for them.
type CreatedUser struct {
	User  User  `json:"user"`
	Token Token `json:"token"`
}

// Member is a member of an organisation.
type Member struct {
	User string `json:"user"`
	Role string `json:"role"`
}

// Org is an organisation.
type Org struct {
	Name     string      `json:"name"`
	Created  time.Time   `json:"created"`
	Members  []Member    `json:"members"`
	Settings OrgSettings `json:"settings"`
	Repos    int         `json:"repos"`
	Packages int         `json:"packages"`
	// Usage is storage and this month's bandwidth against the plan.
	Usage *OrgUsage `json:"usage,omitempty"`
}

// OrgSettings are an organisation's editable settings.
type OrgSettings struct {
	Plan string `json:"plan,omitempty"`
	// ImmutableTags makes every container image tag immutable once pushed
	// (nil: unchanged in an edit).
	ImmutableTags *bool `json:"immutable_tags,omitempty"`
	// MaxSnapshots caps the timestamped builds kept per Maven SNAPSHOT
	// version (0 = keep all; nil in an edit = unchanged).
	MaxSnapshots *int `json:"max_snapshots,omitempty"`
	// StorageLimit and BandwidthLimit are custom limits in bytes
	// (enterprise plan only; 0 in an edit goes back to the plan's).
	StorageLimit   *int64 `json:"storage_limit,omitempty"`
	BandwidthLimit *int64 `json:"bandwidth_limit,omitempty"`
	// BandwidthWarnOnly serves downloads over the bandwidth limit with a
	// warning instead of refusing them.
	BandwidthWarnOnly *bool `json:"bandwidth_warn_only,omitempty"`
	// BlockVulnerable refuses downloads of versions flagged by advisories
	// of at least BlockSeverity (low, moderate, high, critical; "" = any).
	BlockVulnerable *bool   `json:"block_vulnerable,omitempty"`
	BlockSeverity   *string `json:"block_severity,omitempty"`
}

// Collaborator is a user with a permission on a repository.
type Collaborator struct {
	User       string `json:"user"`
	Permission string `json:"permission"`
}

// Repo is a repository.
type Repo struct {
	Org           string         `json:"org"`
	Name          string         `json:"name"`
	Visibility    string         `json:"visibility"`
	Description   string         `json:"description,omitempty"`
	Collaborators []Collaborator `json:"collaborators"`
	Created       time.Time      `json:"created"`
}

// RepoEdit is the body of POST /api/v1/orgs/{org}/repos and PATCH
// /api/v1/repos/{org}/{repo}; nil fields are left unchanged.
type RepoEdit struct {
	Name        string  `json:"name,omitempty"`
	Visibility  *string `json:"visibility,omitempty"`
	Description *string `json:"description,omitempty"`
}

// File is one file of a version.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Version is one version of a package.
type Version struct {
	Version    string    `json:"version"`
	Published  time.Time `json:"published"`
	Publisher  string    `json:"publisher,omitempty"`
	Yanked     bool      `json:"yanked"`
	YankReason string    `json:"yank_reason,omitempty"`
	Deleted    bool      `json:"deleted"`
	Downloads  int64     `json:"downloads"`
	Files      []File    `json:"files"`
	// Advisories are the security advisories affecting this version.
	Advisories []AdvisoryRef `json:"advisories,omitempty"`
}

// AdvisoryRef is one advisory matched against a version.
type AdvisoryRef struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases,omitempty"`
	Summary  string   `json:"summary,omitempty"`
	Severity string   `json:"severity"`
	Fixed    []string `json:"fixed,omitempty"`
}

// AuditEntry is one flagged version in an audit report
// (GET /api/v1/orgs/{org}/audit).
type AuditEntry struct {
	Ecosystem  string        `json:"ecosystem"`
	Package    string        `json:"package"`
	Version    string        `json:"version"`
	Yanked     bool          `json:"yanked,omitempty"`
	Blocked    bool          `json:"blocked"`
	Advisories []AdvisoryRef `json:"advisories"`
}

// Advisory summarises one stored OSV record (GET /api/v1/advisories).
type Advisory struct {
	ID        string    `json:"id"`
	Aliases   []string  `json:"aliases,omitempty"`
	Summary   string    `json:"summary,omitempty"`
	Modified  time.Time `json:"modified"`
	Withdrawn bool      `json:"withdrawn,omitempty"`
	// Packages are "ecosystem/name" pairs in drok's ecosystem names.
	Packages []string `json:"packages"`
}

// AdvisoryImport is the body of POST /api/v1/advisories: OSV records to
// store (replacing same ids) and ids to remove.
type AdvisoryImport struct {
	Advisories []json.RawMessage `json:"advisories"`
	Remove     []string          `json:"remove,omitempty"`
}

// AdvisoryImportResult reports what an import changed.
type AdvisoryImportResult struct {
	Imported  int `json:"imported"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Removed   int `json:"removed"`
	Flagged   int `json:"flagged_versions"`
	Cleared   int `json:"cleared_versions"`
	Ignored   int `json:"ignored"`
}

// OrgUsage is an organisation's consumption against its plan's limits.
type OrgUsage struct {
	Plan           string    `json:"plan"`
	StorageUsed    int64     `json:"storage_used"`
	StorageLimit   int64     `json:"storage_limit"`
	BandwidthUsed  int64     `json:"bandwidth_used"`
	BandwidthLimit int64     `json:"bandwidth_limit"`
	Month          string    `json:"month"`
	Reset          time.Time `json:"bandwidth_reset"`
}

// CheckReport is one organisation's storage counter against a recount
// (POST /api/v1/admin/check).
type CheckReport struct {
	Org      string `json:"org"`
	Recorded int64  `json:"recorded"`
	Counted  int64  `json:"counted"`
	OK       bool   `json:"ok"`
	Repaired bool   `json:"repaired,omitempty"`
}

// Package is the drok view of a package (GET /api/v1/packages/{eco}/{org}/{name};
// for npm the same object is the "drok" key of the packument).
type Package struct {
	Ecosystem   string            `json:"ecosystem"`
	Org         string            `json:"org"`
	Name        string            `json:"name"`
	DisplayName string            `json:"display_name,omitempty"`
	Repository  string            `json:"repository,omitempty"`
	Visibility  string            `json:"visibility"`
	Created     time.Time         `json:"created"`
	Updated     time.Time         `json:"updated"`
	Downloads   int64             `json:"downloads"`
	Tags        map[string]string `json:"tags,omitempty"`
	Latest      string            `json:"latest,omitempty"`
	Versions    []Version         `json:"versions,omitempty"`
}

// YankRequest is the body of POST /api/v1/orgs/{org}/packages/{eco}/yank.
type YankRequest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Yank    bool   `json:"yank"`
	Reason  string `json:"reason,omitempty"`
}

// LinkRequest is the body of POST /api/v1/orgs/{org}/packages/{eco}/link;
// an empty Repo unlinks.
type LinkRequest struct {
	Name string `json:"name"`
	Repo string `json:"repo"`
}

// Published is the answer of a publish through the REST API.
type Published struct {
	Ecosystem string `json:"ecosystem"`
	Org       string `json:"org"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	Files     []File `json:"files"`
	Retried   bool   `json:"retried,omitempty"`
}

// Error is the REST API's error body.
type Error struct {
	Message string `json:"error"`
}

// GCRequest asks for a garbage collection run.
type GCRequest struct {
	// Grace is the minimum age of what is removed (e.g. "1h"); empty for
	// the daemon's default.
	Grace  string `json:"grace,omitempty"`
	DryRun bool   `json:"dry_run,omitempty"`
}

// GCResult reports what a garbage collection removed.
type GCResult struct {
	BlobsDeleted   int   `json:"blobs_deleted"`
	BytesFreed     int64 `json:"bytes_freed"`
	BlobsKept      int   `json:"blobs_kept"`
	RecordsDropped int   `json:"records_dropped"`
	UploadsExpired int   `json:"uploads_expired"`
	DryRun         bool  `json:"dry_run,omitempty"`
}

// Hook is a webhook of an organisation (Repository empty) or of a
// repository. Secret is only set in the answer to a create call.
type Hook struct {
	ID         string    `json:"id"`
	Org        string    `json:"org"`
	Repository string    `json:"repository,omitempty"`
	URL        string    `json:"url"`
	Events     []string  `json:"events"`
	Creator    string    `json:"creator,omitempty"`
	Created    time.Time `json:"created"`
	Secret     string    `json:"secret,omitempty"`
}

// CreateHook is the body of POST /api/v1/orgs/{org}/hooks and POST
// /api/v1/repos/{org}/{repo}/hooks. Empty Events subscribes to every
// event; an empty Secret makes the server generate one.
type CreateHook struct {
	URL    string   `json:"url"`
	Events []string `json:"events,omitempty"`
	Secret string   `json:"secret,omitempty"`
}

// Delivery is one entry of a webhook's delivery log.
type Delivery struct {
	ID              string    `json:"id"`
	HookID          string    `json:"hook_id"`
	Event           string    `json:"event"`
	Package         string    `json:"package,omitempty"`
	Version         string    `json:"version,omitempty"`
	Status          string    `json:"status"`
	Attempts        int       `json:"attempts"`
	ResponseCode    int       `json:"response_code,omitempty"`
	ResponseExcerpt string    `json:"response_excerpt,omitempty"`
	Error           string    `json:"error,omitempty"`
	Created         time.Time `json:"created"`
	LastAttempt     time.Time `json:"last_attempt,omitzero"`
	NextAttempt     time.Time `json:"next_attempt,omitzero"`
}
