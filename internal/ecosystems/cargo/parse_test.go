package cargo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

func TestValidateName(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"a", true}, {"serde_json", true}, {"Foo-Bar9", true}, {strings.Repeat("a", 64), true},
		{"", false}, {"9lives", false}, {"_x", false}, {"-x", false}, {"a.b", false}, {"a/b", false},
		{"../x", false}, {"a\x00", false}, {"a\x1b", false}, {"é", false}, {strings.Repeat("a", 65), false},
		{"a b", false}, {"a%2f", false},
	} {
		err := ValidateName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ValidateName(%q) error does not wrap ErrInvalid", tt.name)
		}
	}
}

func TestCanonicalAndIndexPath(t *testing.T) {
	for _, tt := range []struct{ name, canon, path string }{
		{"a", "a", "1/a"}, {"AB", "ab", "2/ab"}, {"a_c", "a-c", "3/a/a_c"},
		{"Serde_JSON", "serde-json", "se/rd/serde_json"}, {"cargo", "cargo", "ca/rg/cargo"},
	} {
		if got := Canonical(tt.name); got != tt.canon {
			t.Errorf("Canonical(%q) = %q, want %q", tt.name, got, tt.canon)
		}
		if got := IndexPath(tt.name); got != tt.path {
			t.Errorf("IndexPath(%q) = %q, want %q", tt.name, got, tt.path)
		}
	}
}

func TestParseRoute(t *testing.T) {
	for _, tt := range []struct {
		rest          string
		kind          RouteKind
		name, version string
		err           bool
	}{
		{"config.json", RouteConfig, "", "", false},
		{"1/a", RouteIndex, "a", "", false},
		{"2/ab", RouteIndex, "ab", "", false},
		{"3/a/abc", RouteIndex, "abc", "", false},
		{"se/rd/serde", RouteIndex, "serde", "", false},
		{"se/rd/Serde", RouteIndex, "Serde", "", true},
		{"xx/rd/serde", RouteIndex, "serde", "", true},
		{"3/b/abc", RouteIndex, "abc", "", true},
		{"1/ab", RouteIndex, "ab", "", true},
		{"ab/cd/abc", RouteIndex, "abc", "", true},
		{"se/rd/..", RouteIndex, "..", "", true},
		{"foo", RouteUnknown, "", "", false},
		{"foo/1.0.0", RouteUnknown, "", "", false},
		{"api/v1/crates", RouteSearch, "", "", false},
		{"api/v1/crates/new", RoutePublish, "", "", false},
		{"api/v1/crates/foo/1.0.0/yank", RouteYank, "foo", "1.0.0", false},
		{"api/v1/crates/foo/1.0.0+b.1/unyank", RouteUnyank, "foo", "1.0.0+b.1", false},
		{"api/v1/crates/foo/1.0.0/download", RouteDownload, "foo", "1.0.0", false},
		{"api/v1/crates/foo/owners", RouteOwners, "foo", "", false},
		{"api/v1/crates/fo%01o/owners", RouteInvalid, "fo\x01o", "", true},
		{"api/v1/crates/foo/..%2f1/download", RouteInvalid, "foo", "", true},
		{"api/v1/crates/foo/1.0/download", RouteInvalid, "foo", "", true},
		{"api/v1/crates/foo/1.0.0/other", RouteUnknown, "", "", false},
	} {
		r := ParseRoute(tt.rest)
		if r.Kind != tt.kind || r.Name != tt.name || r.Version != tt.version || (r.Err != nil) != tt.err {
			t.Errorf("ParseRoute(%q) = %+v, want kind %d name %q version %q err %v", tt.rest, r, tt.kind, tt.name, tt.version, tt.err)
		}
	}
}

func TestVersions(t *testing.T) {
	for _, v := range []string{"1.0.0", "0.0.1-alpha.1", "1.0.0+build", "10.20.30-rc.1+x.y"} {
		if err := ValidateVersion(v); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	for _, v := range []string{"", "1", "1.0", "v1.0.0", "01.0.0", "1.0.0 ", "1.0.0-", strings.Repeat("1", 300)} {
		if ValidateVersion(v) == nil {
			t.Errorf("%q accepted", v)
		}
	}
	order := []string{"0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0", "1.0.0+a", "1.0.1", "1.10.0"}
	for i := range order {
		for j := range order {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := CompareVersions(order[i], order[j]); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	if BaseVersion("1.0.0-rc.1+abc") != "1.0.0-rc.1" {
		t.Error("BaseVersion")
	}
}

func TestNormalizeReq(t *testing.T) {
	for _, tt := range []struct{ a, b string }{
		{"1.0", "^1.0"}, {">= 1.0, < 2", ">=1.0,<2"}, {"= 1.2.3", "=1.2.3"}, {"*", "*"}, {"~1", "~1"},
	} {
		if NormalizeReq(tt.a) != NormalizeReq(tt.b) {
			t.Errorf("NormalizeReq(%q) = %q, NormalizeReq(%q) = %q", tt.a, NormalizeReq(tt.a), tt.b, NormalizeReq(tt.b))
		}
	}
	if NormalizeReq("1.0") == NormalizeReq("=1.0") {
		t.Error("1.0 and =1.0 compare equal")
	}
}

func TestSplitFeatures(t *testing.T) {
	f1, f2 := SplitFeatures(map[string][]string{"default": {"a"}, "a": nil, "b": {"dep:x"}, "c": {"x?/y", "a"}})
	if !reflect.DeepEqual(f1, map[string][]string{"default": {"a"}, "a": {}}) ||
		!reflect.DeepEqual(f2, map[string][]string{"b": {"dep:x"}, "c": {"x?/y", "a"}}) {
		t.Errorf("got %v / %v", f1, f2)
	}
	if f1, f2 := SplitFeatures(nil); f1 == nil || f2 != nil {
		t.Errorf("empty: %v / %v", f1, f2)
	}
}

func TestCheckAgreement(t *testing.T) {
	toml := `[package]
name = "app"
version = "1.0.0"
links = "foo"

[dependencies]
util = { package = "base", version = "0.1", features = ["x"] }

[target.'cfg(unix)'.build-dependencies]
cc = "1.0"

[features]
f = ["dep:util"]
`
	m, err := ParseManifest([]byte(toml))
	if err != nil {
		t.Fatal(err)
	}
	s := func(v string) *string { return &v }
	good := func() NewCrate {
		return NewCrate{Name: "app", Vers: "1.0.0", Links: s("foo"), Features: map[string][]string{"f": {"dep:util"}},
			Deps: []NewDep{
				{Name: "base", ExplicitNameInToml: s("util"), VersionReq: "^0.1", Features: []string{"x"}, DefaultFeatures: true, Kind: "normal"},
				{Name: "cc", VersionReq: "^1.0", DefaultFeatures: true, Kind: "build", Target: s("cfg(unix)")},
			}}
	}
	if err := CheckAgreement(good(), m); err != nil {
		t.Fatalf("agreeing metadata: %v", err)
	}
	for name, mutate := range map[string]func(*NewCrate){
		"name":          func(n *NewCrate) { n.Name = "App" },
		"version":       func(n *NewCrate) { n.Vers = "1.0.1" },
		"links":         func(n *NewCrate) { n.Links = nil },
		"features":      func(n *NewCrate) { n.Features = nil },
		"extra dep":     func(n *NewCrate) { n.Deps = append(n.Deps, NewDep{Name: "evil", VersionReq: "*"}) },
		"missing dep":   func(n *NewCrate) { n.Deps = n.Deps[:1] },
		"rename target": func(n *NewCrate) { n.Deps[0].Name = "evil" },
		"requirement":   func(n *NewCrate) { n.Deps[0].VersionReq = "^0.2" },
		"kind":          func(n *NewCrate) { n.Deps[1].Kind = "normal" },
		"target":        func(n *NewCrate) { n.Deps[1].Target = nil },
		"optional":      func(n *NewCrate) { n.Deps[0].Optional = true },
		"dep features":  func(n *NewCrate) { n.Deps[0].Features = nil },
		"duplicate":     func(n *NewCrate) { n.Deps = append(n.Deps, n.Deps[0]) },
	} {
		nc := good()
		mutate(&nc)
		if err := CheckAgreement(nc, m); !errors.Is(err, ErrPublish) {
			t.Errorf("%s: %v, want ErrPublish", name, err)
		}
	}
	for _, bad := range []string{"", "[package]\nname = 1\nversion = \"1.0.0\"\n", "[dependencies]\nx = \"1\"\n", "[package\n", "[package]\nname=\"a\"\nversion=\"1.0.0\"\n[dependencies]\nx = 1\n"} {
		if _, err := ParseManifest([]byte(bad)); !errors.Is(err, ErrCrate) {
			t.Errorf("ParseManifest(%q) = %v, want ErrCrate", bad, err)
		}
	}
}

func crateOf(t *testing.T, n int, size int64) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	_ = tw.WriteHeader(&tar.Header{Name: "x-1.0.0/Cargo.toml", Size: 4, Mode: 0o644, Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte("a=1\n"))
	for i := range n {
		_ = tw.WriteHeader(&tar.Header{Name: "x-1.0.0/f" + strings.Repeat("0", 3) + string(rune('a'+i%26)) + strings.Repeat("z", i/26), Size: size, Mode: 0o644, Typeflag: tar.TypeReg})
		_, _ = tw.Write(make([]byte, size))
	}
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}

func TestInspectCrateLimits(t *testing.T) {
	lim := DefaultCrateLimits
	lim.MaxEntries = 50
	lim.MaxUnpacked = 1 << 20
	if _, err := InspectCrate(bytes.NewReader(crateOf(t, 10, 10)), lim); err != nil {
		t.Fatalf("small crate: %v", err)
	}
	if _, err := InspectCrate(bytes.NewReader(crateOf(t, 100, 0)), lim); !errors.Is(err, ecosystems.ErrTooLarge) {
		t.Errorf("too many entries: %v", err)
	}
	// A bomb: 4 MiB of zeros compresses to a few KiB.
	if _, err := InspectCrate(bytes.NewReader(crateOf(t, 1, 4<<20)), lim); !errors.Is(err, ecosystems.ErrTooLarge) {
		t.Errorf("bomb: %v", err)
	}
	info, err := InspectCrate(bytes.NewReader(crateOf(t, 3, 5)), lim)
	if err != nil || info.Root != "x-1.0.0" || info.Files != 4 || string(info.CargoToml) != "a=1\n" {
		t.Errorf("info %+v, %v", info, err)
	}
	withTrailer := append(crateOf(t, 1, 1), []byte("garbage after gzip")...)
	if _, err := InspectCrate(bytes.NewReader(withTrailer), lim); !errors.Is(err, ErrCrate) {
		t.Errorf("trailing garbage: %v", err)
	}
}
