package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// maxAdvisoryBody caps one import request; the CLI sends batches.
const maxAdvisoryBody = 64 << 20

// importAdvisories is POST /api/v1/advisories (site admins).
func (a *API) importAdvisories(w http.ResponseWriter, r *http.Request) {
	p, err := a.siteAdmin(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	var in client.AdvisoryImport
	dec := json.NewDecoder(io.LimitReader(r.Body, maxAdvisoryBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		a.WriteError(w, r, fmt.Errorf("%w: request body: %v", store.ErrInvalid, err))
		return
	}
	docs := make([][]byte, len(in.Advisories))
	for i, d := range in.Advisories {
		docs[i] = d
	}
	res, err := a.Pipeline.ImportAdvisories(r.Context(), p, docs, in.Remove)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, client.AdvisoryImportResult(res))
}

// listAdvisories is GET /api/v1/advisories[?ecosystem=&package=].
func (a *API) listAdvisories(w http.ResponseWriter, r *http.Request) {
	if _, err := authed(r); err != nil {
		a.WriteError(w, r, err)
		return
	}
	eco, name := r.URL.Query().Get("ecosystem"), r.URL.Query().Get("package")
	db := a.Pipeline.Advisories()
	out := []client.Advisory{}
	for _, adv := range db.All() {
		c := client.Advisory{ID: adv.ID, Aliases: adv.Aliases, Summary: adv.Summary, Modified: adv.Modified,
			Withdrawn: !adv.Withdrawn.IsZero(), Packages: []string{}}
		keep := eco == "" && name == ""
		for _, pk := range db.Packages(adv) {
			c.Packages = append(c.Packages, pk[0]+"/"+pk[1])
			if (eco == "" || pk[0] == eco) && (name == "" || strings.EqualFold(pk[1], name)) {
				keep = true
			}
		}
		if keep {
			out = append(out, c)
		}
	}
	WriteJSON(w, http.StatusOK, out)
}

// getAdvisory is GET /api/v1/advisories/{id}: the stored OSV record.
func (a *API) getAdvisory(w http.ResponseWriter, r *http.Request) {
	if _, err := authed(r); err != nil {
		a.WriteError(w, r, err)
		return
	}
	adv, ok := a.Pipeline.Advisories().Get(r.PathValue("id"))
	if !ok {
		a.WriteError(w, r, fmt.Errorf("advisory %s: %w", r.PathValue("id"), store.ErrNotFound))
		return
	}
	WriteJSON(w, http.StatusOK, adv)
}

// audit is GET /api/v1/orgs/{org}/audit[?ecosystem=&name=]: the flagged
// versions of the org's packages the caller can read.
func (a *API) audit(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	org := r.PathValue("org")
	q := r.URL.Query()
	f := store.PackageFilter{Org: org, Ecosystem: q.Get("ecosystem")}
	var name string
	if n := q.Get("name"); n != "" {
		k, err := a.packageKey(f.Ecosystem, org, n)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		name = k.Name
	}
	out := []client.AuditEntry{}
	err = a.index().View(r.Context(), func(tx store.Tx) error {
		// A missing org has no packages: orgListing below answers for it
		// exactly as for an org the caller cannot see.
		o, err := tx.Org(org)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		pkgs, err := tx.PackageList(f)
		if err != nil {
			return err
		}
		found, visible := false, 0
		for _, pkg := range pkgs {
			if ecosystems.Authorize(tx, p, ecosystems.Read, pkg.PackageKey) != nil {
				continue
			}
			visible++
			if name != "" && pkg.Name != name {
				continue
			}
			found = true
			vs, err := tx.Versions(pkg.PackageKey)
			if err != nil {
				return err
			}
			for _, v := range vs {
				if v.IsDeleted() || len(v.Advisories) == 0 {
					continue
				}
				out = append(out, client.AuditEntry{Ecosystem: pkg.Ecosystem, Package: pkg.DisplayName, Version: v.Version,
					Yanked: v.Yanked, Blocked: len(ecosystems.Blocking(o.Settings, v)) > 0, Advisories: ecosystems.AdvisoryRefs(v.Advisories)})
			}
		}
		// An org the caller can see nothing of answers like a missing one.
		if err := orgListing(tx, p, org, visible); err != nil {
			return err
		}
		if name != "" && !found {
			return fmt.Errorf("package %s: %w", name, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	slices.SortStableFunc(out, func(x, y client.AuditEntry) int {
		return strings.Compare(x.Ecosystem+"\x00"+x.Package, y.Ecosystem+"\x00"+y.Package)
	})
	WriteJSON(w, http.StatusOK, out)
}
