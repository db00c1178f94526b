package npm

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// Limits of a bulk advisory request.
const (
	maxBulkBody     = 8 << 20
	maxBulkPackages = 20_000
)

// bulkAdvisory is one advisory in npm's bulk advisory format, as
// @npmcli/arborist reads it.
type bulkAdvisory struct {
	ID                 string   `json:"id"`
	URL                string   `json:"url"`
	Title              string   `json:"title"`
	Severity           string   `json:"severity"`
	VulnerableVersions string   `json:"vulnerable_versions"`
	CWE                []string `json:"cwe"`
	CVSS               bulkCVSS `json:"cvss"`
}

type bulkCVSS struct {
	Score        float64 `json:"score"`
	VectorString *string `json:"vectorString"`
}

// advisoriesBulk serves POST -/npm/v1/security/advisories/bulk, the
// request of `npm audit` (and of the audit after `npm install`): a
// (possibly gzip-compressed) JSON object {name: [versions]} answered with
// {name: [advisory]} for the advisories drok matched to any of those
// versions. vulnerable_versions lists the package's versions each
// advisory flags ("1.0.0 || 1.5.0"). Packages the caller cannot read are
// left out, as are unknown ones.
func (h *handler) advisoriesBulk(q *request) {
	var body io.Reader = http.MaxBytesReader(q.w, q.r.Body, maxBulkBody)
	if strings.EqualFold(q.r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(body)
		if err != nil {
			writeError(q.w, http.StatusBadRequest, "the request body is not valid gzip: "+err.Error())
			return
		}
		defer zr.Close()
		body = io.LimitReader(zr, maxBulkBody)
	}
	var req map[string][]string
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.fail(q, err, true)
			return
		}
		writeError(q.w, http.StatusBadRequest, "the body must be a JSON object {\"name\": [\"version\", ...]}: "+err.Error())
		return
	}
	if len(req) > maxBulkPackages {
		writeError(q.w, http.StatusRequestEntityTooLarge, fmt.Sprintf("an audit may name at most %d packages", maxBulkPackages))
		return
	}
	out := map[string][]bulkAdvisory{}
	for name, versions := range req {
		if ValidateName(name) != nil || len(versions) == 0 {
			continue
		}
		k := store.PackageKey{Ecosystem: ecosystems.NPM, Org: q.org, Name: name}
		res, err := h.env.Pipeline.Resolve(q.ctx, q.pr, k)
		if err != nil {
			if ecosystems.HTTPStatus(err) == http.StatusInternalServerError {
				h.fail(q, err, true)
				return
			}
			continue // not found or not visible: nothing to report
		}
		if advs := h.bulkAdvisories(res, versions); len(advs) > 0 {
			out[name] = advs
		}
	}
	writeJSON(q.w, http.StatusOK, out)
}

// bulkAdvisories returns the advisories of res that flag one of versions.
func (h *handler) bulkAdvisories(res ecosystems.Resolved, versions []string) []bulkAdvisory {
	type agg struct {
		ref      store.AdvisoryRef
		versions []string
		asked    bool
	}
	byID := map[string]*agg{}
	var order []string
	for _, v := range res.Live() {
		for _, a := range v.Advisories {
			g, ok := byID[a.ID]
			if !ok {
				g = &agg{ref: a}
				byID[a.ID] = g
				order = append(order, a.ID)
			}
			g.versions = append(g.versions, v.Version)
			if slices.Contains(versions, v.Version) {
				g.asked = true
			}
		}
	}
	slices.Sort(order)
	var out []bulkAdvisory
	for _, id := range order {
		g := byID[id]
		if !g.asked {
			continue
		}
		slices.SortFunc(g.versions, CompareVersions)
		title := g.ref.Summary
		if title == "" {
			title = id
		}
		out = append(out, bulkAdvisory{
			ID: id, URL: h.env.BaseURL + "/api/v1/advisories/" + url.PathEscape(id), Title: title,
			Severity: npmSeverity(g.ref.Severity), VulnerableVersions: strings.Join(g.versions, " || "),
			CWE: []string{},
		})
	}
	return out
}

// npmSeverity maps drok's severities to npm's (info, low, moderate,
// high, critical); an unknown severity is reported as high, the default
// npm itself assumes.
func npmSeverity(s string) string {
	switch s {
	case "low", "moderate", "high", "critical":
		return s
	}
	return "high"
}
