package nuget

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/advisory"
)

// pageSize is the number of versions per registration page; indexes of
// packages with at most this many versions inline their only page.
const pageSize = 128

// unlistedDate is the publish date older clients read as "unlisted".
var unlistedDate = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// urls builds the absolute URLs of one org's feed.
type urls struct{ root string } // ends with '/'

func (u urls) publish() string       { return u.root + "api/v2/package" }
func (u urls) symbolPublish() string { return u.root + "api/v2/symbolpackage" }
func (u urls) flat() string          { return u.root + "v3/flatcontainer/" }
func (u urls) registrations() string { return u.root + "v3/registration/" }
func (u urls) regIndex(id string) string {
	return u.registrations() + strings.ToLower(id) + "/index.json"
}
func (u urls) regLeaf(id, key string) string {
	return u.registrations() + strings.ToLower(id) + "/" + key + ".json"
}
func (u urls) regPage(id, lo, hi string) string {
	return u.registrations() + strings.ToLower(id) + "/page/" + lo + "/" + hi + ".json"
}
func (u urls) nupkg(id, key string) string {
	lid := strings.ToLower(id)
	return u.flat() + lid + "/" + key + "/" + lid + "." + key + ".nupkg"
}

// advisory is the URL of drok's copy of an advisory (its OSV record).
func (u urls) advisory(id string) string {
	base := u.root
	if i := strings.Index(base, "/api/v1/packages/"); i >= 0 {
		base = base[:i]
	}
	return base + "/api/v1/advisories/" + url.PathEscape(id)
}

func (u urls) v2Download(id, version string) string {
	return u.root + "api/v2/package/" + id + "/" + version
}

// ServiceIndex renders the v3 service index of the feed at root.
func ServiceIndex(root string) []byte {
	u := urls{root}
	type res struct {
		ID      string `json:"@id"`
		Type    string `json:"@type"`
		Comment string `json:"comment,omitempty"`
	}
	var rs []res
	add := func(id, comment string, types ...string) {
		for _, t := range types {
			rs = append(rs, res{id, t, comment})
		}
	}
	add(u.publish(), "Push (PUT), unlist (DELETE {id}/{version}) and relist (POST {id}/{version}) packages", "PackagePublish/2.0.0")
	add(u.symbolPublish(), "Push symbol packages (.snupkg)", "SymbolPackagePublish/4.9.0")
	add(u.flat(), "Package versions and contents (flat container)", "PackageBaseAddress/3.0.0")
	add(u.registrations(), "Package metadata (registrations, SemVer 2.0 included)", "RegistrationsBaseUrl",
		"RegistrationsBaseUrl/3.0.0-rc", "RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl/3.4.0", "RegistrationsBaseUrl/3.6.0")
	add(u.root+"v3/search", "Search packages", "SearchQueryService",
		"SearchQueryService/3.0.0-beta", "SearchQueryService/3.0.0-rc", "SearchQueryService/3.5.0")
	add(u.root+"v3/autocomplete", "Autocomplete package ids and versions", "SearchAutocompleteService",
		"SearchAutocompleteService/3.0.0-beta", "SearchAutocompleteService/3.0.0-rc", "SearchAutocompleteService/3.5.0")
	add(u.root, "The NuGet v2 (OData) feed", "LegacyGallery", "LegacyGallery/2.0.0")
	b, _ := json.Marshal(map[string]any{
		"version":   "3.0.0",
		"resources": rs,
	})
	return b
}

// flatIndex renders {id}/index.json: every live version, listed or not
// (an exact version still restores), lower-case and normalised.
func (pv *pkgView) flatIndex() []byte {
	vs := make([]string, 0, len(pv.vers))
	for _, vv := range pv.vers {
		vs = append(vs, vv.key)
	}
	b, _ := json.Marshal(map[string][]string{"versions": vs})
	return b
}

type regDependency struct {
	ID           string `json:"@id"`
	Type         string `json:"@type"`
	PackageID    string `json:"id"`
	Range        string `json:"range"`
	Registration string `json:"registration"`
}

type regDependencyGroup struct {
	ID              string          `json:"@id"`
	Type            string          `json:"@type"`
	TargetFramework string          `json:"targetFramework,omitempty"`
	Dependencies    []regDependency `json:"dependencies,omitempty"`
}

type regDeprecation struct {
	ID      string   `json:"@id"`
	Reasons []string `json:"reasons"`
	Message string   `json:"message,omitempty"`
}

type catalogEntry struct {
	ID                       string               `json:"@id"`
	Type                     string               `json:"@type"`
	Authors                  string               `json:"authors"`
	DependencyGroups         []regDependencyGroup `json:"dependencyGroups"`
	Deprecation              *regDeprecation      `json:"deprecation,omitempty"`
	Description              string               `json:"description"`
	IconURL                  string               `json:"iconUrl"`
	PackageID                string               `json:"id"`
	Language                 string               `json:"language"`
	LicenseExpression        string               `json:"licenseExpression"`
	LicenseURL               string               `json:"licenseUrl"`
	Listed                   bool                 `json:"listed"`
	MinClientVersion         string               `json:"minClientVersion"`
	PackageContent           string               `json:"packageContent"`
	ProjectURL               string               `json:"projectUrl"`
	Published                string               `json:"published"`
	RequireLicenseAcceptance bool                 `json:"requireLicenseAcceptance"`
	Summary                  string               `json:"summary"`
	Tags                     []string             `json:"tags"`
	Title                    string               `json:"title"`
	Version                  string               `json:"version"`
	Vulnerabilities          []regVulnerability   `json:"vulnerabilities,omitempty"`
}

// regVulnerability is one advisory of a registration leaf's catalog
// entry; NuGet 6.x restore reports it (NU1901-NU1904).
type regVulnerability struct {
	AdvisoryURL string `json:"advisoryUrl"`
	// Severity is NuGet's level as a string, as the public gallery writes it: "0" low,
	// "1" moderate, "2" high, "3" critical.
	Severity string `json:"severity"`
}

// nugetSeverity maps an advisory severity to NuGet's level; an unknown
// severity counts as moderate.
func nugetSeverity(s string) string {
	switch strings.ToLower(s) {
	case advisory.SeverityLow:
		return "0"
	case advisory.SeverityHigh:
		return "2"
	case advisory.SeverityCritical:
		return "3"
	}
	return "1"
}

// vulnerabilities renders the advisories of vv (nil when none).
func (u urls) vulnerabilities(vv *verView) []regVulnerability {
	if len(vv.advisories) == 0 {
		return nil
	}
	out := make([]regVulnerability, len(vv.advisories))
	for i, a := range vv.advisories {
		out[i] = regVulnerability{AdvisoryURL: u.advisory(a.ID), Severity: nugetSeverity(a.Severity)}
	}
	return out
}

type regLeaf struct {
	ID             string        `json:"@id"`
	Type           any           `json:"@type"`
	CatalogEntry   *catalogEntry `json:"catalogEntry,omitempty"`
	Listed         *bool         `json:"listed,omitempty"`
	PackageContent string        `json:"packageContent"`
	Published      string        `json:"published,omitempty"`
	Registration   string        `json:"registration"`
}

type regPage struct {
	ID     string    `json:"@id"`
	Type   string    `json:"@type"`
	Count  int       `json:"count"`
	Items  []regLeaf `json:"items,omitempty"`
	Parent string    `json:"parent,omitempty"`
	Lower  string    `json:"lower"`
	Upper  string    `json:"upper"`
}

func splitTags(s string) []string {
	out := []string{}
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == ';' }) {
		out = append(out, t)
	}
	return out
}

func (vv *verView) publishedString() string {
	if !vv.listed {
		return unlistedDate.Format(time.RFC3339)
	}
	return vv.published.UTC().Format(time.RFC3339Nano)
}

// leaf renders the registration item of vv (inside a page).
func (pv *pkgView) leaf(u urls, vv *verView) regLeaf {
	id := pv.display
	leafURL := u.regLeaf(id, vv.key)
	m := vv.meta
	ce := &catalogEntry{
		ID: leafURL + "#catalogEntry", Type: "PackageDetails", Authors: m.Authors, Description: m.Description,
		IconURL: m.IconURL, PackageID: id, Language: m.Language, LicenseExpression: m.LicenseExpression,
		LicenseURL: m.LicenseURL, Listed: vv.listed, MinClientVersion: m.MinClientVersion,
		PackageContent: u.nupkg(id, vv.key), ProjectURL: m.ProjectURL, Published: vv.publishedString(),
		RequireLicenseAcceptance: m.RequireLicenseAcceptance, Summary: m.Summary, Tags: splitTags(m.Tags),
		Title: m.Title, Version: vv.v.Full(), DependencyGroups: []regDependencyGroup{},
		Vulnerabilities: u.vulnerabilities(vv),
	}
	for i, g := range m.DependencyGroups {
		gid := leafURL + "#dependencygroup/" + strings.ToLower(g.TargetFramework)
		if g.TargetFramework == "" {
			gid = leafURL + "#dependencygroup/" + "any" + strings.Repeat("/", i)
		}
		rg := regDependencyGroup{ID: gid, Type: "PackageDependencyGroup", TargetFramework: g.TargetFramework}
		for _, d := range g.Dependencies {
			rg.Dependencies = append(rg.Dependencies, regDependency{ID: gid + "/" + strings.ToLower(d.ID),
				Type: "PackageDependency", PackageID: d.ID, Range: d.Range, Registration: u.regIndex(d.ID)})
		}
		ce.DependencyGroups = append(ce.DependencyGroups, rg)
	}
	if !vv.listed && vv.yankReason != "" {
		ce.Deprecation = &regDeprecation{ID: leafURL + "#deprecation", Reasons: []string{"Other"}, Message: vv.yankReason}
	}
	return regLeaf{ID: leafURL, Type: "Package", CatalogEntry: ce, PackageContent: ce.PackageContent, Registration: u.regIndex(id)}
}

// pages splits the versions into registration pages.
func (pv *pkgView) pages() [][]*verView {
	var out [][]*verView
	for i := 0; i < len(pv.vers); i += pageSize {
		out = append(out, pv.vers[i:min(i+pageSize, len(pv.vers))])
	}
	return out
}

func (pv *pkgView) page(u urls, vs []*verView, inline bool) regPage {
	lo, hi := vs[0].key, vs[len(vs)-1].key
	p := regPage{Type: "catalog:CatalogPage", Count: len(vs), Lower: vs[0].v.Full(), Upper: vs[len(vs)-1].v.Full(),
		Parent: u.regIndex(pv.display)}
	if inline {
		p.ID = u.regIndex(pv.display) + "#page/" + lo + "/" + hi
		for _, vv := range vs {
			p.Items = append(p.Items, pv.leaf(u, vv))
		}
	} else {
		p.ID = u.regPage(pv.display, lo, hi)
	}
	return p
}

// regIndex renders the registration index: pages inline when the package
// has at most pageSize versions, else links to the pages.
func (pv *pkgView) regIndex(u urls) []byte {
	pages := pv.pages()
	inline := len(pages) <= 1
	items := []regPage{}
	for _, vs := range pages {
		items = append(items, pv.page(u, vs, inline))
	}
	b, _ := json.Marshal(map[string]any{
		"@id":   u.regIndex(pv.display),
		"@type": []string{"catalog:CatalogRoot", "PackageRegistration", "catalog:Permalink"},
		"count": len(items),
		"items": items,
	})
	return b
}

// regPageDoc renders the page bounded by lo and hi (storage keys), or nil.
func (pv *pkgView) regPageDoc(u urls, lo, hi string) []byte {
	for _, vs := range pv.pages() {
		if vs[0].key == strings.ToLower(lo) && vs[len(vs)-1].key == strings.ToLower(hi) {
			p := pv.page(u, vs, true)
			p.ID = u.regPage(pv.display, vs[0].key, vs[len(vs)-1].key)
			b, _ := json.Marshal(p)
			return b
		}
	}
	return nil
}

// regLeafDoc renders the registration leaf of one version.
func (pv *pkgView) regLeafDoc(u urls, vv *verView) []byte {
	l := pv.leaf(u, vv)
	listed := vv.listed
	doc := regLeaf{ID: l.ID, Type: []string{"Package"}, Listed: &listed,
		PackageContent: l.PackageContent, Published: vv.publishedString(), Registration: l.Registration}
	b, _ := json.Marshal(doc)
	return b
}
