package maven

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

func TestParseRoute(t *testing.T) {
	tests := []struct {
		path string
		want Route
	}{
		{"org/apache/maven/maven-core/3.8.7/maven-core-3.8.7.jar", Route{Kind: RouteFile, GroupID: "org.apache.maven", ArtifactID: "maven-core", Version: "3.8.7", File: "maven-core-3.8.7.jar"}},
		{"org/apache/maven/maven-core/3.8.7/maven-core-3.8.7.jar.sha1", Route{Kind: RouteFile, GroupID: "org.apache.maven", ArtifactID: "maven-core", Version: "3.8.7", File: "maven-core-3.8.7.jar", Checksum: "sha1"}},
		{"com/x/lib/1.0/lib-1.0-sources.jar.asc.sha512", Route{Kind: RouteFile, GroupID: "com.x", ArtifactID: "lib", Version: "1.0", File: "lib-1.0-sources.jar.asc", Checksum: "sha512"}},
		{"com/x/lib/maven-metadata.xml", Route{Kind: RouteArtifactMetadata, GroupID: "com.x", ArtifactID: "lib", File: MetadataFile}},
		{"x/lib/maven-metadata.xml.md5", Route{Kind: RouteArtifactMetadata, GroupID: "x", ArtifactID: "lib", File: MetadataFile, Checksum: "md5"}},
		{"com/x/lib/1.0-SNAPSHOT/maven-metadata.xml", Route{Kind: RouteVersionMetadata, GroupID: "com.x", ArtifactID: "lib", Version: "1.0-SNAPSHOT", File: MetadataFile}},
		{"com/x/lib/1.0-SNAPSHOT/lib-1.0-20240101.120000-7-tests.jar", Route{Kind: RouteFile, GroupID: "com.x", ArtifactID: "lib", Version: "1.0-SNAPSHOT", File: "lib-1.0-20240101.120000-7-tests.jar"}},
		{"com.x:lib", Route{Kind: RouteREST, GroupID: "com.x", ArtifactID: "lib"}},
		{"com.x:lib/1.0", Route{Kind: RouteREST, GroupID: "com.x", ArtifactID: "lib", Version: "1.0"}},
		{"com%2Ex/lib/1.0/lib-1.0.jar", Route{Kind: RouteInvalid}},
		{"", Route{Kind: RouteUnknown}},
		{"com/x/", Route{Kind: RouteUnknown}},
		{"com/x/lib/1.0/lib-1.0.jar.sha1.md5", Route{Kind: RouteUnknown}},
		{"com/x/lib/1.0/", Route{Kind: RouteUnknown}},
	}
	for _, tt := range tests {
		got := ParseRoute(tt.path)
		got.Err = nil
		if got != tt.want {
			t.Errorf("ParseRoute(%q) = %+v, want %+v", tt.path, got, tt.want)
		}
	}
	for _, bad := range []string{"a/../b/1/b-1.jar", "a/%2e%2e/b/1/b-1.jar", "a/b/1/b-1%2F..%2F.jar", "a/b%00/1/b%00-1.jar", "a//b/1/b-1.jar",
		"a/b/1/b-1.jar%5C", "a/b/1/c-1.jar", "a/b/1/b-1", "a/b/1..0/b-1..0.jar", "a/b/.1/b-.1.jar", "%zz/b/1/b-1.jar",
		"a:b:c", "a:b/1/2"} {
		r := ParseRoute(bad)
		if r.Kind == RouteFile || r.Kind == RouteArtifactMetadata || r.Kind == RouteVersionMetadata {
			t.Errorf("ParseRoute(%q) accepted: %+v", bad, r)
		}
		if r.Kind == RouteInvalid && !errors.Is(r.Err, store.ErrInvalid) {
			t.Errorf("ParseRoute(%q) error %v does not wrap ErrInvalid", bad, r.Err)
		}
	}
}

func TestParseFileName(t *testing.T) {
	tests := []struct {
		artifact, version, name string
		want                    FileName
		ok                      bool
	}{
		{"lib", "1.0", "lib-1.0.jar", FileName{Extension: "jar"}, true},
		{"lib", "1.0", "lib-1.0-sources.jar", FileName{Classifier: "sources", Extension: "jar"}, true},
		{"lib", "1.0", "lib-1.0.tar.gz", FileName{Extension: "tar.gz"}, true},
		{"lib", "1.0", "lib-1.0-linux-x86_64.exe", FileName{Classifier: "linux-x86_64", Extension: "exe"}, true},
		{"lib", "1.0-SNAPSHOT", "lib-1.0-SNAPSHOT.pom", FileName{Extension: "pom"}, true},
		{"lib", "1.0-SNAPSHOT", "lib-1.0-20240101.120000-12.jar", FileName{Extension: "jar", Timestamp: "20240101.120000", Build: 12}, true},
		{"lib", "1.0-SNAPSHOT", "lib-1.0-20240101.120000-0.jar", FileName{}, false},
		{"lib", "1.0-SNAPSHOT", "lib-1.0-2024.jar", FileName{}, false},
		{"lib", "1.0", "lib-1.0", FileName{}, false},
		{"lib", "1.0", "lib-1.0-.jar", FileName{}, false},
		{"lib", "1.0", "lib-1.0.", FileName{}, false},
		{"lib", "1.0", "lib-1.0.jar..x", FileName{}, false},
		{"lib", "1.0", "lib-2.0.jar", FileName{}, false},
		{"lib", "1.0", "other-1.0.jar", FileName{}, false},
	}
	for _, tt := range tests {
		got, err := ParseFileName(tt.artifact, tt.version, tt.name)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseFileName(%q, %q, %q) = %+v, %v", tt.artifact, tt.version, tt.name, got, err)
		}
	}
	if v := (FileName{Timestamp: "20240101.120000", Build: 3}).Value("1.0-SNAPSHOT"); v != "1.0-20240101.120000-3" {
		t.Errorf("Value = %q", v)
	}
}

func TestParseChecksum(t *testing.T) {
	sha1 := "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	tests := []struct {
		algo, body, want string
	}{
		{"sha1", sha1, sha1},
		{"sha1", strings.ToUpper(sha1) + "  file.jar\n", sha1},
		{"md5", "d41d8cd98f00b204e9800998ecf8427e\n", "d41d8cd98f00b204e9800998ecf8427e"},
		{"sha1", sha1[:39], ""},
		{"sha1", "z" + sha1[1:], ""},
		{"sha256", sha1, ""},
		{"sha1", "", ""},
	}
	for _, tt := range tests {
		got, err := ParseChecksum(tt.algo, strings.NewReader(tt.body))
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("ParseChecksum(%s, %q) = %q, %v", tt.algo, tt.body, got, err)
		}
	}
}

func TestParsePOM(t *testing.T) {
	tests := []struct {
		body string
		want POM
		err  string
	}{
		{`<project><groupId>g.x</groupId><artifactId>a</artifactId><version>1</version></project>`, POM{"g.x", "a", "1", "jar"}, ""},
		{`<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0"><parent><groupId>p</groupId><version>2</version></parent><artifactId>a</artifactId><packaging>pom</packaging></project>`, POM{"p", "a", "2", "pom"}, ""},
		{`<project><groupId>g</groupId><artifactId>a</artifactId><version>${revision}</version></project>`, POM{}, "property references"},
		{`<project><groupId>g/../x</groupId><artifactId>a</artifactId><version>1</version></project>`, POM{}, "groupId"},
		{`<project><artifactId>a</artifactId><version>1</version></project>`, POM{}, "groupId"},
		{`<notaproject/>`, POM{}, "bad POM"},
		{`<project>` + strings.Repeat("<x>", 10), POM{}, "bad POM"},
		{`<!DOCTYPE project [<!ENTITY e SYSTEM "file:///etc/passwd">]><project><groupId>&e;</groupId></project>`, POM{}, "bad POM"},
	}
	for _, tt := range tests {
		got, err := ParsePOM(strings.NewReader(tt.body))
		if tt.err == "" && (err != nil || got != tt.want) {
			t.Errorf("ParsePOM(%q) = %+v, %v", tt.body, got, err)
		}
		if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, store.ErrInvalid)) {
			t.Errorf("ParsePOM(%q) error %v, want %q", tt.body, err, tt.err)
		}
	}
	big := "<project><description>" + strings.Repeat("x", maxPOM) + "</description></project>"
	if _, err := ParsePOM(strings.NewReader(big)); err == nil {
		t.Error("an oversized POM was accepted")
	}
}

func TestRenderArtifactMetadata(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	got := string(RenderArtifactMetadata("g", "a", []string{"1.10", "1.9", "2.0-SNAPSHOT", "1.0-rc1", "1.0"}, at))
	want := `<?xml version="1.0" encoding="UTF-8"?>
<metadata>
<groupId>g</groupId>
<artifactId>a</artifactId>
<versioning>
<latest>2.0-SNAPSHOT</latest>
<release>1.10</release>
<versions>
<version>1.0-rc1</version>
<version>1.0</version>
<version>1.9</version>
<version>1.10</version>
<version>2.0-SNAPSHOT</version>
</versions>
<lastUpdated>20240102030405</lastUpdated>
</versioning>
</metadata>
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if empty := string(RenderArtifactMetadata("g", "a", nil, at)); strings.Contains(empty, "<latest>") || !strings.Contains(empty, "<lastUpdated>") {
		t.Errorf("no versions:\n%s", empty)
	}
}

func TestKeepBuildsAndNewest(t *testing.T) {
	var files []store.File
	for _, n := range []string{"a-1-SNAPSHOT.jar", "a-1-20240101.000000-1.jar", "a-1-20240101.000000-1.pom", "a-1-20240102.000000-2.jar",
		"a-1-20240102.000000-2-sources.jar", "a-1-20240103.000000-3.pom", "a-1-20240103.000000-3.jar.asc"} {
		files = append(files, store.File{Name: n})
	}
	names := func(fs []store.File) string {
		var s []string
		for _, f := range fs {
			s = append(s, f.Name)
		}
		return strings.Join(s, " ")
	}
	if got := names(KeepBuilds("a", "1-SNAPSHOT", files, 2)); got != "a-1-SNAPSHOT.jar a-1-20240102.000000-2.jar a-1-20240102.000000-2-sources.jar a-1-20240103.000000-3.pom a-1-20240103.000000-3.jar.asc" {
		t.Errorf("keep 2: %s", got)
	}
	if got := KeepBuilds("a", "1-SNAPSHOT", files, 0); len(got) != len(files) {
		t.Errorf("keep all: %d", len(got))
	}
	if f, ok := NewestBuildFile("a", "1-SNAPSHOT", "a-1-SNAPSHOT.jar", files); !ok || f.Name != "a-1-20240102.000000-2.jar" {
		t.Errorf("newest jar: %v %v", f.Name, ok)
	}
	if _, ok := NewestBuildFile("a", "1-SNAPSHOT", "a-1-SNAPSHOT-javadoc.jar", files); ok {
		t.Error("newest javadoc found")
	}
	meta := string(RenderSnapshotMetadata("g", "a", "1-SNAPSHOT", files, time.Unix(0, 0)))
	for _, w := range []string{"<timestamp>20240103.000000</timestamp>", "<buildNumber>3</buildNumber>",
		"<extension>jar</extension>\n<value>1-20240102.000000-2</value>", "<extension>pom</extension>\n<value>1-20240103.000000-3</value>",
		"<classifier>sources</classifier>", "<extension>jar.asc</extension>"} {
		if !strings.Contains(meta, w) {
			t.Errorf("snapshot metadata lacks %q:\n%s", w, meta)
		}
	}
}
