package ecosystems

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/advisory"
	"github.com/drok-dev/drok/internal/store"
)

// advisoryNS is the aux namespace holding imported OSV records by id.
const advisoryNS = "advisory"

// ErrBlocked reports a download refused because the version is flagged by
// an advisory and the org blocks vulnerable packages (HTTP 403).
var ErrBlocked = errors.New("blocked")

// BlockedError names the advisories that block a download.
type BlockedError struct {
	Name       string
	Version    string
	Advisories []store.AdvisoryRef
}

func (e *BlockedError) Error() string {
	ids := make([]string, len(e.Advisories))
	var fixed []string
	for i, a := range e.Advisories {
		ids[i] = a.ID + " (" + a.Severity + ")"
		for _, f := range a.Fixed {
			if !slices.Contains(fixed, f) {
				fixed = append(fixed, f)
			}
		}
	}
	msg := fmt.Sprintf("%s@%s is blocked by this organisation's vulnerability policy: %s", e.Name, e.Version, strings.Join(ids, ", "))
	if len(fixed) > 0 {
		msg += "; fixed in " + strings.Join(fixed, ", ")
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrBlocked) and ErrDenied hold.
func (e *BlockedError) Unwrap() []error { return []error{ErrBlocked, ErrDenied} }

// Blocking returns the advisories of v that settings s block (nil when
// the org does not block or none reaches its severity threshold).
func Blocking(s store.OrgSettings, v store.Version) []store.AdvisoryRef {
	if !s.BlockVulnerable || len(v.Advisories) == 0 {
		return nil
	}
	min := advisory.SeverityRank(s.BlockSeverity)
	var out []store.AdvisoryRef
	for _, a := range v.Advisories {
		if s.BlockSeverity == "" || advisory.SeverityRank(a.Severity) >= min {
			out = append(out, a)
		}
	}
	return out
}

// Blocked reports whether the org's policy blocks downloads of v, so
// protocols can mark it in resolution metadata (npm deprecated, PEP 592
// yanked, cargo yanked, Maven metadata, NuGet unlisted).
func (r Resolved) Blocked(v store.Version) bool { return len(Blocking(r.Settings, v)) > 0 }

// Advisories returns the advisory database in use (nil when empty).
func (p *Pipeline) Advisories() *advisory.DB { return p.advisories.Load() }

// normalizeName maps a name to eco's canonical form, falling back to the
// name lower-cased when the ecosystem refuses it.
func (p *Pipeline) normalizeName(eco, name string) string {
	if e, ok := p.Ecosystems[eco]; ok {
		if n, err := e.Normalize(name); err == nil {
			return n
		}
	}
	return strings.ToLower(name)
}

// matchVersion sets v.Advisories from the current database and returns
// the ids that were not on v before.
func (p *Pipeline) matchVersion(v *store.Version) []string {
	refs := p.match(v.Ecosystem, v.Name, v.Version)
	if cl, ok := p.Ecosystems[v.Ecosystem].(ContentLister); ok {
		if purls := cl.Contents(*v); len(purls) > 0 {
			for _, r := range p.MatchPackages(purls) {
				refs = mergeRef(refs, r)
			}
			slices.SortFunc(refs, func(a, b store.AdvisoryRef) int { return strings.Compare(a.ID, b.ID) })
		}
	}
	var newly []string
	for _, r := range refs {
		if !slices.ContainsFunc(v.Advisories, func(o store.AdvisoryRef) bool { return o.ID == r.ID }) {
			newly = append(newly, r.ID)
		}
	}
	v.Advisories = refs
	return newly
}

func (p *Pipeline) match(eco, name, version string) []store.AdvisoryRef {
	db := p.advisories.Load()
	if db == nil {
		return nil
	}
	ms := db.Match(eco, name, version)
	if len(ms) == 0 {
		return nil
	}
	out := make([]store.AdvisoryRef, len(ms))
	for i, m := range ms {
		out[i] = store.AdvisoryRef{ID: m.ID, Aliases: m.Aliases, Summary: m.Summary, Severity: m.Severity, Fixed: m.Fixed}
	}
	return out
}

// LoadAdvisories reads the stored advisories into memory; the daemon
// calls it once at start.
func (p *Pipeline) LoadAdvisories(ctx context.Context) error {
	var all []advisory.OSV
	err := p.Index.View(ctx, func(tx store.Tx) error {
		aux, ok := store.AuxOf(tx)
		if !ok {
			return nil
		}
		return aux.AuxScan(advisoryNS, "", func(_ string, raw []byte) error {
			a, err := advisory.Parse(raw)
			if err != nil {
				return err
			}
			all = append(all, a)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("load advisories: %w", err)
	}
	p.advisories.Store(advisory.NewDB(all, p.normalizeName))
	return nil
}

// ImportResult reports what an advisory import changed.
type ImportResult struct {
	Imported  int `json:"imported"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Removed   int `json:"removed"`
	// Flagged counts versions that gained an advisory; Cleared those that
	// lost one.
	Flagged int `json:"flagged_versions"`
	Cleared int `json:"cleared_versions"`
	// Ignored counts records naming no ecosystem drok serves.
	Ignored int `json:"ignored"`
}

// ImportAdvisories stores OSV records (replacing records with the same
// id) and removes the records named in remove, then matches every
// version of every package they name again — in one transaction, with
// a package:vulnerable event for each version that gains an advisory.
// Only site administrators may import.
func (p *Pipeline) ImportAdvisories(ctx context.Context, pr Principal, docs [][]byte, remove []string) (ImportResult, error) {
	var res ImportResult
	if !pr.SiteAdmin || !pr.HasScope(store.ScopeAdmin) {
		return res, fmt.Errorf("importing advisories needs a site administrator's token with the admin scope: %w", ErrDenied)
	}
	parsed := make([]advisory.OSV, 0, len(docs))
	compact := make([][]byte, 0, len(docs))
	for i, raw := range docs {
		a, err := advisory.Parse(raw)
		if err != nil {
			return res, fmt.Errorf("%w: advisory %d: %v", store.ErrInvalid, i, err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return res, fmt.Errorf("%w: advisory %s: %v", store.ErrInvalid, a.ID, err)
		}
		parsed = append(parsed, a)
		compact = append(compact, buf.Bytes())
	}
	// old is read inside the write transaction: writers are serialised, so
	// it is the database of the last committed import, never an older one
	// read before another import committed.
	var old *advisory.DB
	swapped := false
	err := p.Index.Update(ctx, func(tx store.Tx) error {
		old = p.advisories.Load()
		res = ImportResult{}
		aux, ok := store.AuxOf(tx)
		if !ok {
			return errors.New("this index cannot store advisories")
		}
		touched := map[[2]string]bool{}
		note := func(db *advisory.DB, a *advisory.OSV) {
			for _, k := range db.Packages(a) {
				touched[k] = true
			}
		}
		for _, id := range remove {
			if a, ok := old.Get(id); ok {
				note(old, a)
				res.Removed++
			}
			if err := aux.AuxDelete(advisoryNS, id); err != nil {
				return err
			}
		}
		for i, a := range parsed {
			prev, err := aux.AuxGet(advisoryNS, a.ID)
			switch {
			case err == nil && bytes.Equal(prev, compact[i]):
				res.Unchanged++
				continue
			case err == nil:
				res.Updated++
				if pa, ok := old.Get(a.ID); ok {
					note(old, pa)
				}
			case errors.Is(err, store.ErrNotFound):
				res.Imported++
			default:
				return err
			}
			if err := aux.AuxPut(advisoryNS, a.ID, compact[i]); err != nil {
				return err
			}
		}
		var all []advisory.OSV
		if err := aux.AuxScan(advisoryNS, "", func(_ string, raw []byte) error {
			a, err := advisory.Parse(raw)
			if err == nil {
				all = append(all, a)
			}
			return err
		}); err != nil {
			return err
		}
		db := advisory.NewDB(all, p.normalizeName)
		for i := range parsed {
			if a, ok := db.Get(parsed[i].ID); ok {
				if len(db.Packages(a)) == 0 {
					res.Ignored++
				}
				note(db, a)
			}
		}
		// Swap before the rematch so a publish committed right after this
		// transaction already sees the new database.
		p.advisories.Store(db)
		swapped = true
		flagged, cleared, err := p.rematch(tx, touched)
		res.Flagged, res.Cleared = flagged, cleared
		return err
	})
	if err != nil {
		if swapped {
			p.advisories.Store(old)
		}
		return ImportResult{}, fmt.Errorf("import advisories: %w", err)
	}
	return res, nil
}

// rematch recomputes the advisories of every version of the packages in
// touched (ecosystem, canonical name), in every org, and of every version
// of a ContentLister ecosystem that lists contents (image SBOMs: their
// packages are not indexed by name, so every such version is matched
// again on each import that touches any package — a scan of those
// ecosystems' versions per import).
func (p *Pipeline) rematch(tx store.Tx, touched map[[2]string]bool) (flagged, cleared int, err error) {
	if len(touched) == 0 {
		return 0, 0, nil
	}
	orgs, err := tx.OrgList()
	if err != nil {
		return 0, 0, err
	}
	var keys []store.PackageKey
	for _, o := range orgs {
		for k := range touched {
			keys = append(keys, store.PackageKey{Ecosystem: k[0], Org: o.Name, Name: k[1]})
		}
	}
	for name, e := range p.Ecosystems {
		if _, ok := e.(ContentLister); !ok {
			continue
		}
		pkgs, err := tx.PackageList(store.PackageFilter{Ecosystem: name})
		if err != nil {
			return 0, 0, err
		}
		for _, pkg := range pkgs {
			keys = append(keys, pkg.PackageKey)
		}
	}
	now := time.Now().UTC()
	for _, key := range keys {
		f, c, err := p.rematchPackage(tx, key, now)
		if err != nil {
			return 0, 0, err
		}
		flagged += f
		cleared += c
	}
	return flagged, cleared, nil
}

// rematchPackage recomputes the advisories of every live version of key.
func (p *Pipeline) rematchPackage(tx store.Tx, key store.PackageKey, now time.Time) (flagged, cleared int, err error) {
	pkg, err := tx.Package(key)
	if errors.Is(err, store.ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	vs, err := tx.Versions(key)
	if err != nil {
		return 0, 0, err
	}
	changed := false
	for _, v := range vs {
		if v.IsDeleted() {
			continue
		}
		before := v.Advisories
		newly := p.matchVersion(&v)
		if sameRefs(before, v.Advisories) {
			continue
		}
		changed = true
		if len(newly) == 0 {
			cleared++
		}
		if err := tx.PutVersion(v); err != nil {
			return 0, 0, err
		}
		if len(newly) > 0 {
			flagged++
			e := store.Event{Type: store.EventVulnerable, Ecosystem: key.Ecosystem, Org: key.Org, Repository: pkg.Repo,
				Package: key.Name, Version: v.Version, Time: now, Advisories: newly}
			if _, err := tx.AppendEvent(e); err != nil {
				return 0, 0, err
			}
		}
	}
	if changed {
		pkg.Rev++
		pkg.Updated = now
		if err := tx.PutPackage(pkg); err != nil {
			return 0, 0, err
		}
	}
	return flagged, cleared, nil
}

func sameRefs(a, b []store.AdvisoryRef) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Severity != b[i].Severity || !slices.Equal(a[i].Fixed, b[i].Fixed) || a[i].Summary != b[i].Summary {
			return false
		}
	}
	return true
}

// BumpOrg moves the revision of every package of org, so rendered
// metadata (whose marks depend on org settings such as vulnerability
// blocking) is rebuilt. It runs inside the caller's transaction.
func BumpOrg(tx store.Tx, org string) error {
	pkgs, err := tx.PackageList(store.PackageFilter{Org: org})
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	for _, pkg := range pkgs {
		pkg.Rev++
		pkg.Updated = now
		if err := tx.PutPackage(pkg); err != nil {
			return err
		}
	}
	return nil
}
