package nuget_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon"
	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
	"github.com/drok-dev/drok/internal/store"
	"github.com/drok-dev/drok/internal/store/bolt"
)

func getJSON(t *testing.T, url, token string, into any) {
	t.Helper()
	st, body := do(t, http.MethodGet, url, token, false, nil, "")
	if st != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, st, body)
	}
	if err := json.Unmarshal([]byte(body), into); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, body)
	}
}

func mustPushB(t testing.TB, f *feed, s pkgSpec) {
	t.Helper()
	if st, body := push(t, f.root+"api/v2/package", f.srv.AdminToken, buildNupkg(t, s), ""); st != http.StatusCreated {
		t.Fatalf("push %s %s: %d %s", s.id, s.version, st, body)
	}
}

func mustPush(t *testing.T, f *feed, s pkgSpec) {
	t.Helper()
	if st, body := push(t, f.root+"api/v2/package", f.srv.AdminToken, buildNupkg(t, s), ""); st != http.StatusCreated {
		t.Fatalf("push %s %s: %d %s", s.id, s.version, st, body)
	}
}

// TestProtocolDocuments checks the v3 and v2 documents: service index,
// version normalisation, case-insensitive ids, registrations with
// dependency groups, unlist/relist, deprecation from a yank reason,
// search and autocomplete filters, symbol packages and OData queries.
func TestProtocolDocuments(t *testing.T) {
	f := newFeed(t)
	tok := f.srv.AdminToken

	var idx struct {
		Version   string
		Resources []struct {
			ID   string `json:"@id"`
			Type string `json:"@type"`
		}
	}
	getJSON(t, f.v3, tok, &idx)
	types := map[string]string{}
	for _, r := range idx.Resources {
		types[r.Type] = r.ID
	}
	for _, want := range []string{"PackagePublish/2.0.0", "PackageBaseAddress/3.0.0", "RegistrationsBaseUrl", "RegistrationsBaseUrl/3.0.0-rc",
		"RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl/3.4.0", "RegistrationsBaseUrl/3.6.0", "SearchQueryService",
		"SearchQueryService/3.0.0-beta", "SearchQueryService/3.0.0-rc", "SearchQueryService/3.5.0", "SearchAutocompleteService",
		"SymbolPackagePublish/4.9.0"} {
		if types[want] == "" {
			t.Errorf("service index lacks %s", want)
		}
	}

	mustPush(t, f, pkgSpec{id: "Acme.Widgets", version: "01.02.03.0"})
	mustPush(t, f, pkgSpec{id: "acme.widgets", version: "1.10.0-Beta.2+build.7", deps: []string{"Acme.Base:[1.0,2.0)"}})
	mustPush(t, f, pkgSpec{id: "Acme.Widgets", version: "1.9.0"})
	mustPush(t, f, pkgSpec{id: "Acme.Base", version: "1.0.0.1"})
	if st, body := push(t, f.root+"api/v2/package", tok, buildNupkg(t, pkgSpec{id: "ACME.WIDGETS", version: "1.2.3"}), ""); st != http.StatusConflict {
		t.Fatalf("1.2.3 (= 01.02.03.0) again: %d %s", st, body)
	}

	var flat struct{ Versions []string }
	getJSON(t, f.root+"v3/flatcontainer/ACME.Widgets/index.json", tok, &flat)
	if got := strings.Join(flat.Versions, ","); got != "1.2.3,1.9.0,1.10.0-beta.2" {
		t.Fatalf("flat container versions %s", got)
	}
	st, body := do(t, http.MethodGet, f.root+"v3/flatcontainer/acme.widgets/1.2.3/acme.widgets.1.2.3.nuspec", tok, false, nil, "")
	if st != http.StatusOK || !strings.Contains(body, "<version>01.02.03.0</version>") {
		t.Fatalf(".nuspec: %d %s", st, body)
	}
	if st, _ := do(t, http.MethodGet, f.root+"v3/flatcontainer/acme.widgets/01.02.03/acme.widgets.1.2.3.nupkg", tok, false, nil, ""); st != http.StatusOK {
		t.Fatalf(".nupkg by non-normalised version: %d", st)
	}

	// Unlist 1.9.0 (DELETE), then yank the beta with a reason (REST).
	if st, body := do(t, http.MethodDelete, f.root+"api/v2/package/Acme.Widgets/1.9.0", tok, true, nil, ""); st != http.StatusNoContent {
		t.Fatalf("unlist: %d %s", st, body)
	}
	if _, err := f.srv.Client.Yank(context.Background(), "nuget", f.org, client.YankRequest{Name: "Acme.Widgets", Version: "1.10.0-BETA.2", Yank: true, Reason: "use 1.2.3"}); err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Version          string
		Listed           bool
		Published        string
		Deprecation      *struct{ Message string }
		DependencyGroups []struct {
			TargetFramework string
			Dependencies    []struct{ ID, Range string }
		}
	}
	var reg struct {
		Count int
		Items []struct {
			Lower, Upper string
			Items        []struct {
				CatalogEntry   entry
				PackageContent string
			}
		}
	}
	getJSON(t, f.root+"v3/registration/acme.widgets/index.json", tok, &reg)
	if reg.Count != 1 || len(reg.Items[0].Items) != 3 || reg.Items[0].Lower != "1.2.3" || reg.Items[0].Upper != "1.10.0-Beta.2+build.7" {
		t.Fatalf("registration index: %+v", reg)
	}
	leaves := map[string]entry{}
	for _, it := range reg.Items[0].Items {
		leaves[it.CatalogEntry.Version] = it.CatalogEntry
	}
	if e := leaves["1.2.3"]; !e.Listed || e.Deprecation != nil {
		t.Errorf("1.2.3: %+v", e)
	}
	if e := leaves["1.9.0"]; e.Listed || !strings.HasPrefix(e.Published, "1900-") {
		t.Errorf("unlisted 1.9.0: %+v", e)
	}
	e := leaves["1.10.0-Beta.2+build.7"]
	if e.Listed || e.Deprecation == nil || e.Deprecation.Message != "use 1.2.3" {
		t.Errorf("yanked beta: %+v", e)
	}
	if len(e.DependencyGroups) != 1 || e.DependencyGroups[0].TargetFramework != ".NETStandard2.0" ||
		e.DependencyGroups[0].Dependencies[0].Range != "[1.0.0, 2.0.0)" {
		t.Errorf("dependency groups: %+v", e.DependencyGroups)
	}

	var search struct {
		TotalHits int
		Data      []struct {
			ID, Version string
			Versions    []struct{ Version string }
		}
	}
	getJSON(t, f.root+"v3/search?q=widgets&prerelease=true&semVerLevel=2.0.0", tok, &search)
	if search.TotalHits != 1 || search.Data[0].ID != "Acme.Widgets" || search.Data[0].Version != "1.2.3" || len(search.Data[0].Versions) != 1 {
		t.Fatalf("search hides unlisted versions: %+v", search)
	}

	// Relist 1.9.0 (POST).
	if st, body := do(t, http.MethodPost, f.root+"api/v2/package/Acme.Widgets/1.9.0", tok, true, nil, ""); st != http.StatusOK {
		t.Fatalf("relist: %d %s", st, body)
	}
	getJSON(t, f.root+"v3/search?q=acme&take=1&skip=1", tok, &search)
	if search.TotalHits != 2 || len(search.Data) != 1 || search.Data[0].ID != "Acme.Widgets" || search.Data[0].Version != "1.9.0" {
		t.Fatalf("search after relist, skip/take: %+v", search)
	}
	var ac struct {
		TotalHits int
		Data      []string
	}
	getJSON(t, f.root+"v3/autocomplete?q=acme.w", tok, &ac)
	if ac.TotalHits != 1 || ac.Data[0] != "Acme.Widgets" {
		t.Fatalf("autocomplete ids: %+v", ac)
	}
	getJSON(t, f.root+"v3/autocomplete?id=acme.widgets&prerelease=true&semVerLevel=2.0.0", tok, &ac)
	if strings.Join(ac.Data, ",") != "1.2.3,1.9.0" {
		t.Fatalf("autocomplete versions: %+v", ac)
	}

	// Registration leaf and an explicit page.
	var leaf struct {
		Listed         bool
		PackageContent string
	}
	getJSON(t, f.root+"v3/registration/acme.widgets/1.10.0-beta.2.json", tok, &leaf)
	if leaf.Listed || !strings.HasSuffix(leaf.PackageContent, "/acme.widgets.1.10.0-beta.2.nupkg") {
		t.Fatalf("leaf: %+v", leaf)
	}

	// Symbol package: stored as an extra file of the version.
	snupkg := buildNupkg(t, pkgSpec{id: "Acme.Widgets", version: "1.2.3", entries: map[string]string{"lib/netstandard2.0/Acme.Widgets.pdb": "pdb"}})
	if st, body := push(t, f.root+"api/v2/symbolpackage", tok, snupkg, "Acme.Widgets.1.2.3.snupkg"); st != http.StatusCreated {
		t.Fatalf("symbol push: %d %s", st, body)
	}
	st, body = do(t, http.MethodGet, f.root+"v3/flatcontainer/acme.widgets/1.2.3/acme.widgets.1.2.3.snupkg", tok, false, nil, "")
	if st != http.StatusOK || body != string(snupkg) {
		t.Fatalf("symbol download: %d", st)
	}
	if st, _ := push(t, f.root+"api/v2/symbolpackage", tok, buildNupkg(t, pkgSpec{id: "Acme.Widgets", version: "7.0.0"}), ""); st != http.StatusNotFound {
		t.Fatalf("symbols for a missing version: %d", st)
	}

	// v2 OData.
	st, body = do(t, http.MethodGet, f.root+"FindPackagesById()?id='ACME.widgets'&semVerLevel=2.0.0", tok, false, nil, "")
	if st != http.StatusOK || strings.Count(body, "<entry>") != 3 || !strings.Contains(body, "<d:Listed m:type=\"Edm.Boolean\">false</d:Listed>") {
		t.Fatalf("FindPackagesById: %d %s", st, body)
	}
	st, body = do(t, http.MethodGet, f.root+"Packages(Id='Acme.Widgets',Version='1.9.0')", tok, false, nil, "")
	if st != http.StatusOK || !strings.Contains(body, "<d:IsLatestVersion m:type=\"Edm.Boolean\">true</d:IsLatestVersion>") {
		t.Fatalf("Packages(Id,Version): %d %s", st, body)
	}
	st, body = do(t, http.MethodGet, f.root+"Packages()?$filter="+url.QueryEscape("(tolower(Id) eq 'acme.base') and IsLatestVersion")+"&$inlinecount=allpages", tok, false, nil, "")
	if st != http.StatusOK || strings.Count(body, "<entry>") != 1 || !strings.Contains(body, "<m:count>1</m:count>") || !strings.Contains(body, "<d:Version>1.0.0.1</d:Version>") {
		t.Fatalf("Packages() $filter: %d %s", st, body)
	}
	st, body = do(t, http.MethodGet, f.root+"Search()/$count?searchTerm='acme'&includePrerelease=false", tok, false, nil, "")
	if st != http.StatusOK || strings.TrimSpace(body) != "3" {
		t.Fatalf("Search()/$count: %d %s", st, body)
	}
	if st, _ := do(t, http.MethodGet, f.root+"Packages()?$filter="+url.QueryEscape("Id gt 'a'"), tok, false, nil, ""); st != http.StatusBadRequest {
		t.Fatalf("unsupported $filter: %d", st)
	}
	st, body = do(t, http.MethodGet, f.root+"api/v2/package/acme.widgets/1.2.3", tok, false, nil, "")
	if st != http.StatusOK || !bytes.HasPrefix([]byte(body), []byte("PK")) {
		t.Fatalf("v2 download: %d", st)
	}

	// drok package publish (REST) of a .nupkg.
	pub, err := f.srv.Client.Publish(context.Background(), f.org, "", "Acme.Tools.2.0.0.nupkg", bytes.NewReader(buildNupkg(t, pkgSpec{id: "Acme.Tools", version: "2.0"})))
	if err != nil || pub.Name != "acme.tools" || pub.Version != "2.0.0" {
		t.Fatalf("REST publish: %+v %v", pub, err)
	}

	// drok package delete (REST, version as typed) leaves a tombstone.
	if err := f.srv.Client.DeleteVersion(context.Background(), "nuget", f.org, "Acme.Tools", "2.0"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if st, _ := do(t, http.MethodGet, f.root+"v3/flatcontainer/acme.tools/index.json", tok, false, nil, ""); st != http.StatusNotFound {
		t.Fatalf("flat index after deleting the only version: %d", st)
	}
	if st, body := push(t, f.root+"api/v2/package", tok, buildNupkg(t, pkgSpec{id: "Acme.Tools", version: "2.0.0"}), ""); st != http.StatusConflict {
		t.Fatalf("push of a deleted version: %d %s", st, body)
	}
}

// blobCount counts the files of the blob store.
func blobCount(t *testing.T, dataDir string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(filepath.Join(dataDir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func zipOf(t *testing.T, entries map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for n, c := range entries {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(c))
	}
	_ = zw.Close()
	return buf.Bytes()
}

// TestBadInput proves refused pushes change nothing: no blob, no package,
// no burned version.
func TestBadInput(t *testing.T) {
	f := newFeed(t)
	tok := f.srv.AdminToken
	nuspec := func(id, v string) string {
		return fmt.Sprintf(`<package><metadata><id>%s</id><version>%s</version><authors>a</authors><description>d</description></metadata></package>`, id, v)
	}
	good := buildNupkg(t, pkgSpec{id: "Acme.Good", version: "1.0.0"})
	cases := []struct {
		name, filename string
		body           []byte
		want           string
	}{
		{"not a zip", "", []byte("this is not a zip file at all, just text"), "not a zip"},
		{"nuspec id disagrees with the file name", "Acme.Other.1.0.0.nupkg", good, "does not hold package"},
		{"nuspec version disagrees with the file name", "Acme.Good.2.0.0.nupkg", good, "does not hold version"},
		{"traversal entry", "", zipOf(t, map[string]string{"Acme.Good.nuspec": nuspec("Acme.Good", "1.0.0"), "../evil.dll": "x"}), "unsafe entry"},
		{"absolute entry", "", zipOf(t, map[string]string{"Acme.Good.nuspec": nuspec("Acme.Good", "1.0.0"), "/etc/evil": "x"}), "unsafe entry"},
		{"no nuspec", "", zipOf(t, map[string]string{"lib/x.dll": "x"}), "no .nuspec"},
		{"two nuspecs", "", zipOf(t, map[string]string{"a.nuspec": nuspec("Acme.Good", "1.0.0"), "b.nuspec": nuspec("Acme.Good", "1.0.0")}), "more than one"},
		{"bad id", "", zipOf(t, map[string]string{"x.nuspec": nuspec("../etc", "1.0.0")}), "invalid NuGet package id"},
		{"bad version", "", zipOf(t, map[string]string{"x.nuspec": nuspec("Acme.Good", "1.0.0.0.0")}), "invalid NuGet version"},
		{"trailing data", "", append(append([]byte{}, good...), "trailing"...), "not a zip"},
	}
	before := blobCount(t, f.srv.DataDir)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, body := push(t, f.root+"api/v2/package", tok, c.body, c.filename)
			if st != http.StatusBadRequest || !strings.Contains(body, c.want) {
				t.Fatalf("status %d, body %q, want 400 mentioning %q", st, body, c.want)
			}
		})
	}
	if _, err := f.srv.Client.Publish(context.Background(), f.org, "", "Acme.Other.1.0.0.nupkg", bytes.NewReader(good)); err == nil {
		t.Fatal("REST publish of a mismatching file name succeeded")
	}
	if n := blobCount(t, f.srv.DataDir); n != before {
		t.Fatalf("refused pushes left %d blobs", n-before)
	}
	if _, err := f.srv.Client.Package(context.Background(), "nuget", f.org, "acme.good"); err == nil {
		t.Fatal("a refused push created the package")
	}
	// Nothing was burned: the same id and version publish afterwards.
	if st, body := push(t, f.root+"api/v2/package", tok, good, "Acme.Good.1.0.0.nupkg"); st != http.StatusCreated {
		t.Fatalf("good push after refusals: %d %s", st, body)
	}
	if n := blobCount(t, f.srv.DataDir); n != before+2 {
		t.Fatalf("a good push stores 2 blobs (.nupkg, .nuspec), found %d new", n-before)
	}
	// Unauthenticated and read-only pushes are refused before the body is read.
	if st, _ := push(t, f.root+"api/v2/package", "", good, ""); st != http.StatusUnauthorized {
		t.Fatalf("anonymous push: %d", st)
	}
}

// TestConcurrentPush: 16 pushes of one id@version with different bytes →
// exactly one 201, the others 409; the stored package is the winner's.
func TestConcurrentPush(t *testing.T) {
	f := newFeed(t)
	var wg sync.WaitGroup
	status := make([]int, 16)
	bodies := make([][]byte, 16)
	for i := range bodies {
		bodies[i] = buildNupkg(t, pkgSpec{id: "Acme.Race", version: "1.0.0", desc: fmt.Sprintf("contender %d", i)})
	}
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status[i], _ = push(t, f.root+"api/v2/package", f.srv.AdminToken, bodies[i], "")
		}()
	}
	wg.Wait()
	winner := -1
	for i, st := range status {
		switch st {
		case http.StatusCreated:
			if winner >= 0 {
				t.Fatalf("two winners: %d and %d", winner, i)
			}
			winner = i
		case http.StatusConflict:
		default:
			t.Fatalf("push %d: status %d", i, st)
		}
	}
	if winner < 0 {
		t.Fatal("no push won")
	}
	_, got := do(t, http.MethodGet, f.root+"v3/flatcontainer/acme.race/1.0.0/acme.race.1.0.0.nupkg", f.srv.AdminToken, false, nil, "")
	if got != string(bodies[winner]) {
		t.Fatal("stored bytes are not the winner's")
	}
	p, err := f.srv.Client.Package(context.Background(), "nuget", f.org, "acme.race")
	if err != nil || len(p.Versions) != 1 {
		t.Fatalf("package: %+v %v", p, err)
	}
	// Exactly one published event in the outbox.
	f.srv.Stop()
	idx, err := bolt.Open(filepath.Join(f.srv.DataDir, daemon.IndexFile), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	published := 0
	_ = idx.View(context.Background(), func(tx store.Tx) error {
		evs, err := tx.EventsAfter(0, 1000)
		for _, e := range evs {
			if e.Type == store.EventPublished && e.Package == "acme.race" {
				published++
			}
		}
		return err
	})
	if published != 1 {
		t.Fatalf("%d published events, want 1", published)
	}
}

// TestChallenge: anonymous reads of what needs a login answer 401 with a
// Basic challenge (NuGet clients send credentials only after it); a token
// as Basic password or API key is accepted; a bad token is 401 too.
func TestChallenge(t *testing.T) {
	f := newFeed(t)
	mustPush(t, f, pkgSpec{id: "Acme.Secret", version: "1.0.0"})
	for _, path := range []string{"", "index.json", "$metadata", "v3/registration/acme.secret/index.json",
		"v3/flatcontainer/acme.secret/1.0.0/acme.secret.1.0.0.nupkg", "v3/search?q=secret", "FindPackagesById()?id='Acme.Secret'"} {
		resp, err := http.Get(f.root + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Basic realm="drok"` {
			t.Errorf("anonymous GET %q: %d %q", path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		if st, body := do(t, http.MethodGet, f.root+path, f.srv.AdminToken, false, nil, ""); st != http.StatusOK {
			t.Errorf("GET %q with Basic: %d %s", path, st, body)
		}
		if st, _ := do(t, http.MethodGet, f.root+path, f.srv.AdminToken, true, nil, ""); st != http.StatusOK {
			t.Errorf("GET %q with X-NuGet-ApiKey: %d", path, st)
		}
		if st, _ := do(t, http.MethodGet, f.root+path, "drok_bogus", false, nil, ""); st != http.StatusUnauthorized {
			t.Errorf("GET %q with a bad token: %d", path, st)
		}
	}
	// An unknown org is challenged like a private one, and 404 for users.
	if st, _ := do(t, http.MethodGet, f.srv.URL+"/api/v1/packages/nuget/nosuch/index.json", "", false, nil, ""); st != http.StatusUnauthorized {
		t.Errorf("anonymous, unknown org: %d", st)
	}
	if st, _ := do(t, http.MethodGet, f.srv.URL+"/api/v1/packages/nuget/nosuch/index.json", f.srv.AdminToken, false, nil, ""); st != http.StatusNotFound {
		t.Errorf("admin, unknown org: %d", st)
	}
}

// TestGzip: registration documents are served gzip-compressed to clients
// that accept it (NuGet clients do), identical once decompressed.
func TestGzip(t *testing.T) {
	f := newFeed(t)
	for i := range 20 {
		mustPush(t, f, pkgSpec{id: "Acme.Zip", version: fmt.Sprintf("1.0.%d", i)})
	}
	url := f.root + "v3/registration/acme.zip/index.json"
	_, plain := do(t, http.MethodGet, url, f.srv.AdminToken, false, nil, "")
	for _, ae := range []string{"gzip, deflate", "br;q=1, gzip;q=0.5", "gzip;q=0", "identity"} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.SetBasicAuth("u", f.srv.AdminToken)
		req.Header.Set("Accept-Encoding", ae)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantGzip := ae == "gzip, deflate" || ae == "br;q=1, gzip;q=0.5"
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != wantGzip {
			t.Fatalf("Accept-Encoding %q: Content-Encoding %q", ae, resp.Header.Get("Content-Encoding"))
		}
		if wantGzip {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(zr)
		}
		if string(body) != plain {
			t.Fatalf("Accept-Encoding %q: body differs", ae)
		}
	}
}

// TestCachesFollowChanges (RELIABILITY 16): cached documents and listings
// never outlive a visibility change or an unlist.
func TestCachesFollowChanges(t *testing.T) {
	f := newFeed(t)
	ctx := context.Background()
	pub, priv := "public", "private"
	if _, err := f.srv.Client.CreateRepo(ctx, f.org, client.RepoEdit{Name: "widgets", Visibility: &pub}); err != nil {
		t.Fatal(err)
	}
	mustPush(t, f, pkgSpec{id: "Widgets", version: "1.0.0"})
	mustPush(t, f, pkgSpec{id: "Widgets", version: "1.1.0"})
	u, err := f.srv.Client.CreateUser(ctx, client.CreateUser{Name: "outsider"})
	if err != nil {
		t.Fatal(err)
	}
	reg := f.root + "v3/registration/widgets/index.json"
	for range 2 { // the second answer comes from the cache
		if st, _ := do(t, http.MethodGet, reg, u.Token.Secret, false, nil, ""); st != http.StatusOK {
			t.Fatalf("outsider reads a public package: %d", st)
		}
		if st, body := do(t, http.MethodGet, f.root+"v3/search?q=widgets", u.Token.Secret, false, nil, ""); st != http.StatusOK || !strings.Contains(body, `"version":"1.1.0"`) {
			t.Fatalf("search: %d %s", st, body)
		}
	}
	if st, _ := do(t, http.MethodDelete, f.root+"api/v2/package/Widgets/1.1.0", f.srv.AdminToken, true, nil, ""); st != http.StatusNoContent {
		t.Fatalf("unlist: %d", st)
	}
	if _, body := do(t, http.MethodGet, reg, u.Token.Secret, false, nil, ""); !strings.Contains(body, `"listed":false`) {
		t.Fatalf("registration still lists 1.1.0: %s", body)
	}
	if _, body := do(t, http.MethodGet, f.root+"v3/search?q=widgets", u.Token.Secret, false, nil, ""); !strings.Contains(body, `"version":"1.0.0"`) {
		t.Fatalf("search still shows 1.1.0: %s", body)
	}
	if _, err := f.srv.Client.EditRepo(ctx, f.org, "widgets", client.RepoEdit{Visibility: &priv}); err != nil {
		t.Fatal(err)
	}
	if st, _ := do(t, http.MethodGet, reg, u.Token.Secret, false, nil, ""); st != http.StatusNotFound {
		t.Fatalf("outsider after the repository went private: %d", st)
	}
	if st, _ := do(t, http.MethodGet, reg, "", false, nil, ""); st != http.StatusUnauthorized {
		t.Fatalf("anonymous after the repository went private: %d", st)
	}
	if _, body := do(t, http.MethodGet, f.root+"v3/search?q=widgets", u.Token.Secret, false, nil, ""); strings.Contains(body, "Widgets") {
		t.Fatalf("search still shows the private package: %s", body)
	}
}

// TestRegistrationPages: more than 128 versions split into pages that the
// index links to; each page document inlines its leaves.
func TestRegistrationPages(t *testing.T) {
	f := newFeed(t)
	for i := range 130 {
		mustPush(t, f, pkgSpec{id: "Acme.Many", version: fmt.Sprintf("1.0.%d", i)})
	}
	type page struct {
		ID           string `json:"@id"`
		Count        int
		Lower, Upper string
		Parent       string
		Items        []struct {
			CatalogEntry struct{ Version string }
		}
	}
	var idx struct {
		Count int
		Items []page
	}
	getJSON(t, f.root+"v3/registration/acme.many/index.json", f.srv.AdminToken, &idx)
	if idx.Count != 2 || idx.Items[0].Count != 128 || idx.Items[1].Count != 2 || len(idx.Items[0].Items) != 0 ||
		idx.Items[0].Lower != "1.0.0" || idx.Items[0].Upper != "1.0.127" || idx.Items[1].Upper != "1.0.129" {
		t.Fatalf("index: %+v", idx)
	}
	var p page
	getJSON(t, idx.Items[1].ID, f.srv.AdminToken, &p)
	if p.Count != 2 || len(p.Items) != 2 || p.Items[1].CatalogEntry.Version != "1.0.129" || p.Parent == "" {
		t.Fatalf("page: %+v", p)
	}
	if st, _ := do(t, http.MethodGet, f.root+"v3/registration/acme.many/page/1.0.0/1.0.5.json", f.srv.AdminToken, false, nil, ""); st != http.StatusNotFound {
		t.Fatalf("page with wrong bounds: %d", st)
	}
}

// TestOversizedPush: a push over the daemon's body limit is 413 and
// leaves no blob behind.
func TestOversizedPush(t *testing.T) {
	srv := daemontest.Start(t, daemontest.WithMaxBody(64<<10))
	if _, err := srv.Client.CreateOrg(context.Background(), "acme"); err != nil {
		t.Fatal(err)
	}
	root := srv.URL + "/api/v1/packages/nuget/acme/"
	var random bytes.Buffer
	zw := zip.NewWriter(&random)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "Acme.Big.nuspec", Method: zip.Store})
	_, _ = w.Write([]byte("<package><metadata><id>Acme.Big</id><version>1.0.0</version><authors>a</authors><description>d</description></metadata></package>"))
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "content/big.bin", Method: zip.Store})
	_, _ = w.Write(bytes.Repeat([]byte{1, 2, 3, 4}, 50<<10))
	_ = zw.Close()
	before := blobCount(t, srv.DataDir)
	if st, body := push(t, root+"api/v2/package", srv.AdminToken, random.Bytes(), ""); st != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized push: %d %s", st, body)
	}
	// Chunked (no Content-Length): refused while streaming.
	if st, body := do(t, http.MethodPut, root+"api/v2/package", srv.AdminToken, true, io.MultiReader(bytes.NewReader(random.Bytes())), "application/octet-stream"); st != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized chunked push: %d %s", st, body)
	}
	if n := blobCount(t, srv.DataDir); n != before {
		t.Fatalf("oversized push left %d blobs", n-before)
	}
}
