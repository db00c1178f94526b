package nuget

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// maxTake bounds search pages.
const maxTake = 1000

// visibleViews returns the views of every package of the org the caller
// may read, sorted by id. An anonymous caller gets ErrLoginRequired when
// the org holds packages it cannot see, so NuGet clients (which only send
// credentials after a 401) authenticate instead of seeing a partial feed.
// The answer is cached until the next index write.
func (h *handler) visibleViews(q *request) ([]*pkgView, error) {
	lk := listKey{user: q.pr.User, admin: q.pr.SiteAdmin, scopes: strings.Join(q.pr.Scopes, ","), org: q.org}
	if r, ok := h.lists.Get(lk); ok {
		return r.views, r.err
	}
	gen := h.lists.Begin()
	views, err := h.listViews(q)
	if err == nil || errors.Is(err, ecosystems.ErrLoginRequired) {
		h.lists.Put(lk, listResult{views, err}, gen)
	}
	return views, err
}

// listKey identifies a principal's listing of one org.
type listKey struct {
	user   string
	admin  bool
	scopes string
	org    string
}

type listResult struct {
	views []*pkgView
	err   error
}

func (h *handler) listViews(q *request) ([]*pkgView, error) {
	var out []*pkgView
	err := h.env.Pipeline.Index.View(q.ctx, func(tx store.Tx) error {
		pkgs, err := tx.PackageList(store.PackageFilter{Ecosystem: ecosystems.NuGet, Org: q.org})
		if err != nil {
			return err
		}
		var settings store.OrgSettings
		if len(pkgs) > 0 {
			o, err := tx.Org(q.org)
			if err != nil {
				return err
			}
			settings = o.Settings
		}
		for _, pkg := range pkgs {
			if err := ecosystems.Authorize(tx, q.pr, ecosystems.Read, pkg.PackageKey); err != nil {
				if errors.Is(err, ecosystems.ErrLoginRequired) {
					return err
				}
				if errors.Is(err, store.ErrNotFound) || errors.Is(err, ecosystems.ErrDenied) {
					continue
				}
				return err
			}
			pv := h.views.get(pkg.PackageKey)
			if pv == nil || !pv.matches(pkg) {
				vs, err := tx.Versions(pkg.PackageKey)
				if err != nil {
					return err
				}
				pv = newView(pkg, vs, settings)
				h.views.put(pkg.PackageKey, pv)
			}
			if len(pv.vers) > 0 {
				out = append(out, pv)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *pkgView) int { return strings.Compare(a.pkg.Name, b.pkg.Name) })
	return out, nil
}

// searchParams are the v3 search and autocomplete parameters.
type searchParams struct {
	q          string
	skip, take int
	prerelease bool
	semver2    bool
}

func parseSearchParams(get func(string) string, defTake int) (searchParams, error) {
	p := searchParams{q: strings.TrimSpace(get("q")), take: defTake}
	var err error
	if s := get("skip"); s != "" {
		if p.skip, err = strconv.Atoi(s); err != nil || p.skip < 0 {
			return p, fmt.Errorf("%w: skip must be a non-negative integer", store.ErrInvalid)
		}
	}
	if s := get("take"); s != "" {
		if p.take, err = strconv.Atoi(s); err != nil || p.take < 0 {
			return p, fmt.Errorf("%w: take must be a non-negative integer", store.ErrInvalid)
		}
	}
	p.take = min(p.take, maxTake)
	p.prerelease = strings.EqualFold(get("prerelease"), "true")
	if s := get("semVerLevel"); s != "" {
		v, err := ParseVersion(s)
		if err != nil {
			return p, fmt.Errorf("%w: semVerLevel %q", store.ErrInvalid, s)
		}
		p.semver2 = v.Major >= 2
	}
	return p, nil
}

// keep reports whether a version is visible under the parameters.
func (p searchParams) keep(vv *verView) bool {
	return vv.listed && (p.prerelease || !vv.v.IsPrerelease()) && (p.semver2 || !vv.v.IsSemVer2())
}

// matchQuery reports whether a package matches a search query: every term
// must occur in the id, title, tags or description (id:X and packageid:X
// match the id exactly).
func matchQuery(pv *pkgView, latest *verView, q string) bool {
	hay := strings.ToLower(pv.display + " " + latest.meta.Title + " " + latest.meta.Tags + " " + latest.meta.Description)
	for _, term := range strings.Fields(strings.ToLower(q)) {
		if k, v, ok := strings.Cut(term, ":"); ok && (k == "id" || k == "packageid") {
			if pv.pkg.Name != strings.Trim(v, `"`) {
				return false
			}
			continue
		}
		if !strings.Contains(hay, strings.Trim(term, `"`)) {
			return false
		}
	}
	return true
}

type searchVersion struct {
	Version   string `json:"version"`
	Downloads int64  `json:"downloads"`
	ID        string `json:"@id"`
}

type searchResult struct {
	ID             string           `json:"@id"`
	Type           string           `json:"@type"`
	Registration   string           `json:"registration"`
	PackageID      string           `json:"id"`
	Version        string           `json:"version"`
	Description    string           `json:"description"`
	Summary        string           `json:"summary"`
	Title          string           `json:"title"`
	IconURL        string           `json:"iconUrl"`
	LicenseURL     string           `json:"licenseUrl"`
	ProjectURL     string           `json:"projectUrl"`
	Tags           []string         `json:"tags"`
	Authors        []string         `json:"authors"`
	Owners         []string         `json:"owners"`
	TotalDownloads int64            `json:"totalDownloads"`
	Verified       bool             `json:"verified"`
	PackageTypes   []map[string]any `json:"packageTypes"`
	Versions       []searchVersion  `json:"versions"`
}

// searchDoc renders a v3 search answer over the visible packages.
func searchDoc(u urls, views []*pkgView, p searchParams) []byte {
	var hits []searchResult
	total := 0
	for _, pv := range views {
		latest := pv.latest(p.keep)
		if latest == nil || !matchQuery(pv, latest, p.q) {
			continue
		}
		total++
		if total <= p.skip || len(hits) >= p.take {
			continue
		}
		m := latest.meta
		r := searchResult{ID: u.regIndex(pv.display), Type: "Package", Registration: u.regIndex(pv.display),
			PackageID: pv.display, Version: latest.v.Full(), Description: m.Description, Summary: m.Summary,
			Title: m.Title, IconURL: m.IconURL, LicenseURL: m.LicenseURL, ProjectURL: m.ProjectURL,
			Tags: splitTags(m.Tags), Authors: splitList(m.Authors), Owners: splitList(m.Owners),
			PackageTypes: []map[string]any{{"name": "Dependency"}}, Versions: []searchVersion{}}
		for _, vv := range pv.vers {
			if p.keep(vv) {
				r.TotalDownloads += vv.downloads
				r.Versions = append(r.Versions, searchVersion{Version: vv.v.Full(), Downloads: vv.downloads, ID: u.regLeaf(pv.display, vv.key)})
			}
		}
		hits = append(hits, r)
	}
	if hits == nil {
		hits = []searchResult{}
	}
	b, _ := json.Marshal(map[string]any{"totalHits": total, "data": hits})
	return b
}

func splitList(s string) []string {
	out := []string{}
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// autocompleteDoc renders ids matching p.q, or with id the versions of
// one package.
func autocompleteDoc(views []*pkgView, p searchParams, id string) []byte {
	data := []string{}
	total := 0
	if id != "" {
		lid := strings.ToLower(id)
		for _, pv := range views {
			if pv.pkg.Name != lid {
				continue
			}
			for _, vv := range pv.vers {
				if p.keep(vv) {
					data = append(data, vv.v.Full())
				}
			}
		}
		total = len(data)
	} else {
		q := strings.ToLower(p.q)
		for _, pv := range views {
			if pv.latest(p.keep) == nil || !strings.Contains(pv.pkg.Name, q) {
				continue
			}
			total++
			if total > p.skip && len(data) < p.take {
				data = append(data, pv.display)
			}
		}
	}
	b, _ := json.Marshal(map[string]any{"totalHits": total, "data": data})
	return b
}
