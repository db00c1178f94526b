package ecosystems

import (
	"errors"
	"fmt"

	"github.com/drok-dev/drok/internal/store"
)

// Action is what a principal wants to do with a package or repository.
type Action int

// Actions, in increasing order of power.
const (
	// Read: resolve metadata and download files.
	Read Action = iota
	// Write: publish, yank, tag, deprecate, delete versions.
	Write
	// Admin: link packages, change settings.
	Admin
)

func (a Action) scope() string {
	switch a {
	case Read:
		return store.ScopeRead
	case Write:
		return store.ScopeWrite
	}
	return store.ScopeAdmin
}

func (a Action) String() string {
	switch a {
	case Read:
		return "read"
	case Write:
		return "write"
	}
	return "admin"
}

// Access errors. ErrLoginRequired wraps store.ErrNotFound so handlers that
// do not challenge for credentials can treat it as an ordinary 404.
var (
	// ErrDenied: the target is visible to the principal but the action is not allowed (403).
	ErrDenied = errors.New("permission denied")
	// ErrLoginRequired: an anonymous caller asked for something it cannot see or do (401).
	ErrLoginRequired = fmt.Errorf("authentication required: %w", store.ErrNotFound)
)

// Authorize is the one access check every route uses: may p perform act on
// package k? k may name a package that does not exist yet (a first
// publish). It returns nil, an error wrapping store.ErrNotFound when the
// package (or org) is invisible to p, ErrLoginRequired for anonymous callers
// who would need to authenticate, or ErrDenied when p sees the package but
// may not perform act.
func Authorize(tx store.Tx, p Principal, act Action, k store.PackageKey) error {
	_, err := authorizeLoad(tx, p, act, k)
	return err
}

// authorizeLoad is Authorize that also returns the package record it
// read (zero when the package does not exist yet), so callers on hot
// paths decode it once.
func authorizeLoad(tx store.Tx, p Principal, act Action, k store.PackageKey) (store.Package, error) {
	pkg, err := tx.Package(k)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return pkg, fmt.Errorf("authorize: %w", err)
	}
	return pkg, authorizeIn(tx, p, act, k.Org, pkg.Repo, !exists)
}

// AuthorizeRepo checks act on repository org/repo itself (listing its
// packages, changing it). Same error contract as Authorize.
func AuthorizeRepo(tx store.Tx, p Principal, act Action, org, repo string) error {
	if _, err := tx.Repo(org, repo); err != nil {
		return hide(p, err)
	}
	return authorizeIn(tx, p, act, org, repo, false)
}

// AuthorizeOrg checks act on the organisation: Read for members, Write for
// members, Admin for owners (site admins may do everything).
func AuthorizeOrg(tx store.Tx, p Principal, act Action, org string) error {
	o, err := tx.Org(org)
	if err != nil {
		return hide(p, err)
	}
	if p.Anonymous() {
		return ErrLoginRequired
	}
	role, member := o.Members[p.User]
	if !member && !p.SiteAdmin {
		return store.ErrNotFound
	}
	if !p.HasScope(act.scope()) {
		return fmt.Errorf("%w: token lacks the %s scope", ErrDenied, act.scope())
	}
	if act == Admin && role != store.RoleOwner && !p.SiteAdmin {
		return fmt.Errorf("%w: only owners of %s may do this", ErrDenied, org)
	}
	return nil
}

// AuthorizePublisher is the check made before a publish body is read,
// when the package name is not known yet: p must be authenticated, hold
// the package:write scope, and be an org member or a collaborator with
// write access on one of the org's repositories. The exact package is
// authorized again (Authorize) when the publish commits.
func AuthorizePublisher(tx store.Tx, p Principal, org string) error {
	o, err := tx.Org(org)
	if err != nil {
		return hide(p, err)
	}
	if p.Anonymous() {
		return ErrLoginRequired
	}
	_, member := o.Members[p.User]
	if !member && !p.SiteAdmin {
		repos, err := tx.Repos(org)
		if err != nil {
			return err
		}
		for _, r := range repos {
			if r.Collaborators[p.User].Rank() >= store.PermWrite.Rank() {
				member = true
				break
			}
		}
		if !member {
			return store.ErrNotFound
		}
	}
	if !p.HasScope(store.ScopeWrite) {
		return fmt.Errorf("%w: token lacks the %s scope", ErrDenied, store.ScopeWrite)
	}
	return nil
}

func hide(p Principal, err error) error {
	if errors.Is(err, store.ErrNotFound) && p.Anonymous() {
		return ErrLoginRequired
	}
	return err
}

// authorizeIn decides act for a package in org linked to repo ("" =
// unlinked). isNew marks a package that does not exist yet.
func authorizeIn(tx store.Tx, p Principal, act Action, org, repo string, isNew bool) error {
	o, err := tx.Org(org)
	if err != nil {
		return hide(p, err)
	}
	role, member := o.Members[p.User]
	if p.Anonymous() {
		member = false
	}
	owner := member && role == store.RoleOwner

	var vis store.Visibility
	var perm store.Permission
	if repo != "" {
		r, err := tx.Repo(org, repo)
		if err != nil {
			return fmt.Errorf("authorize: linked repository %s/%s: %w", org, repo, err)
		}
		vis = r.Visibility
		if !p.Anonymous() {
			perm = r.Collaborators[p.User]
		}
	}

	visible := p.SiteAdmin || owner
	switch {
	case visible:
	case isNew:
		visible = member
	case repo == "":
		visible = member
	case vis == store.Public:
		visible = true
	case vis == store.Internal:
		visible = member || perm != ""
	default: // private
		visible = perm != ""
	}
	if !visible {
		if p.Anonymous() {
			return ErrLoginRequired
		}
		return store.ErrNotFound
	}

	if act == Read {
		if p.Anonymous() || p.HasScope(store.ScopeRead) {
			return nil
		}
		return fmt.Errorf("%w: token lacks the %s scope", ErrDenied, store.ScopeRead)
	}
	if p.Anonymous() {
		return ErrLoginRequired
	}
	if !p.HasScope(act.scope()) {
		return fmt.Errorf("%w: token lacks the %s scope", ErrDenied, act.scope())
	}
	allowed := p.SiteAdmin || owner
	if !allowed {
		switch {
		case repo == "":
			// Unlinked (or new) packages belong to the org: members write,
			// owners administer.
			allowed = member && act == Write
		case act == Write:
			allowed = perm.Rank() >= store.PermWrite.Rank()
		default:
			allowed = perm == store.PermAdmin
		}
	}
	if !allowed {
		return fmt.Errorf("%w: %s access to this package is not granted to %s", ErrDenied, act, p.User)
	}
	return nil
}
