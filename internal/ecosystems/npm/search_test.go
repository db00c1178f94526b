package npm

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/drok-dev/drok/internal/store"
)

// countingIndex counts the version lists read through it.
type countingIndex struct {
	store.Index
	versions atomic.Int64
}

type countingTx struct {
	store.Tx
	n *atomic.Int64
}

func (t countingTx) Versions(k store.PackageKey) ([]store.Version, error) {
	t.n.Add(1)
	return t.Tx.Versions(k)
}

func (c *countingIndex) View(ctx context.Context, fn func(store.Tx) error) error {
	return c.Index.View(ctx, func(tx store.Tx) error { return fn(countingTx{tx, &c.versions}) })
}

type searchResult struct {
	Objects []struct {
		Package struct {
			Name, Version, Description string
		}
	}
	Total int
}

func (te *testEnv) search(t *testing.T, query string) searchResult {
	t.Helper()
	w := te.do(alice, http.MethodGet, "-/v1/search?"+query, nil, nil)
	var res searchResult
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &res) != nil {
		t.Fatalf("search %s: %d %s", query, w.Code, w.Body)
	}
	return res
}

// TestSearchReadsOnlyPackageRecords: a search must not decode the version
// manifests of every package on every request; each package's entry is
// derived once per revision.
func TestSearchReadsOnlyPackageRecords(t *testing.T) {
	te := newTestEnv(t)
	idx := &countingIndex{Index: te.env.Pipeline.Index}
	te.env.Pipeline.Index = idx
	for _, n := range []string{"alpha", "beta", "gamma"} {
		for _, v := range []string{"1.0.0", "1.1.0"} {
			if w := te.do(alice, http.MethodPut, n, publishBody(t, n, v), nil); w.Code != http.StatusCreated {
				t.Fatalf("publish %s@%s: %d %s", n, v, w.Code, w.Body)
			}
		}
	}
	if res := te.search(t, "text=a"); res.Total != 3 || res.Objects[0].Package.Version != "1.1.0" {
		t.Fatalf("first search: %+v", res)
	}
	idx.versions.Store(0)
	for range 5 {
		if res := te.search(t, "text=a"); res.Total != 3 {
			t.Fatalf("search: %+v", res)
		}
	}
	if n := idx.versions.Load(); n != 0 {
		t.Fatalf("5 repeated searches read %d version lists, want 0", n)
	}
	// a change to one package re-derives that package only
	if w := te.do(alice, http.MethodPut, "beta", publishBody(t, "beta", "2.0.0"), nil); w.Code != http.StatusCreated {
		t.Fatalf("publish: %d", w.Code)
	}
	idx.versions.Store(0)
	res := te.search(t, "text=beta")
	if res.Total != 1 || res.Objects[0].Package.Version != "2.0.0" {
		t.Fatalf("search after publish: %+v", res)
	}
	if n := idx.versions.Load(); n != 1 {
		t.Fatalf("search after one publish read %d version lists, want 1", n)
	}
	// a deleted package disappears
	if err := te.env.Pipeline.DeletePackage(context.Background(), alice, store.PackageKey{Ecosystem: "npm", Org: "acme", Name: "gamma"}); err != nil {
		t.Fatal(err)
	}
	if res := te.search(t, "text=a"); res.Total != 2 {
		t.Fatalf("search after delete: %+v", res)
	}
}

// TestSearchPaging: from and size are clamped like npm's registry does;
// a huge from used to overflow from+size and panic.
func TestSearchPaging(t *testing.T) {
	te := newTestEnv(t)
	for _, n := range []string{"p1", "p2", "p3"} {
		if w := te.do(alice, http.MethodPut, n, publishBody(t, n, "1.0.0"), nil); w.Code != http.StatusCreated {
			t.Fatalf("publish %s: %d", n, w.Code)
		}
	}
	for _, tt := range []struct {
		query string
		n     int
	}{
		{"text=p&from=9223372036854775807", 0},
		{"text=p&from=9223372036854775807&size=9223372036854775807", 0},
		{"text=p&from=2&size=9223372036854775807", 1},
		{"text=p&from=-5&size=-5", 1},
		{"text=p&from=1&size=1000", 2},
		{"text=p&from=99999999999999999999999", 3},
		{"text=p&size=0", 1},
	} {
		if res := te.search(t, tt.query); res.Total != 3 || len(res.Objects) != tt.n {
			t.Errorf("%s: %d of %d objects, want %d of 3", tt.query, len(res.Objects), res.Total, tt.n)
		}
	}
}

// TestSearchEntryBounded: what search keeps per package is bounded
// whatever the manifest holds.
func TestSearchEntryBounded(t *testing.T) {
	meta := `{"name":"big","version":"1.0.0","description":"` + strings.Repeat("é", 5000) + `","keywords":["` +
		strings.Repeat(`k","`, 500) + strings.Repeat("x", 100) + `"],"homepage":"https://h.test/` + strings.Repeat("z", 5000) + `"}`
	p := newVersionIndex(store.Package{PackageKey: store.PackageKey{Name: "big"}, Tags: map[string]string{"latest": "1.0.0"}},
		[]store.Version{testVersion("big", "1.0.0", meta)}, "", "")
	e := newSearchEntry(p)
	if !e.live || len(e.pkg.Description) > 1024 || !strings.HasPrefix(e.pkg.Description, "éé") || len(e.pkg.Keywords) != 32 || e.pkg.Links["homepage"] != "" {
		t.Fatalf("entry: desc %d bytes, %d keywords, links %v", len(e.pkg.Description), len(e.pkg.Keywords), e.pkg.Links)
	}
	if e.size > 8<<10 {
		t.Fatalf("entry size %d", e.size)
	}
}
