package pypi

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/store"
)

func testProject(t *testing.T) *Project {
	t.Helper()
	up := time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC)
	meta := func(files map[string]fileMeta) []byte {
		b, _ := json.Marshal(versionMeta{RequiresPython: ">=3.8", Files: files})
		return b
	}
	vs := []store.Version{
		{Version: "1.10", Files: []store.File{{Name: "p-1.10.tar.gz", SHA256: "bb", Size: 20, Uploaded: up}},
			Meta: meta(map[string]fileMeta{"p-1.10.tar.gz": {Kind: Sdist, RequiresPython: ">=3.8"}}), Yanked: true, YankReason: `bad "<release>"`},
		{Version: "1.9", Files: []store.File{{Name: "p-1.9-py3-none-any.whl", SHA256: "aa", Size: 10, Uploaded: up}},
			Meta: meta(map[string]fileMeta{"p-1.9-py3-none-any.whl": {Kind: Wheel, RequiresPython: ">=3.8", MetadataSHA256: "cc"}})},
		{Version: "2.0", Files: []store.File{{Name: "p-2.0.tar.gz", SHA256: "dd"}}, Deleted: up},
	}
	return NewProject(store.Package{PackageKey: store.PackageKey{Name: "p"}, DisplayName: "P<script>"}, vs, store.OrgSettings{})
}

func TestProjectHTML(t *testing.T) {
	html := string(testProject(t).HTML())
	for _, want := range []string{
		`<meta name="pypi:repository-version" content="1.1">`,
		`<title>Links for P&lt;script&gt;</title>`,
		`<a href="../../files/p/1.9/p-1.9-py3-none-any.whl#sha256=aa" data-requires-python="&gt;=3.8" data-core-metadata="sha256=cc" data-dist-info-metadata="sha256=cc">p-1.9-py3-none-any.whl</a>`,
		`<a href="../../files/p/1.10/p-1.10.tar.gz#sha256=bb" data-requires-python="&gt;=3.8" data-yanked="bad &#34;&lt;release&gt;&#34;">p-1.10.tar.gz</a>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %s:\n%s", want, html)
		}
	}
	if strings.Contains(html, "2.0") || strings.Index(html, "1.9-py3") > strings.Index(html, "1.10.tar.gz") {
		t.Errorf("deleted version shown or wrong order:\n%s", html)
	}
}

func TestProjectJSON(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(testProject(t).JSON(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["name"] != "p" || doc["meta"].(map[string]any)["api-version"] != "1.1" {
		t.Errorf("header: %v", doc)
	}
	if v := doc["versions"].([]any); len(v) != 2 || v[0] != "1.9" || v[1] != "1.10" {
		t.Errorf("versions: %v", v)
	}
	files := doc["files"].([]any)
	whl, sdist := files[0].(map[string]any), files[1].(map[string]any)
	if whl["core-metadata"].(map[string]any)["sha256"] != "cc" || whl["dist-info-metadata"].(map[string]any)["sha256"] != "cc" ||
		whl["yanked"] != false || whl["requires-python"] != ">=3.8" || whl["upload-time"] != "2026-01-02T03:04:05.600000Z" || whl["size"] != 10.0 {
		t.Errorf("wheel: %v", whl)
	}
	if sdist["core-metadata"] != false || sdist["yanked"] != `bad "<release>"` || sdist["url"] != "../../files/p/1.10/p-1.10.tar.gz" {
		t.Errorf("sdist: %v", sdist)
	}
}

func TestRootPages(t *testing.T) {
	html := string(RootHTML([]string{"a-b", "c"}))
	if !strings.Contains(html, `<a href="a-b/">a-b</a>`) || !strings.Contains(html, `<a href="c/">c</a>`) {
		t.Errorf("root HTML:\n%s", html)
	}
	if js := string(RootJSON(nil)); js != `{"meta":{"api-version":"1.1"},"projects":[]}`+"\n" {
		t.Errorf("empty root JSON: %s", js)
	}
}
