package cargo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// yank handles DELETE …/{name}/{version}/yank and PUT …/unyank.
func (h *handler) yank(q *request, yank bool) {
	_, err := h.env.Pipeline.Yank(q.r.Context(), q.pr, h.key(q.org, q.route.Name), q.route.Version, yank, "")
	if err != nil {
		h.fail(q, err)
		return
	}
	writeJSON(q.w, http.StatusOK, map[string]bool{"ok": true})
}

// download serves a .crate (yanked versions included).
func (h *handler) download(q *request) {
	k := h.key(q.org, q.route.Name)
	res, err := h.env.Pipeline.Resolve(q.r.Context(), q.pr, k)
	if err != nil {
		h.fail(q, err)
		return
	}
	v, ok := res.Find(q.route.Version)
	if !ok || len(v.Files) == 0 {
		h.fail(q, notFound(fmt.Sprintf("crate %s has no version %s", quote(q.route.Name), quote(q.route.Version))))
		return
	}
	h.env.Pipeline.ServeFile(q.w, q.r, k, v.Version, v.Files[0])
}

// owner is one entry of the owners list.
type owner struct {
	ID    int     `json:"id"`
	Login string  `json:"login"`
	Name  *string `json:"name"`
	Kind  string  `json:"kind"`
}

// ownersOf lists who administers pkg: the org's owners and the admin
// collaborators of its linked repository.
func ownersOf(tx store.Tx, pkg store.Package) ([]string, error) {
	o, err := tx.Org(pkg.Org)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for u, role := range o.Members {
		if role == store.RoleOwner {
			set[u] = true
		}
	}
	if pkg.Repo != "" {
		r, err := tx.Repo(pkg.Org, pkg.Repo)
		if err != nil {
			return nil, err
		}
		for u, perm := range r.Collaborators {
			if perm == store.PermAdmin {
				set[u] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set)), nil
}

// owners handles GET …/{name}/owners.
func (h *handler) owners(q *request) {
	k := h.key(q.org, q.route.Name)
	var names []string
	err := h.env.Pipeline.Index.View(q.r.Context(), func(tx store.Tx) error {
		if err := ecosystems.Authorize(tx, q.pr, ecosystems.Read, k); err != nil {
			return err
		}
		pkg, err := tx.Package(k)
		if err != nil {
			return err
		}
		names, err = ownersOf(tx, pkg)
		return err
	})
	if err != nil {
		h.fail(q, err)
		return
	}
	users := make([]owner, 0, len(names))
	for i, n := range names {
		users = append(users, owner{ID: i + 1, Login: n, Kind: "user"})
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"users": users})
}

// changeOwners handles PUT (add) and DELETE (remove) …/{name}/owners
// with body {"users": [...]}. drok has no per-crate owners: adding makes
// each user an admin collaborator of the crate's linked repository;
// removing takes that collaboration away. Org owners always administer
// every crate and cannot be removed here.
func (h *handler) changeOwners(q *request, add bool) {
	var body struct {
		Users []string `json:"users"`
	}
	if err := json.NewDecoder(io.LimitReader(q.r.Body, 1<<20)).Decode(&body); err != nil || len(body.Users) == 0 || len(body.Users) > 100 {
		h.fail(q, fmt.Errorf("%w: the body must be {\"users\": [\"login\", ...]} with 1 to 100 logins", store.ErrInvalid))
		return
	}
	k := h.key(q.org, q.route.Name)
	err := h.env.Pipeline.Mutate(q.r.Context(), q.pr, ecosystems.Admin, k, func(tx store.Tx, pkg *store.Package, _ []store.Version) ([]store.Version, []store.Event, error) {
		if pkg.Repo == "" {
			return nil, nil, fmt.Errorf("%w: crate %s is not linked to a repository, so only the owners of org %s administer it; link it with `drok package link` to manage owners", store.ErrInvalid, pkg.DisplayName, pkg.Org)
		}
		o, err := tx.Org(pkg.Org)
		if err != nil {
			return nil, nil, err
		}
		r, err := tx.Repo(pkg.Org, pkg.Repo)
		if err != nil {
			return nil, nil, err
		}
		if r.Collaborators == nil {
			r.Collaborators = map[string]store.Permission{}
		}
		for _, u := range body.Users {
			if err := ecosystems.ValidAccountName("user", u); err != nil {
				return nil, nil, err
			}
			if _, err := tx.User(u); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return nil, nil, fmt.Errorf("%w: no user %s", store.ErrInvalid, quote(u))
				}
				return nil, nil, err
			}
			switch {
			case add:
				r.Collaborators[u] = store.PermAdmin
			case o.Members[u] == store.RoleOwner:
				return nil, nil, fmt.Errorf("%w: %s owns org %s and so every crate in it; change that with `drok org`", store.ErrInvalid, u, pkg.Org)
			case r.Collaborators[u] == store.PermAdmin:
				delete(r.Collaborators, u)
			default:
				return nil, nil, fmt.Errorf("%w: %s is not an owner of crate %s", store.ErrInvalid, u, pkg.DisplayName)
			}
		}
		return nil, nil, tx.PutRepo(r)
	})
	if err != nil {
		h.fail(q, err)
		return
	}
	verb := "added as owners of"
	if !add {
		verb = "removed from the owners of"
	}
	msg := fmt.Sprintf("%s %s crate %s (admin collaborators of its repository)", strings.Join(body.Users, ", "), verb, q.route.Name)
	writeJSON(q.w, http.StatusOK, map[string]any{"ok": true, "msg": msg})
}

// searchHit is one crate in a search answer.
type searchHit struct {
	Name        string  `json:"name"`
	MaxVersion  string  `json:"max_version"`
	Description *string `json:"description"`
}

// search handles GET api/v1/crates?q=&per_page=: crates of the org
// visible to the caller whose names contain q (compared as crate names
// are), best match first.
func (h *handler) search(q *request) {
	query := Canonical(strings.TrimSpace(q.r.URL.Query().Get("q")))
	per := 10
	if s := q.r.URL.Query().Get("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			h.fail(q, fmt.Errorf("%w: per_page must be a positive number", store.ErrInvalid))
			return
		}
		per = min(n, 100)
	}
	var hits []searchHit
	total := 0
	err := h.env.Pipeline.Index.View(q.r.Context(), func(tx store.Tx) error {
		pkgs, err := tx.PackageList(store.PackageFilter{Ecosystem: ecosystems.Cargo, Org: q.org})
		if err != nil {
			return err
		}
		slices.SortFunc(pkgs, func(a, b store.Package) int {
			ea, eb := a.Name == query, b.Name == query
			if ea != eb {
				if ea {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Name, b.Name)
		})
		for _, p := range pkgs {
			if !strings.Contains(p.Name, query) || ecosystems.Authorize(tx, q.pr, ecosystems.Read, p.PackageKey) != nil {
				continue
			}
			vs, err := tx.Versions(p.PackageKey)
			if err != nil {
				return err
			}
			max, desc := "", ""
			for _, v := range vs {
				if v.IsDeleted() || v.Yanked {
					continue
				}
				if max == "" || CompareVersions(v.Version, max) > 0 {
					max = v.Version
					var m versionMeta
					if json.Unmarshal(v.Meta, &m) == nil {
						desc = m.Description
					}
				}
			}
			if max == "" {
				continue
			}
			total++
			if len(hits) < per {
				hits = append(hits, searchHit{Name: p.DisplayName, MaxVersion: max, Description: strPtr(desc)})
			}
		}
		return nil
	})
	if err != nil {
		h.fail(q, err)
		return
	}
	if hits == nil {
		hits = []searchHit{}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"crates": hits, "meta": map[string]int{"total": total}})
}
