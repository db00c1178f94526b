// Package api implements the drok REST API under /api/v1: accounts,
// tokens, organisations, repositories and the generic package routes.
// Every package route goes through ecosystems.Authorize.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/webhooks"
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// API serves the REST routes.
type API struct {
	Pipeline *ecosystems.Pipeline
	Tokens   *Tokens
	Log      *slog.Logger
	// Env is handed to FilePublisher ecosystems for REST publishes.
	Env *ecosystems.Env
	// Version is the daemon's version string for /health.
	Version string
	// Webhooks manages webhook deliveries; nil disables the hook routes.
	Webhooks *webhooks.Service
}

func (a *API) index() store.Index { return a.Pipeline.Index }

// Register adds the REST routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/health", a.health)
	mux.HandleFunc("GET /api/v1/user", a.whoami)
	mux.HandleFunc("GET /api/v1/users", a.listUsers)
	mux.HandleFunc("POST /api/v1/users", a.createUser)
	mux.HandleFunc("GET /api/v1/tokens", a.listTokens)
	mux.HandleFunc("POST /api/v1/tokens", a.createToken)
	mux.HandleFunc("DELETE /api/v1/tokens/{id}", a.revokeToken)
	mux.HandleFunc("GET /api/v1/orgs", a.listOrgs)
	mux.HandleFunc("POST /api/v1/orgs", a.createOrg)
	mux.HandleFunc("GET /api/v1/orgs/{org}", a.getOrg)
	mux.HandleFunc("PATCH /api/v1/orgs/{org}", a.editOrg)
	mux.HandleFunc("PUT /api/v1/orgs/{org}/members/{user}", a.setMember)
	mux.HandleFunc("DELETE /api/v1/orgs/{org}/members/{user}", a.removeMember)
	mux.HandleFunc("GET /api/v1/orgs/{org}/repos", a.listRepos)
	mux.HandleFunc("POST /api/v1/orgs/{org}/repos", a.createRepo)
	mux.HandleFunc("GET /api/v1/repos/{org}/{repo}", a.getRepo)
	mux.HandleFunc("PATCH /api/v1/repos/{org}/{repo}", a.editRepo)
	mux.HandleFunc("PUT /api/v1/repos/{org}/{repo}/collaborators/{user}", a.setCollaborator)
	mux.HandleFunc("DELETE /api/v1/repos/{org}/{repo}/collaborators/{user}", a.removeCollaborator)
	mux.HandleFunc("GET /api/v1/repos/{org}/{repo}/packages", a.repoPackages)
	mux.HandleFunc("GET /api/v1/orgs/{org}/packages", a.orgPackages)
	mux.HandleFunc("POST /api/v1/orgs/{org}/packages/{eco}/yank", a.yank)
	mux.HandleFunc("POST /api/v1/orgs/{org}/packages/{eco}/link", a.link)
	mux.HandleFunc("POST /api/v1/orgs/{org}/publish", a.publish)
	mux.HandleFunc("POST /api/v1/admin/gc", a.gc)
	mux.HandleFunc("POST /api/v1/admin/check", a.check)
	mux.HandleFunc("GET /api/v1/orgs/{org}/audit", a.audit)
	mux.HandleFunc("POST /api/v1/advisories", a.importAdvisories)
	mux.HandleFunc("GET /api/v1/advisories", a.listAdvisories)
	mux.HandleFunc("GET /api/v1/advisories/{id}", a.getAdvisory)
	a.registerHooks(mux)
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// WriteError writes err as the REST error body with the status that
// ecosystems.HTTPStatus maps it to. Internal errors are logged, not shown.
func (a *API) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := ecosystems.HTTPStatus(err)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		status = http.StatusRequestEntityTooLarge
	}
	if status == http.StatusInternalServerError && a.Log != nil {
		a.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	msg := ecosystems.PublicMessage(err)
	if status == http.StatusRequestEntityTooLarge && mbe != nil {
		msg = fmt.Sprintf("request body larger than %d bytes", mbe.Limit)
	}
	WriteJSON(w, status, client.Error{Message: msg})
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: request body: %v", store.ErrInvalid, err)
	}
	return nil
}

func principal(r *http.Request) (ecosystems.Principal, error) {
	return ecosystems.PrincipalFrom(r.Context())
}

// authed returns the principal of an authenticated request.
func authed(r *http.Request) (ecosystems.Principal, error) {
	p, err := principal(r)
	if err != nil {
		return p, err
	}
	if p.Anonymous() {
		return p, fmt.Errorf("%w: this call needs a token", ecosystems.ErrLoginRequired)
	}
	return p, nil
}

func needScope(p ecosystems.Principal, scope string) error {
	if !p.HasScope(scope) {
		return fmt.Errorf("%w: token lacks the %s scope", ecosystems.ErrDenied, scope)
	}
	return nil
}

func (a *API) health(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, client.Health{Status: "ok", Version: a.Version})
}

func (a *API) whoami(w http.ResponseWriter, r *http.Request) {
	p, err := authed(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	var out client.Whoami
	err = a.index().View(r.Context(), func(tx store.Tx) error {
		u, err := tx.User(p.User)
		if err != nil {
			return err
		}
		t, err := tx.Token(p.TokenID)
		if err != nil {
			return err
		}
		out = client.Whoami{User: userOut(u), Token: tokenOut(t)}
		return nil
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

func userOut(u store.User) client.User {
	return client.User{Name: u.Name, Admin: u.Admin, Created: u.Created}
}

func tokenOut(t store.Token) client.Token {
	return client.Token{ID: t.ID, Name: t.Name, User: t.User, Scopes: t.Scopes, Created: t.Created,
		Expires: t.Expires, LastUsed: t.LastUsed, Revoked: t.Revoked}
}

func (a *API) siteAdmin(r *http.Request) (ecosystems.Principal, error) {
	p, err := authed(r)
	if err != nil {
		return p, err
	}
	if !p.SiteAdmin {
		return p, fmt.Errorf("%w: only server administrators may do this", ecosystems.ErrDenied)
	}
	return p, needScope(p, store.ScopeAdmin)
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) {
	if _, err := a.siteAdmin(r); err != nil {
		a.WriteError(w, r, err)
		return
	}
	var out []client.User
	err := a.index().View(r.Context(), func(tx store.Tx) error {
		us, err := tx.Users()
		for _, u := range us {
			out = append(out, userOut(u))
		}
		return err
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, nonNil(out))
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) {
	if _, err := a.siteAdmin(r); err != nil {
		a.WriteError(w, r, err)
		return
	}
	var in client.CreateUser
	if err := decode(r, &in); err != nil {
		a.WriteError(w, r, err)
		return
	}
	if err := ecosystems.ValidAccountName("user", in.Name); err != nil {
		a.WriteError(w, r, err)
		return
	}
	var out client.CreatedUser
	err := a.index().Update(r.Context(), func(tx store.Tx) error {
		if _, err := tx.User(in.Name); err == nil {
			return fmt.Errorf("user %s: %w", in.Name, store.ErrConflict)
		}
		u := store.User{Name: in.Name, Admin: in.Admin, Created: time.Now().UTC()}
		if err := tx.PutUser(u); err != nil {
			return err
		}
		tok, secret, err := a.Tokens.Create(tx, u.Name, "initial", AllScopes, 0)
		if err != nil {
			return err
		}
		out = client.CreatedUser{User: userOut(u), Token: tokenOut(tok)}
		out.Token.Secret = secret
		return nil
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, out)
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) {
	p, err := authed(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	var out []client.Token
	err = a.index().View(r.Context(), func(tx store.Tx) error {
		ts, err := tx.Tokens(p.User)
		for _, t := range ts {
			out = append(out, a.Tokens.withLastUsed(tokenOut(t)))
		}
		return err
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	slices.SortFunc(out, func(x, y client.Token) int { return x.Created.Compare(y.Created) })
	WriteJSON(w, http.StatusOK, nonNil(out))
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request) {
	p, err := authed(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	var in client.CreateToken
	if err := decode(r, &in); err != nil {
		a.WriteError(w, r, err)
		return
	}
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > 100 {
		a.WriteError(w, r, fmt.Errorf("%w: a token needs a name of at most 100 characters", store.ErrInvalid))
		return
	}
	if len(in.Scopes) == 0 {
		a.WriteError(w, r, fmt.Errorf("%w: a token needs at least one scope (%s)", store.ErrInvalid, strings.Join(AllScopes, ", ")))
		return
	}
	for _, s := range in.Scopes {
		if !slices.Contains(AllScopes, s) {
			a.WriteError(w, r, fmt.Errorf("%w: unknown scope %q (known: %s)", store.ErrInvalid, s, strings.Join(AllScopes, ", ")))
			return
		}
		if !p.HasScope(s) {
			a.WriteError(w, r, fmt.Errorf("%w: cannot create a token with scope %s from a token that lacks it", ecosystems.ErrDenied, s))
			return
		}
	}
	ttl, err := ParseDuration(in.ExpiresIn)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	if err := needScope(p, store.ScopeAdmin); err != nil {
		a.WriteError(w, r, fmt.Errorf("%w (tokens are managed with a token that has the admin scope, such as the one from `drok login`)", err))
		return
	}
	var out client.Token
	err = a.index().Update(r.Context(), func(tx store.Tx) error {
		// A token never outlives the token that created it.
		if parent, err := tx.Token(p.TokenID); err == nil && !parent.Expires.IsZero() {
			if left := time.Until(parent.Expires); ttl == 0 || ttl > left {
				ttl = left
			}
		}
		tok, secret, err := a.Tokens.Create(tx, p.User, in.Name, in.Scopes, ttl)
		out = tokenOut(tok)
		out.Secret = secret
		return err
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, out)
}

// ParseDuration parses token lifetimes: Go durations plus a "d" (days)
// suffix, e.g. "30d", "12h". Empty means no expiry.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err = fmt.Sscanf(days, "%d", &n); err == nil && fmt.Sprint(n) == days {
			d = time.Duration(n) * 24 * time.Hour
		} else {
			err = errors.New("bad day count")
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: expiry %q: use a positive duration such as 30d or 12h", store.ErrInvalid, s)
	}
	return d, nil
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) {
	p, err := authed(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	id := r.PathValue("id")
	err = a.index().Update(r.Context(), func(tx store.Tx) error {
		t, err := tx.Token(id)
		if err != nil || (t.User != p.User && !p.SiteAdmin) {
			return fmt.Errorf("token %s: %w", id, store.ErrNotFound)
		}
		// Any token may revoke itself; revoking another takes the admin scope.
		if id != p.TokenID {
			if err := needScope(p, store.ScopeAdmin); err != nil {
				return err
			}
		}
		if t.Revoked.IsZero() {
			t.Revoked = time.Now().UTC()
		}
		return tx.PutToken(t)
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func orgOut(tx store.Tx, o store.Org) client.Org {
	out := client.Org{Name: o.Name, Created: o.Created, Settings: settingsOut(o.Settings)}
	for u, role := range o.Members {
		out.Members = append(out.Members, client.Member{User: u, Role: string(role)})
	}
	slices.SortFunc(out.Members, func(a, b client.Member) int { return strings.Compare(a.User, b.User) })
	if rs, err := tx.Repos(o.Name); err == nil {
		out.Repos = len(rs)
	}
	if ps, err := tx.PackageList(store.PackageFilter{Org: o.Name}); err == nil {
		out.Packages = len(ps)
	}
	return out
}

func (a *API) listOrgs(w http.ResponseWriter, r *http.Request) {
	p, err := authed(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	var out []client.Org
	err = a.index().View(r.Context(), func(tx store.Tx) error {
		os, err := tx.OrgList()
		for _, o := range os {
			if _, ok := o.Members[p.User]; ok || p.SiteAdmin {
				out = append(out, orgOut(tx, o))
			}
		}
		return err
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, nonNil(out))
}

func (a *API) createOrg(w http.ResponseWriter, r *http.Request) {
	p, err := authed(r)
	if err == nil {
		err = needScope(p, store.ScopeAdmin)
	}
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		a.WriteError(w, r, err)
		return
	}
	if err := ecosystems.ValidAccountName("organisation", in.Name); err != nil {
		a.WriteError(w, r, err)
		return
	}
	var out client.Org
	err = a.index().Update(r.Context(), func(tx store.Tx) error {
		if _, err := tx.Org(in.Name); err == nil {
			return fmt.Errorf("organisation %s: %w", in.Name, store.ErrConflict)
		}
		o := store.Org{Name: in.Name, Created: time.Now().UTC(), Members: map[string]store.Role{p.User: store.RoleOwner}}
		if err := tx.PutOrg(o); err != nil {
			return err
		}
		out = orgOut(tx, o)
		return nil
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, out)
}

func (a *API) getOrg(w http.ResponseWriter, r *http.Request) {
	a.orgOp(w, r, ecosystems.Read, http.StatusOK, nil)
}

func (a *API) editOrg(w http.ResponseWriter, r *http.Request) {
	var in client.OrgSettings
	if err := decode(r, &in); err != nil {
		a.WriteError(w, r, err)
		return
	}
	if err := validSettings(in); err != nil {
		a.WriteError(w, r, err)
		return
	}
	pr, _ := principal(r)
	a.orgOp(w, r, ecosystems.Admin, http.StatusOK, func(tx store.Tx, o *store.Org) error {
		// Plans cap what an org may use: owners cannot lift them.
		if changesPlan(in) && !pr.SiteAdmin {
			return fmt.Errorf("%w: plans, limits and --bandwidth-warn-only are set by server administrators; ask one to run drok org edit %s", ecosystems.ErrDenied, o.Name)
		}
		return applySettings(tx, o, in, a.Pipeline.DefaultPlan)
	})
}

// orgOp authorizes act on {org}, applies fn (when non-nil) in a write
// transaction and answers with the organisation.
func (a *API) orgOp(w http.ResponseWriter, r *http.Request, act ecosystems.Action, status int, fn func(store.Tx, *store.Org) error) {
	p, err := principal(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	name := r.PathValue("org")
	var out client.Org
	run := a.index().View
	if fn != nil {
		run = a.index().Update
	}
	err = run(r.Context(), func(tx store.Tx) error {
		if err := ecosystems.AuthorizeOrg(tx, p, act, name); err != nil {
			return err
		}
		o, err := tx.Org(name)
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(tx, &o); err != nil {
				return err
			}
			if err := tx.PutOrg(o); err != nil {
				return err
			}
		}
		out = orgOut(tx, o)
		u, err := a.usage(tx, o)
		out.Usage = &u
		return err
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, status, out)
}

func (a *API) setMember(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Role string `json:"role"`
	}
	if err := decode(r, &in); err != nil {
		a.WriteError(w, r, err)
		return
	}
	role := store.Role(in.Role)
	if role == "" {
		role = store.RoleMember
	}
	if role != store.RoleOwner && role != store.RoleMember {
		a.WriteError(w, r, fmt.Errorf("%w: role must be owner or member", store.ErrInvalid))
		return
	}
	user := r.PathValue("user")
	a.orgOp(w, r, ecosystems.Admin, http.StatusOK, func(tx store.Tx, o *store.Org) error {
		if _, err := tx.User(user); err != nil {
			return err
		}
		if o.Members == nil {
			o.Members = map[string]store.Role{}
		}
		if o.Members[user] == store.RoleOwner && role != store.RoleOwner && owners(*o) == 1 {
			return fmt.Errorf("%w: %s is the last owner of %s", store.ErrInvalid, user, o.Name)
		}
		o.Members[user] = role
		return nil
	})
}

func owners(o store.Org) int {
	n := 0
	for _, r := range o.Members {
		if r == store.RoleOwner {
			n++
		}
	}
	return n
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("user")
	a.orgOp(w, r, ecosystems.Admin, http.StatusOK, func(tx store.Tx, o *store.Org) error {
		role, ok := o.Members[user]
		if !ok {
			return fmt.Errorf("%s is not a member of %s: %w", user, o.Name, store.ErrNotFound)
		}
		if role == store.RoleOwner && owners(*o) == 1 {
			return fmt.Errorf("%w: %s is the last owner of %s", store.ErrInvalid, user, o.Name)
		}
		delete(o.Members, user)
		return nil
	})
}

// orgListing makes a listing of org's repositories or packages answer
// like a missing org (404, or 401 for anonymous callers) when the caller
// sees nothing in it and is not a member, so listings do not reveal which
// organisations exist.
func orgListing(tx store.Tx, p ecosystems.Principal, org string, visible int) error {
	if visible > 0 {
		return nil
	}
	if err := ecosystems.AuthorizeOrg(tx, p, ecosystems.Read, org); err != nil && !errors.Is(err, ecosystems.ErrDenied) {
		return err
	}
	return nil
}

// repoOut renders a repository; its collaborators are shown only to
// those who administer it.
func repoOut(tx store.Tx, p ecosystems.Principal, rp store.Repo) client.Repo {
	out := client.Repo{Org: rp.Org, Name: rp.Name, Visibility: string(rp.Visibility), Description: rp.Description, Created: rp.Created,
		Collaborators: []client.Collaborator{}}
	if ecosystems.AuthorizeRepo(tx, p, ecosystems.Admin, rp.Org, rp.Name) != nil {
		return out
	}
	for u, perm := range rp.Collaborators {
		out.Collaborators = append(out.Collaborators, client.Collaborator{User: u, Permission: string(perm)})
	}
	slices.SortFunc(out.Collaborators, func(a, b client.Collaborator) int { return strings.Compare(a.User, b.User) })
	return out
}

func (a *API) listRepos(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	org := r.PathValue("org")
	var out []client.Repo
	err = a.index().View(r.Context(), func(tx store.Tx) error {
		rs, err := tx.Repos(org)
		if err != nil {
			return err
		}
		for _, rp := range rs {
			if ecosystems.AuthorizeRepo(tx, p, ecosystems.Read, org, rp.Name) == nil {
				out = append(out, repoOut(tx, p, rp))
			}
		}
		return orgListing(tx, p, org, len(out))
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, nonNil(out))
}

func validVisibility(v *string) error {
	if v != nil && !store.Visibility(*v).Valid() {
		return fmt.Errorf("%w: visibility must be private, internal or public", store.ErrInvalid)
	}
	return nil
}

func (a *API) createRepo(w http.ResponseWriter, r *http.Request) {
	var in client.RepoEdit
	if err := decode(r, &in); err != nil {
		a.WriteError(w, r, err)
		return
	}
	if err := ecosystems.ValidAccountName("repository", in.Name); err != nil {
		a.WriteError(w, r, err)
		return
	}
	if err := validVisibility(in.Visibility); err != nil {
		a.WriteError(w, r, err)
		return
	}
	p, err := principal(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	org := r.PathValue("org")
	var out client.Repo
	err = a.index().Update(r.Context(), func(tx store.Tx) error {
		if err := ecosystems.AuthorizeOrg(tx, p, ecosystems.Admin, org); err != nil {
			return err
		}
		if _, err := tx.Repo(org, in.Name); err == nil {
			return fmt.Errorf("repository %s/%s: %w", org, in.Name, store.ErrConflict)
		}
		rp := store.Repo{Org: org, Name: in.Name, Visibility: store.Private, Created: time.Now().UTC(), Collaborators: map[string]store.Permission{}}
		if in.Visibility != nil {
			rp.Visibility = store.Visibility(*in.Visibility)
		}
		if in.Description != nil {
			rp.Description = *in.Description
		}
		if err := tx.PutRepo(rp); err != nil {
			return err
		}
		out = repoOut(tx, p, rp)
		return nil
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, out)
}

// repoOp authorizes act on {org}/{repo}, applies fn (when non-nil) in a
// write transaction and answers with the repository.
func (a *API) repoOp(w http.ResponseWriter, r *http.Request, act ecosystems.Action, fn func(store.Tx, *store.Repo) error) {
	p, err := principal(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	org, name := r.PathValue("org"), r.PathValue("repo")
	var out client.Repo
	run := a.index().View
	if fn != nil {
		run = a.index().Update
	}
	err = run(r.Context(), func(tx store.Tx) error {
		if err := ecosystems.AuthorizeRepo(tx, p, act, org, name); err != nil {
			return err
		}
		rp, err := tx.Repo(org, name)
		if err != nil {
			return err
		}
		if fn != nil {
			if err := fn(tx, &rp); err != nil {
				return err
			}
			if err := tx.PutRepo(rp); err != nil {
				return err
			}
		}
		out = repoOut(tx, p, rp)
		return nil
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

func (a *API) getRepo(w http.ResponseWriter, r *http.Request) { a.repoOp(w, r, ecosystems.Read, nil) }

func (a *API) editRepo(w http.ResponseWriter, r *http.Request) {
	var in client.RepoEdit
	if err := decode(r, &in); err != nil {
		a.WriteError(w, r, err)
		return
	}
	if err := validVisibility(in.Visibility); err != nil {
		a.WriteError(w, r, err)
		return
	}
	a.repoOp(w, r, ecosystems.Admin, func(tx store.Tx, rp *store.Repo) error {
		if in.Visibility != nil && store.Visibility(*in.Visibility) != rp.Visibility {
			rp.Visibility = store.Visibility(*in.Visibility)
			if err := bumpLinked(tx, *rp); err != nil {
				return err
			}
		}
		if in.Description != nil {
			rp.Description = *in.Description
		}
		return nil
	})
}

// bumpLinked bumps the revision of every package linked to rp, so cached
// renderings that show its visibility are rebuilt.
func bumpLinked(tx store.Tx, rp store.Repo) error {
	pkgs, err := tx.PackageList(store.PackageFilter{Org: rp.Org, Repo: rp.Name})
	if err != nil {
		return err
	}
	for _, pkg := range pkgs {
		pkg.Rev++
		if err := tx.PutPackage(pkg); err != nil {
			return err
		}
	}
	return nil
}

func (a *API) setCollaborator(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Permission string `json:"permission"`
	}
	if err := decode(r, &in); err != nil {
		a.WriteError(w, r, err)
		return
	}
	perm := store.Permission(in.Permission)
	if perm == "" {
		perm = store.PermRead
	}
	if perm.Rank() == 0 {
		a.WriteError(w, r, fmt.Errorf("%w: permission must be read, write or admin", store.ErrInvalid))
		return
	}
	user := r.PathValue("user")
	a.repoOp(w, r, ecosystems.Admin, func(tx store.Tx, rp *store.Repo) error {
		if _, err := tx.User(user); err != nil {
			return err
		}
		if rp.Collaborators == nil {
			rp.Collaborators = map[string]store.Permission{}
		}
		rp.Collaborators[user] = perm
		return nil
	})
}

func (a *API) removeCollaborator(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("user")
	a.repoOp(w, r, ecosystems.Admin, func(_ store.Tx, rp *store.Repo) error {
		if _, ok := rp.Collaborators[user]; !ok {
			return fmt.Errorf("%s is not a collaborator: %w", user, store.ErrNotFound)
		}
		delete(rp.Collaborators, user)
		return nil
	})
}

// PackageOut renders the drok view of a package; versions are included
// when vs is non-nil.
func PackageOut(tx store.Tx, pkg store.Package, vs []store.Version, latest string) client.Package {
	return ecosystems.Details(pkg, vs, ecosystems.Visibility(tx, pkg), latest)
}

// listPackages lists the packages matching f (and name) that the caller
// may read; check runs last with the number found and may refuse.
func (a *API) listPackages(w http.ResponseWriter, r *http.Request, f store.PackageFilter, name string, check func(tx store.Tx, p ecosystems.Principal, visible int) error) {
	p, err := principal(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	var out []client.Package
	err = a.index().View(r.Context(), func(tx store.Tx) error {
		ps, err := tx.PackageList(f)
		if err != nil {
			return err
		}
		for _, pkg := range ps {
			if name != "" && !a.sameName(pkg, name) {
				continue
			}
			if ecosystems.Authorize(tx, p, ecosystems.Read, pkg.PackageKey) == nil {
				out = append(out, PackageOut(tx, pkg, nil, pkg.Tags["latest"]))
			}
		}
		return check(tx, p, len(out))
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	slices.SortFunc(out, func(x, y client.Package) int {
		return strings.Compare(x.Ecosystem+"\x00"+x.Name, y.Ecosystem+"\x00"+y.Name)
	})
	WriteJSON(w, http.StatusOK, nonNil(out))
}

// sameName compares name with pkg under pkg's ecosystem's normalisation.
func (a *API) sameName(pkg store.Package, name string) bool {
	if eco, ok := a.Pipeline.Ecosystems[pkg.Ecosystem]; ok {
		if n, err := eco.Normalize(name); err == nil {
			name = n
		}
	}
	return pkg.Name == name || pkg.DisplayName == name
}

func (a *API) repoPackages(w http.ResponseWriter, r *http.Request) {
	org, repo := r.PathValue("org"), r.PathValue("repo")
	a.listPackages(w, r, store.PackageFilter{Org: org, Repo: repo}, "", func(tx store.Tx, p ecosystems.Principal, _ int) error {
		return ecosystems.AuthorizeRepo(tx, p, ecosystems.Read, org, repo)
	})
}

func (a *API) orgPackages(w http.ResponseWriter, r *http.Request) {
	org := r.PathValue("org")
	q := r.URL.Query()
	a.listPackages(w, r, store.PackageFilter{Org: org, Ecosystem: q.Get("ecosystem")}, q.Get("name"), func(tx store.Tx, p ecosystems.Principal, visible int) error {
		return orgListing(tx, p, org, visible)
	})
}

// packageKey normalises name under ecosystem eco.
func (a *API) packageKey(eco, org, name string) (store.PackageKey, error) {
	e, ok := a.Pipeline.Ecosystems[eco]
	if !ok {
		return store.PackageKey{}, fmt.Errorf("%w: unknown ecosystem %q (served: %s)", store.ErrInvalid, eco, strings.Join(a.served(), ", "))
	}
	n, err := e.Normalize(name)
	if err != nil {
		return store.PackageKey{}, err
	}
	return store.PackageKey{Ecosystem: eco, Org: org, Name: n}, nil
}

func (a *API) served() []string {
	var out []string
	for _, e := range ecosystems.All {
		if _, ok := a.Pipeline.Ecosystems[e]; ok {
			out = append(out, e)
		}
	}
	return out
}

// packageAction decodes a JSON body that names a package of {eco}/{org}
// and returns the caller and the package key.
func (a *API) packageAction(r *http.Request, in any, name func() string) (ecosystems.Principal, store.PackageKey, error) {
	p, err := principal(r)
	if err != nil {
		return p, store.PackageKey{}, err
	}
	if err := decode(r, in); err != nil {
		return p, store.PackageKey{}, err
	}
	k, err := a.packageKey(r.PathValue("eco"), r.PathValue("org"), name())
	return p, k, err
}

func (a *API) yank(w http.ResponseWriter, r *http.Request) {
	var in client.YankRequest
	p, k, err := a.packageAction(r, &in, func() string { return in.Name })
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	version := in.Version
	if vn, ok := a.Pipeline.Ecosystems[k.Ecosystem].(ecosystems.VersionNormalizer); ok {
		if n, err := vn.NormalizeVersion(version); err == nil {
			version = n
		}
	}
	if vr, ok := a.Pipeline.Ecosystems[k.Ecosystem].(ecosystems.VersionResolver); ok {
		// The record is only used to map the reference; Yank authorizes.
		_ = a.index().View(r.Context(), func(tx store.Tx) error {
			if pkg, err := tx.Package(k); err == nil {
				version = vr.ResolveVersion(pkg, version)
			}
			return nil
		})
	}
	v, err := a.Pipeline.Yank(r.Context(), p, k, version, in.Yank, in.Reason)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, ecosystems.VersionDetails(v))
}

func (a *API) link(w http.ResponseWriter, r *http.Request) {
	var in client.LinkRequest
	p, k, err := a.packageAction(r, &in, func() string { return in.Name })
	if err == nil {
		err = a.Pipeline.Link(r.Context(), p, k, in.Repo)
	}
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	a.details(w, r, k)
}

// details answers with the drok view of package k (with versions).
func (a *API) details(w http.ResponseWriter, r *http.Request, k store.PackageKey) {
	p, err := principal(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	res, err := a.Pipeline.Resolve(r.Context(), p, k)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	var out client.Package
	_ = a.index().View(r.Context(), func(tx store.Tx) error {
		out = PackageOut(tx, res.Package, res.Versions, res.Package.Tags["latest"])
		return nil
	})
	WriteJSON(w, http.StatusOK, out)
}

func (a *API) publish(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	org := r.PathValue("org")
	filename := r.URL.Query().Get("filename")
	eco := r.URL.Query().Get("ecosystem")
	var fp ecosystems.FilePublisher
	for _, name := range ecosystems.All {
		e, ok := a.Pipeline.Ecosystems[name]
		if !ok || (eco != "" && eco != name) {
			continue
		}
		if pub, ok := e.(ecosystems.FilePublisher); ok && (eco != "" || pub.Accepts(filename)) {
			fp = pub
			break
		}
	}
	if fp == nil {
		a.WriteError(w, r, fmt.Errorf("%w: cannot tell which ecosystem %q belongs to; pass --ecosystem", store.ErrInvalid, filename))
		return
	}
	// Refuse callers who could not publish anything here before a byte of
	// the body is read.
	if err := a.index().View(r.Context(), func(tx store.Tx) error {
		return ecosystems.AuthorizePublisher(tx, p, org)
	}); err != nil {
		a.WriteError(w, r, err)
		return
	}
	res, err := fp.PublishFile(r.Context(), a.Env, p, org, filename, r.Body)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	out := client.Published{Ecosystem: res.Package.Ecosystem, Org: res.Package.Org, Name: res.Package.Name,
		Version: res.Version.Version, Retried: res.Retried, Files: []client.File{}}
	for _, f := range res.Version.Files {
		out.Files = append(out.Files, client.File{Name: f.Name, SHA256: f.SHA256, Size: f.Size})
	}
	WriteJSON(w, http.StatusCreated, out)
}

// PackageRoutes is the generic fallback for /api/v1/packages/{eco}/{org}/…
// that ecosystems hand paths to when their protocol does not claim them:
// GET {name} (details) and DELETE {name}/{version} (tombstone).
func (a *API) PackageRoutes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, err := url.PathUnescape(ecosystems.Rest(r))
		if err != nil || rest == "" {
			a.WriteError(w, r, fmt.Errorf("%w: bad package path", store.ErrNotFound))
			return
		}
		eco, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/api/v1/packages/"), "/")
		org := ecosystems.Org(r)
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			k, err := a.packageKey(eco, org, strings.TrimSuffix(rest, "/"))
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			a.details(w, r, k)
		case http.MethodDelete:
			i := strings.LastIndexByte(rest, '/')
			if i <= 0 {
				a.WriteError(w, r, fmt.Errorf("%w: DELETE needs {name}/{version}", store.ErrInvalid))
				return
			}
			k, err := a.packageKey(eco, org, rest[:i])
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			version := rest[i+1:]
			if vn, ok := a.Pipeline.Ecosystems[eco].(ecosystems.VersionNormalizer); ok {
				if n, err := vn.NormalizeVersion(version); err == nil {
					version = n
				}
			}
			p, err := principal(r)
			if err == nil {
				err = a.Pipeline.DeleteVersion(r.Context(), p, k, version)
			}
			if err != nil {
				a.WriteError(w, r, err)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Allow", "GET, HEAD, DELETE")
			a.WriteError(w, r, fmt.Errorf("%w: method %s not allowed here", store.ErrInvalid, r.Method))
		}
	})
}
