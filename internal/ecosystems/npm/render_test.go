package npm

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

func testVersion(name, v string, meta string) store.Version {
	if meta == "" {
		meta = fmt.Sprintf(`{"name":%q,"version":%q,"description":"desc %s","readme":"readme %s","dist":{"shasum":"ab","integrity":"sha512-x"}}`, name, v, v, v)
	}
	return store.Version{
		PackageKey: store.PackageKey{Ecosystem: "npm", Org: "acme", Name: name}, Version: v,
		Published: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Publisher: "alice", Meta: json.RawMessage(meta),
		Files: []store.File{{Name: TarballName(name, v), SHA256: strings.Repeat("a", 64), Size: 10}},
	}
}

func testPackument(tags map[string]string, vs ...store.Version) *Packument {
	pkg := store.Package{PackageKey: store.PackageKey{Ecosystem: "npm", Org: "acme", Name: vs[0].Name}, Tags: tags, Rev: 7,
		Created: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Updated: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}
	return NewPackument(pkg, vs, "public", "http://drok.test/api/v1/packages/npm/acme")
}

func TestDistTagsAndYanks(t *testing.T) {
	yank := func(v store.Version, reason string) store.Version { v.Yanked, v.YankReason = true, reason; return v }
	del := func(v store.Version) store.Version { v.Deleted = time.Now(); return v }
	v := func(s string) store.Version { return testVersion("p", s, "") }
	tests := []struct {
		name   string
		tags   map[string]string
		vs     []store.Version
		latest string
	}{
		{"plain", map[string]string{"latest": "1.2.3"}, []store.Version{v("1.2.2"), v("1.2.3")}, "1.2.3"},
		{"latest yanked", map[string]string{"latest": "1.2.3"}, []store.Version{v("1.2.2"), yank(v("1.2.3"), "")}, "1.2.2"},
		{"latest yanked skips prereleases", map[string]string{"latest": "1.2.3"}, []store.Version{v("1.0.0"), v("2.0.0-rc.1"), yank(v("1.2.3"), "")}, "1.0.0"},
		{"all yanked", map[string]string{"latest": "1.2.3"}, []store.Version{yank(v("1.2.2"), ""), yank(v("1.2.3"), "")}, ""},
		{"only prereleases besides yanked", map[string]string{"latest": "1.2.3"}, []store.Version{v("2.0.0-rc.1"), yank(v("1.2.3"), "")}, ""},
		{"latest deleted", map[string]string{"latest": "1.2.3"}, []store.Version{v("1.0.0"), v("1.1.0"), del(v("1.2.3"))}, "1.1.0"},
		{"no latest, only prerelease", nil, []store.Version{v("1.0.0-rc.1")}, "1.0.0-rc.1"},
		{"explicit prerelease latest kept", map[string]string{"latest": "2.0.0-rc.1"}, []store.Version{v("1.0.0"), v("2.0.0-rc.1")}, "2.0.0-rc.1"},
	}
	for _, tt := range tests {
		p := testPackument(tt.tags, tt.vs...)
		if got := p.Latest(); got != tt.latest {
			t.Errorf("%s: latest = %q, want %q", tt.name, got, tt.latest)
		}
	}
	p := testPackument(map[string]string{"latest": "1.0.0", "gone": "0.9.0", "old": "0.1.0"}, v("0.1.0"), del(v("0.9.0")), yank(v("1.0.0"), "bad"))
	tags := p.DistTags()
	if _, ok := tags["gone"]; ok || tags["old"] != "0.1.0" || tags["latest"] != "0.1.0" {
		t.Fatalf("tags: %v", tags)
	}
}

func TestDeprecation(t *testing.T) {
	v := testVersion("p", "1.0.0", `{"name":"p","version":"1.0.0","deprecated":"use 2"}`)
	if got := Deprecation(v, map[string]json.RawMessage{"deprecated": json.RawMessage(`"use 2"`)}); got != "use 2" {
		t.Fatal(got)
	}
	v.Yanked = true
	if got := Deprecation(v, nil); got != "yanked" {
		t.Fatal(got)
	}
	v.YankReason = "CVE-1"
	if got := Deprecation(v, nil); got != "CVE-1" {
		t.Fatal(got)
	}
	if got := Deprecation(v, map[string]json.RawMessage{"deprecated": json.RawMessage(`"own words"`)}); got != "own words" {
		t.Fatal(got)
	}
}

func TestRenderDocuments(t *testing.T) {
	gone := testVersion("@s/p", "0.1.0", "")
	gone.Deleted = time.Now()
	yanked := testVersion("@s/p", "1.1.0", "")
	yanked.Yanked = true
	p := testPackument(map[string]string{"latest": "1.1.0"},
		gone,
		testVersion("@s/p", "1.0.0", `{"name":"@s/p","version":"1.0.0","description":"one","readme":"R1","dependencies":{"x":"^1"},"scripts":{"t":"x"},"dist":{"shasum":"ab"}}`),
		yanked)
	var full map[string]any
	if err := json.Unmarshal(p.Full(), &full); err != nil {
		t.Fatal(err)
	}
	versions := full["versions"].(map[string]any)
	if len(versions) != 2 || versions["0.1.0"] != nil {
		t.Fatalf("versions: %v", versions)
	}
	v1 := versions["1.0.0"].(map[string]any)
	if v1["dist"].(map[string]any)["tarball"] != "http://drok.test/api/v1/packages/npm/acme/@s/p/-/p-1.0.0.tgz" || v1["readme"] != nil {
		t.Fatalf("1.0.0: %v", v1)
	}
	if versions["1.1.0"].(map[string]any)["deprecated"] != "yanked" || v1["deprecated"] != nil {
		t.Fatal("yanked version must render deprecated")
	}
	tm := full["time"].(map[string]any)
	if full["_id"] != "@s/p" || full["_rev"] != "7" || full["description"] != "one" || full["readme"] != "R1" ||
		tm["created"] != "2025-01-01T00:00:00.000Z" || tm["1.0.0"] != "2025-01-02T03:04:05.000Z" || tm["0.1.0"] != nil {
		t.Fatalf("full: %v", full)
	}
	drok := full["drok"].(map[string]any)
	dv := drok["versions"].([]any)
	if drok["visibility"] != "public" || drok["latest"] != "1.0.0" || len(dv) != 3 || dv[0].(map[string]any)["deleted"] != true {
		t.Fatalf("drok: %v", drok)
	}
	if ms := full["maintainers"].([]any); len(ms) != 1 || ms[0].(map[string]any)["name"] != "alice" {
		t.Fatalf("maintainers: %v", full["maintainers"])
	}
	// keys come in a stable, npm-like order
	if !strings.HasPrefix(string(p.Full()), `{"_id":"@s/p","_rev":"7","name":"@s/p","description":"one","dist-tags":`) {
		t.Fatalf("key order: %.80s", p.Full())
	}

	var corgi map[string]any
	if err := json.Unmarshal(p.Abbreviated(), &corgi); err != nil {
		t.Fatal(err)
	}
	cv := corgi["versions"].(map[string]any)["1.0.0"].(map[string]any)
	if corgi["name"] != "@s/p" || corgi["modified"] != "2025-02-01T00:00:00.000Z" || cv["dependencies"] == nil || cv["scripts"] != nil || cv["description"] != nil || cv["dist"] == nil {
		t.Fatalf("abbreviated: %v", corgi)
	}
	doc, ok := p.VersionDoc("1.1.0")
	if !ok || !strings.Contains(string(doc), `"deprecated":"yanked"`) {
		t.Fatalf("version doc: %s", doc)
	}
	if _, ok := p.VersionDoc("0.1.0"); ok {
		t.Fatal("deleted version rendered")
	}
}

func TestSearchScore(t *testing.T) {
	c := SearchCandidate{Name: "@acme/left-pad", Description: "Pads strings on the LEFT", Keywords: []string{"String", "pad"}, Publisher: "alice"}
	tests := []struct {
		text string
		hit  bool
	}{
		{"", true},
		{"left-pad", true},
		{"left", true},
		{"strings", true},
		{"pad keywords:string", true},
		{"keywords:nope", false},
		{"scope:acme", true},
		{"scope:other", false},
		{"author:alice", true},
		{"author:bob", false},
		{"unrelated", false},
		{"left unrelated", false},
	}
	for _, tt := range tests {
		if got := ParseSearchText(tt.text).Score(c) > 0; got != tt.hit {
			t.Errorf("search %q: hit=%v, want %v", tt.text, got, tt.hit)
		}
	}
	exact := ParseSearchText("left-pad").Score(c)
	partial := ParseSearchText("left").Score(c)
	if exact <= partial {
		t.Errorf("exact name score %v <= partial %v", exact, partial)
	}
}

func TestMarkBlocked(t *testing.T) {
	flag := func(v store.Version, sev string) store.Version {
		v.Advisories = []store.AdvisoryRef{{ID: "GHSA-1", Severity: sev, Fixed: []string{"2.0.0"}}}
		return v
	}
	v := func(s string) store.Version { return testVersion("p", s, "") }
	deprecated := testVersion("p", "1.0.0", `{"name":"p","version":"1.0.0","deprecated":"old"}`)
	on := store.OrgSettings{BlockVulnerable: true}
	tests := []struct {
		name     string
		settings store.OrgSettings
		v        store.Version
		want     string
	}{
		{"blocked", on, flag(v("1.0.0"), "high"), "p@1.0.0 is blocked by this organisation's vulnerability policy: GHSA-1 (high); fixed in 2.0.0"},
		{"already deprecated", on, flag(deprecated, "high"), "old; p@1.0.0 is blocked by this organisation's vulnerability policy: GHSA-1 (high); fixed in 2.0.0"},
		{"blocking off", store.OrgSettings{}, flag(v("1.0.0"), "high"), ""},
		{"below the threshold", store.OrgSettings{BlockVulnerable: true, BlockSeverity: "critical"}, flag(v("1.0.0"), "high"), ""},
		{"not flagged", on, v("1.0.0"), ""},
	}
	for _, tt := range tests {
		p := testPackument(map[string]string{"latest": "1.0.0"}, tt.v, v("2.0.0"))
		p.MarkBlocked(tt.settings)
		for _, body := range [][]byte{p.Full(), p.Abbreviated()} {
			var doc struct {
				DistTags map[string]string `json:"dist-tags"`
				Versions map[string]struct {
					Deprecated string `json:"deprecated"`
				} `json:"versions"`
			}
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatal(err)
			}
			if got := doc.Versions["1.0.0"].Deprecated; got != tt.want || doc.Versions["2.0.0"].Deprecated != "" || doc.DistTags["latest"] != "1.0.0" {
				t.Errorf("%s: deprecated %q, want %q; %s", tt.name, got, tt.want, body)
			}
		}
		if got := p.storedDeprecation(tt.v); got != Deprecation(tt.v, p.metas["1.0.0"]) {
			t.Errorf("%s: stored deprecation %q", tt.name, got)
		}
	}
}
