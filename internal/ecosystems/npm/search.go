package npm

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// SearchQuery is a parsed npm search text: free words plus the qualifiers
// npm understands (keywords:, scope:, author:/maintainer:).
type SearchQuery struct {
	Words    []string
	Keywords []string
	Scope    string
	Author   string
}

// ParseSearchText splits npm's search text into words and qualifiers
// (lower-cased).
func ParseSearchText(text string) SearchQuery {
	var q SearchQuery
	for _, f := range strings.Fields(strings.ToLower(text)) {
		k, v, ok := strings.Cut(f, ":")
		switch {
		case ok && k == "keywords":
			q.Keywords = append(q.Keywords, strings.Split(v, ",")...)
		case ok && k == "scope":
			q.Scope = strings.TrimPrefix(v, "@")
		case ok && (k == "author" || k == "maintainer"):
			q.Author = v
		case ok && (k == "not" || k == "is" || k == "boost-exact"):
		default:
			q.Words = append(q.Words, f)
		}
	}
	return q
}

// SearchCandidate is what a search matches against.
type SearchCandidate struct {
	Name, Description, Publisher string
	Keywords                     []string
}

// Score returns how well c matches q in [0, 1]; 0 means no match. An
// empty query matches everything with a low score.
func (q SearchQuery) Score(c SearchCandidate) float64 {
	if q.Scope != "" && Scope(c.Name) != q.Scope {
		return 0
	}
	if q.Author != "" && !strings.EqualFold(c.Publisher, q.Author) {
		return 0
	}
	kws := make([]string, len(c.Keywords))
	for i, k := range c.Keywords {
		kws[i] = strings.ToLower(k)
	}
	for _, k := range q.Keywords {
		if !slices.Contains(kws, k) {
			return 0
		}
	}
	if len(q.Words) == 0 {
		return 0.5
	}
	desc := strings.ToLower(c.Description)
	total := 0.0
	for _, w := range q.Words {
		s := 0.0
		switch {
		case c.Name == w || Basename(c.Name) == w:
			s = 1
		case strings.Contains(c.Name, w):
			s = 0.8
		case slices.Contains(kws, w):
			s = 0.6
		case strings.Contains(desc, w):
			s = 0.4
		}
		if s == 0 {
			return 0
		}
		total += s
	}
	return total / float64(len(q.Words))
}

type searchPackage struct {
	Name        string              `json:"name"`
	Scope       string              `json:"scope"`
	Version     string              `json:"version"`
	Description string              `json:"description,omitempty"`
	Keywords    []string            `json:"keywords,omitempty"`
	Date        string              `json:"date"`
	Links       map[string]string   `json:"links"`
	Publisher   map[string]string   `json:"publisher,omitempty"`
	Maintainers []map[string]string `json:"maintainers"`
}

type searchObject struct {
	Package searchPackage `json:"package"`
	Score   struct {
		Final  float64            `json:"final"`
		Detail map[string]float64 `json:"detail"`
	} `json:"score"`
	SearchScore float64 `json:"searchScore"`
}

// search serves GET -/v1/search?text=&size=&from= over the org's npm
// packages that the caller may read.
func (h *handler) search(q *request) {
	qs := q.r.URL.Query()
	size := atoiDefault(qs.Get("size"), 20)
	size = min(max(size, 1), 250)
	from := max(atoiDefault(qs.Get("from"), 0), 0)
	query := ParseSearchText(qs.Get("text"))
	var hits []searchObject
	err := h.env.Pipeline.Index.View(q.ctx, func(tx store.Tx) error {
		pkgs, err := tx.PackageList(store.PackageFilter{Ecosystem: ecosystems.NPM, Org: q.org})
		if err != nil {
			return err
		}
		for _, pkg := range pkgs {
			if ecosystems.Authorize(tx, q.pr, ecosystems.Read, pkg.PackageKey) != nil {
				continue
			}
			vs, err := tx.Versions(pkg.PackageKey)
			if err != nil {
				return err
			}
			if hit, ok := searchHit(query, NewPackument(pkg, vs, "", h.registry(q.org))); ok {
				hits = append(hits, hit)
			}
		}
		return nil
	})
	if err != nil {
		h.fail(q, err, true)
		return
	}
	slices.SortStableFunc(hits, func(a, b searchObject) int {
		if a.SearchScore != b.SearchScore {
			if a.SearchScore > b.SearchScore {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Package.Name, b.Package.Name)
	})
	total := len(hits)
	page := hits[min(from, total):min(from+size, total)]
	writeJSON(q.w, http.StatusOK, map[string]any{
		"objects": append([]searchObject{}, page...),
		"total":   total,
		"time":    time.Now().UTC().Format(time.RFC1123),
	})
}

// searchHit renders one package for the search answer when it matches.
func searchHit(query SearchQuery, p *Packument) (searchObject, bool) {
	var o searchObject
	if p.Empty() {
		return o, false
	}
	ver := p.Latest()
	if ver == "" {
		ver = p.live[len(p.live)-1].Version
	}
	v, _ := p.Find(ver)
	meta := p.metas[ver]
	var desc string
	var kws []string
	_ = json.Unmarshal(meta["description"], &desc)
	_ = json.Unmarshal(meta["keywords"], &kws)
	score := query.Score(SearchCandidate{Name: p.pkg.Name, Description: desc, Keywords: kws, Publisher: v.Publisher})
	if score == 0 {
		return o, false
	}
	scope := Scope(p.pkg.Name)
	if scope == "" {
		scope = "unscoped"
	}
	links := map[string]string{}
	for _, k := range []string{"homepage", "bugs", "repository"} {
		if u := linkOf(meta[k]); u != "" {
			links[k] = u
		}
	}
	maint := []map[string]string{}
	for _, m := range p.maintainers() {
		maint = append(maint, map[string]string{"username": m.Name})
	}
	o.Package = searchPackage{Name: p.pkg.Name, Scope: scope, Version: ver, Description: desc, Keywords: kws,
		Date: npmTime(v.Published), Links: links, Maintainers: maint}
	if v.Publisher != "" {
		o.Package.Publisher = map[string]string{"username": v.Publisher}
	}
	o.Score.Final = score
	o.Score.Detail = map[string]float64{"quality": 1, "popularity": 1, "maintenance": 1}
	o.SearchScore = score
	return o, true
}

// linkOf reads a URL from a string or {"url": ...} manifest field.
func linkOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		return obj.URL
	}
	return ""
}

func atoiDefault(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}
