package npm

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// Search limits: npm's registry clamps size to [1, 250].
const (
	maxSearchSize   = 250
	searchCacheSize = 32 << 20 // approximate bytes of cached search entries
)

// search serves GET -/v1/search?text=&size=&from= over the org's npm
// packages that the caller may read. Each package costs a map lookup: its
// search entry is derived once per package revision (see searchEntryOf),
// never by decoding every version manifest per request.
func (h *handler) search(q *request) {
	qs := q.r.URL.Query()
	size := min(max(atoiDefault(qs.Get("size"), 20), 1), maxSearchSize)
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
			e, err := h.searchEntryOf(tx, pkg)
			if err != nil {
				return err
			}
			if e.live {
				if score := query.Score(e.cand); score > 0 {
					hits = append(hits, e.object(score))
				}
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
	from = min(from, total)
	page := hits[from : from+min(size, total-from)]
	writeJSON(q.w, http.StatusOK, map[string]any{
		"objects": append([]searchObject{}, page...),
		"total":   total,
		"time":    time.Now().UTC().Format(time.RFC1123),
	})
}

// searchEntry is what search knows of a package at one revision: the
// latest version's description, keywords and links plus the version list
// facts, with every string bounded. It does not depend on the caller.
type searchEntry struct {
	rev  int64
	live bool // false when every version is deleted
	cand SearchCandidate
	pkg  searchPackage
	size int64
}

// object renders e as a search result with score.
func (e *searchEntry) object(score float64) searchObject {
	var o searchObject
	o.Package = e.pkg
	o.Score.Final = score
	o.Score.Detail = map[string]float64{"quality": 1, "popularity": 1, "maintenance": 1}
	o.SearchScore = score
	return o
}

// searchEntryOf returns pkg's search entry at its current revision: from
// the search cache, else from the cached packument state of the same
// revision, else from the version records, decoding only the latest
// version's manifest.
func (h *handler) searchEntryOf(tx store.Tx, pkg store.Package) (*searchEntry, error) {
	k := pkg.PackageKey
	if e, rev, ok := h.searches.Get(k); ok && rev == pkg.Rev {
		return e, nil
	}
	var p *Packument
	if st, rev, ok := h.cache.Get(k); ok && rev == pkg.Rev {
		p = st.doc
	} else {
		vs, err := tx.Versions(k)
		if err != nil {
			return nil, err
		}
		p = newVersionIndex(pkg, vs, "", "")
	}
	e := newSearchEntry(p)
	h.searches.Put(k, e, e.rev, e.size)
	return e, nil
}

// newSearchEntry builds a search entry; p's manifests need not be decoded.
func newSearchEntry(p *Packument) *searchEntry {
	e := &searchEntry{rev: p.pkg.Rev, size: 256}
	if p.Empty() {
		return e
	}
	e.live = true
	ver := p.Latest()
	if ver == "" {
		ver = p.live[len(p.live)-1].Version
	}
	v, _ := p.Find(ver)
	var meta struct {
		Description, Keywords, Homepage, Bugs, Repository json.RawMessage
	}
	_ = json.Unmarshal(v.Meta, &meta)
	var desc string
	var kws []string
	_ = json.Unmarshal(meta.Description, &desc)
	_ = json.Unmarshal(meta.Keywords, &kws)
	desc = truncateUTF8(desc, 1024)
	var keep []string
	for _, k := range kws {
		if k != "" && len(k) <= 64 && len(keep) < 32 {
			keep = append(keep, k)
		}
	}
	scope := Scope(p.pkg.Name)
	if scope == "" {
		scope = "unscoped"
	}
	links := map[string]string{}
	for k, raw := range map[string]json.RawMessage{"homepage": meta.Homepage, "bugs": meta.Bugs, "repository": meta.Repository} {
		if u := linkOf(raw); u != "" && len(u) <= 1024 {
			links[k] = u
			e.size += int64(len(u))
		}
	}
	maint := []map[string]string{}
	for _, m := range p.maintainers() {
		if len(maint) == 32 {
			break
		}
		maint = append(maint, map[string]string{"username": m.Name})
		e.size += int64(len(m.Name)) + 64
	}
	e.cand = SearchCandidate{Name: p.pkg.Name, Description: desc, Keywords: keep, Publisher: v.Publisher}
	e.pkg = searchPackage{Name: p.pkg.Name, Scope: scope, Version: ver, Description: desc, Keywords: keep,
		Date: npmTime(v.Published), Links: links, Maintainers: maint}
	if v.Publisher != "" {
		e.pkg.Publisher = map[string]string{"username": v.Publisher}
	}
	e.size += int64(2*len(p.pkg.Name)+len(desc)) + int64(len(keep))*80
	return e
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for i := 0; i < utf8.UTFMax && len(s) > 0 && !utf8.ValidString(s[max(0, len(s)-utf8.UTFMax):]); i++ {
		s = s[:len(s)-1]
	}
	return s
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
