package pypi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// jsonAPIFile is one file of the warehouse-style JSON API.
type jsonAPIFile struct {
	Filename       string            `json:"filename"`
	URL            string            `json:"url"`
	Digests        map[string]string `json:"digests"`
	Size           int64             `json:"size"`
	PackageType    Kind              `json:"packagetype"`
	RequiresPython *string           `json:"requires_python"`
	Yanked         bool              `json:"yanked"`
	YankedReason   *string           `json:"yanked_reason"`
	UploadTime     string            `json:"upload_time_iso_8601"`
}

// jsonVuln is one advisory of a release in the warehouse JSON API shape
// (id, aliases, summary, fixed_in, …), plus drok's severity and whether
// the org's policy blocks the release for it.
type jsonVuln struct {
	ID        string   `json:"id"`
	Source    string   `json:"source"`
	Aliases   []string `json:"aliases"`
	Summary   string   `json:"summary"`
	Details   *string  `json:"details"`
	FixedIn   []string `json:"fixed_in"`
	Link      *string  `json:"link"`
	Withdrawn *string  `json:"withdrawn"`
	Severity  string   `json:"severity"`
	Blocked   bool     `json:"blocked"`
}

// vulnerabilities lists the advisories flagging v ([] when none).
func vulnerabilities(s store.OrgSettings, v store.Version) []jsonVuln {
	blocking := ecosystems.Blocking(s, v)
	out := make([]jsonVuln, 0, len(v.Advisories))
	for _, a := range v.Advisories {
		j := jsonVuln{ID: a.ID, Source: "osv", Aliases: a.Aliases, Summary: a.Summary, FixedIn: a.Fixed, Severity: a.Severity,
			Blocked: slices.ContainsFunc(blocking, func(b store.AdvisoryRef) bool { return b.ID == a.ID })}
		if j.Aliases == nil {
			j.Aliases = []string{}
		}
		if j.FixedIn == nil {
			j.FixedIn = []string{}
		}
		out = append(out, j)
	}
	return out
}

// projectJSON serves pypi/{project}/json and pypi/{project}/{version}/json
// in the shape of the warehouse JSON API (info, releases, urls,
// vulnerabilities of the shown version). The project document also has
// release_vulnerabilities: the advisories of every flagged release.
// Releases the org's policy blocks are marked yanked, as on the simple
// pages.
func (h *handler) projectJSON(q *request) {
	k := q.key()
	res, err := h.env.Pipeline.Resolve(q.ctx, q.pr, k)
	if err != nil {
		h.fail(q, err)
		return
	}
	releases := map[string][]jsonAPIFile{}
	releaseVulns := map[string][]jsonVuln{}
	var chosen *store.Version
	live := res.Live()
	// Blocked releases count as yanked, as on the simple pages.
	for i := range live {
		if r := blockedReason(res.Settings, k.Name, live[i]); r != "" {
			live[i].Yanked, live[i].YankReason = true, r
		}
	}
	for i := range live {
		v := &live[i]
		if len(v.Advisories) > 0 {
			releaseVulns[v.Version] = vulnerabilities(res.Settings, *v)
		}
		vm := decodeVersionMeta(v.Meta)
		files := []jsonAPIFile{}
		for _, f := range v.Files {
			fm, ok := vm.Files[f.Name]
			if !ok {
				fm.RequiresPython = vm.RequiresPython
			}
			jf := jsonAPIFile{Filename: f.Name, Digests: map[string]string{"sha256": f.SHA256}, Size: f.Size, PackageType: fm.Kind,
				Yanked: v.Yanked, UploadTime: f.Uploaded.UTC().Format(uploadTimeFormat),
				URL: h.env.BaseURL + "/api/v1/packages/pypi/" + q.org + "/files/" + url.PathEscape(k.Name) + "/" + url.PathEscape(v.Version) + "/" + url.PathEscape(f.Name)}
			if fm.RequiresPython != "" {
				rp := fm.RequiresPython
				jf.RequiresPython = &rp
			}
			if v.Yanked {
				r := v.YankReason
				jf.YankedReason = &r
			}
			files = append(files, jf)
		}
		releases[v.Version] = files
		switch {
		case q.route.Version != "":
			if v.Version == q.route.Version {
				chosen = v
			}
		case chosen == nil:
			chosen = v
		case chosen.Yanked && !v.Yanked, chosen.Yanked == v.Yanked && preferNewer(chosen.Version, v.Version):
			chosen = v
		}
	}
	if chosen == nil {
		ecosystems.WriteText(q.w, http.StatusNotFound, fmt.Sprintf("project %s has no version %s", k.Name, truncate(q.route.Version)))
		return
	}
	vm := decodeVersionMeta(chosen.Meta)
	out := map[string]any{
		"info": map[string]any{
			"name": res.Package.DisplayName, "version": chosen.Version, "summary": vm.Summary,
			"requires_python": vm.RequiresPython, "yanked": chosen.Yanked, "yanked_reason": nilIfEmpty(chosen.YankReason),
			"package_url": h.env.BaseURL + "/api/v1/packages/pypi/" + q.org + "/simple/" + k.Name + "/",
		},
		"last_serial":     res.Package.Rev,
		"urls":            releases[chosen.Version],
		"vulnerabilities": vulnerabilities(res.Settings, *chosen),
	}
	if q.route.Version == "" {
		out["releases"] = releases
		out["release_vulnerabilities"] = releaseVulns
	}
	b, _ := json.Marshal(out)
	q.w.Header().Set("Content-Type", "application/json")
	q.w.Header().Set("X-Content-Type-Options", "nosniff")
	q.w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	q.w.WriteHeader(http.StatusOK)
	if q.r.Method != http.MethodHead {
		_, _ = q.w.Write(b)
	}
}

// preferNewer reports whether candidate should replace cur as the
// project's current version: final releases beat pre-releases, then the
// higher PEP 440 version wins.
func preferNewer(cur, candidate string) bool {
	cp, np := IsPrerelease(cur), IsPrerelease(candidate)
	if cp != np {
		return cp
	}
	return CompareVersions(candidate, cur) > 0
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
