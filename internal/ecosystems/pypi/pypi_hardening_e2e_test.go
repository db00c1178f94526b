package pypi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
	"github.com/drok-dev/drok/internal/ecosystems/pypi"
)

// blobFiles lists the files below the daemon's blob store (temp files
// included).
func blobFiles(t *testing.T, dataDir string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(dataDir, "blobs")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, root))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	slices.Sort(out)
	return out
}

func wheelFields(name, version string) map[string]string {
	return map[string]string{"name": name, "version": version, "filetype": "bdist_wheel", "pyversion": "py3"}
}

// matrixRoute is one PyPI route of the access matrix.
type matrixRoute struct {
	kind  pypi.RouteKind
	name  string
	write bool
	// listed routes answer 200 and show or hide the project.
	listed bool
	do     func(t *testing.T, f *fixture, token, pkg string, i int) (int, string)
}

var matrixRoutes = []matrixRoute{
	{kind: pypi.RouteSimpleRoot, name: "simple root", listed: true, do: func(t *testing.T, f *fixture, tok, pkg string, _ int) (int, string) {
		st, b, _ := f.get(t, "simple/", tok, nil)
		return st, string(b)
	}},
	{kind: pypi.RouteSimpleRoot, name: "simple root json", listed: true, do: func(t *testing.T, f *fixture, tok, pkg string, _ int) (int, string) {
		st, b, _ := f.get(t, "simple/", tok, map[string]string{"Accept": "application/vnd.pypi.simple.v1+json"})
		return st, string(b)
	}},
	{kind: pypi.RouteSimpleProject, name: "project html", do: func(t *testing.T, f *fixture, tok, pkg string, _ int) (int, string) {
		st, b, _ := f.get(t, "simple/"+pkg+"/", tok, nil)
		return st, string(b)
	}},
	{kind: pypi.RouteSimpleProject, name: "project json", do: func(t *testing.T, f *fixture, tok, pkg string, _ int) (int, string) {
		st, b, _ := f.get(t, "simple/"+pkg+"/", tok, map[string]string{"Accept": "application/vnd.pypi.simple.v1+json"})
		return st, string(b)
	}},
	{kind: pypi.RouteFile, name: "download", do: func(t *testing.T, f *fixture, tok, pkg string, _ int) (int, string) {
		st, b, _ := f.get(t, "files/"+pkg+"/1.0/"+pkg+"-1.0-py3-none-any.whl", tok, nil)
		return st, string(b)
	}},
	{kind: pypi.RouteMetadata, name: "metadata", do: func(t *testing.T, f *fixture, tok, pkg string, _ int) (int, string) {
		st, b, _ := f.get(t, "files/"+pkg+"/1.0/"+pkg+"-1.0-py3-none-any.whl.metadata", tok, nil)
		return st, string(b)
	}},
	{kind: pypi.RouteJSON, name: "json api", do: func(t *testing.T, f *fixture, tok, pkg string, _ int) (int, string) {
		st, b, _ := f.get(t, "pypi/"+pkg+"/json", tok, nil)
		return st, string(b)
	}},
	{kind: pypi.RouteUpload, name: "upload", write: true, do: func(t *testing.T, f *fixture, tok, pkg string, i int) (int, string) {
		v := fmt.Sprintf("2.0.%d", i)
		fn, data := pypi.BuildWheel(t, pypi.DistSpec{Name: pkg, Version: v})
		return f.post(t, tok, wheelFields(pkg, v), fn, data)
	}},
	{kind: pypi.RouteUnknown, name: "REST delete version", write: true, do: func(t *testing.T, f *fixture, tok, pkg string, i int) (int, string) {
		st, b, _ := f.do(t, http.MethodDelete, fmt.Sprintf("%s/5.0.%d", pkg, i), tok, nil, nil)
		return st, string(b)
	}},
}

// exemptKinds are route kinds not about one project's data, with why.
var exemptKinds = map[pypi.RouteKind]string{
	pypi.RouteInvalid: "rejected before any lookup (TestPyPIRoutesAndNegotiation)",
}

// TestPyPIAccessMatrix is RELIABILITY 14 for PyPI: every principal kind ×
// every visibility × every route, over HTTP. Anonymous callers are
// challenged (401 + WWW-Authenticate) instead of 404, as pip needs.
func TestPyPIAccessMatrix(t *testing.T) {
	t.Parallel()
	covered := map[pypi.RouteKind]bool{}
	for _, r := range matrixRoutes {
		covered[r.kind] = true
	}
	for k := pypi.RouteUnknown; k <= pypi.RouteInvalid; k++ {
		if !covered[k] && exemptKinds[k] == "" {
			t.Errorf("PyPI route kind %d is missing from the access matrix", k)
		}
	}
	srv := daemontest.Start(t)
	fx := daemontest.NewAccessFixture(t, srv, "acme")
	f := &fixture{srv: srv, org: "acme", root: srv.URL + "/api/v1/packages/pypi/acme/", home: t.TempDir()}
	for _, pkg := range daemontest.Visibilities {
		versions := []string{"1.0"}
		for i := range fx.Principals {
			versions = append(versions, fmt.Sprintf("5.0.%d", i))
		}
		for _, v := range versions {
			fn, data := pypi.BuildWheel(t, pypi.DistSpec{Name: pkg, Version: v})
			if st, body := f.post(t, srv.AdminToken, wheelFields(pkg, v), fn, data); st != http.StatusOK {
				t.Fatalf("seed %s %s: %d %s", pkg, v, st, body)
			}
		}
	}
	fx.Settle(t, srv, "pypi", nil)

	for i, p := range fx.Principals {
		for j, pkg := range daemontest.Visibilities {
			for _, r := range matrixRoutes {
				t.Run(fmt.Sprintf("%s/%s/%s", p.Name, pkg, r.name), func(t *testing.T) {
					st, body := r.do(t, f, p.Token, pkg, i)
					if r.listed {
						if p.Bad {
							if st != http.StatusUnauthorized {
								t.Errorf("bad token listed: %d", st)
							}
							return
						}
						got := strings.Contains(body, `"`+pkg+`/"`) || strings.Contains(body, `"name":"`+pkg+`"`)
						if st != http.StatusOK || got != p.Read[j] {
							t.Errorf("status %d, listed=%v, want listed=%v: %.300s", st, got, p.Read[j], body)
						}
						return
					}
					want := daemontest.ExpectStatus(p, j, r.write, true)
					if !daemontest.StatusMatches(st, want) {
						t.Errorf("status %d, want %d: %.200s", st, want, body)
					}
				})
			}
		}
	}
}

// TestPyPIAnonymousChallenge: an anonymous caller who must log in gets
// 401 with a Basic challenge on every protected route, pip's cue to send
// credentials; a bad token gets 401 too.
func TestPyPIAnonymousChallenge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fn, data := pypi.BuildWheel(t, pypi.DistSpec{Name: "secret", Version: "1.0"})
	if st, body := f.post(t, f.srv.AdminToken, wheelFields("secret", "1.0"), fn, data); st != http.StatusOK {
		t.Fatalf("upload: %d %s", st, body)
	}
	for _, path := range []string{"simple/", "simple/secret/", "files/secret/1.0/" + fn, "files/secret/1.0/" + fn + ".metadata", "pypi/secret/json"} {
		for _, tok := range []string{"", "drok_not_a_token"} {
			st, _, h := f.get(t, path, tok, nil)
			if st != http.StatusUnauthorized || h.Get("WWW-Authenticate") != `Basic realm="drok"` {
				t.Errorf("GET %s (token %q): %d %q", path, tok, st, h.Get("WWW-Authenticate"))
			}
		}
	}
	if st, _ := f.post(t, "", wheelFields("secret", "1.1"), fn, data); st != http.StatusUnauthorized {
		t.Errorf("anonymous upload: %d", st)
	}
}

// TestPyPIBadInputChangesNothing: each malformed upload is a 400 with a
// clear message, stores no blob and burns no filename or version.
func TestPyPIBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.srv.AdminToken
	good := func(v string) (string, []byte) { return pypi.BuildWheel(t, pypi.DistSpec{Name: "victim", Version: v}) }
	goodName, goodData := good("1.0")
	liarName, liarData := pypi.BuildWheel(t, pypi.DistSpec{Name: "victim", Version: "1.0", MetaVersion: "2.0"})
	_, dotdot := pypi.BuildWheel(t, pypi.DistSpec{Name: "victim", Version: "1.0", Extra: []pypi.Entry{{Name: "../evil.py", Body: "x"}}})
	_, abs := pypi.BuildWheel(t, pypi.DistSpec{Name: "victim", Version: "1.0", Extra: []pypi.Entry{{Name: "/etc/evil", Body: "x"}}})
	_, noMeta := pypi.BuildWheel(t, pypi.DistSpec{Name: "victim", Version: "1.0", NoMetadata: true})
	_, otherName := pypi.BuildWheel(t, pypi.DistSpec{Name: "victim", Version: "1.0", MetaName: "someone-else"})
	sdistName, sdistDotdot := pypi.BuildSdist(t, pypi.DistSpec{Name: "victim", Version: "1.0", Extra: []pypi.Entry{{Name: "victim-1.0/../../evil", Body: "x"}}})
	_, sdistLink := pypi.BuildSdist(t, pypi.DistSpec{Name: "victim", Version: "1.0", Extra: []pypi.Entry{{Name: "victim-1.0/link", Body: "../../etc/passwd", Link: true}}})
	_, sdistOutside := pypi.BuildSdist(t, pypi.DistSpec{Name: "victim", Version: "1.0", Extra: []pypi.Entry{{Name: "elsewhere/file", Body: "x"}}})
	trailing := append(slices.Clone(goodData), []byte("trailing garbage")...)

	cases := []struct {
		name     string
		fields   map[string]string
		filename string
		data     []byte
		want     string
	}{
		{"filename lies about the version", wheelFields("victim", "1.0"), liarName, liarData, "metadata says version 2.0"},
		{"form version differs from filename", wheelFields("victim", "1.1"), goodName, goodData, "is version 1.0, but the upload says 1.1"},
		{"../ entry in wheel", wheelFields("victim", "1.0"), goodName, dotdot, "leaves the archive directory"},
		{"absolute entry in wheel", wheelFields("victim", "1.0"), goodName, abs, "absolute entry"},
		{"wheel without METADATA", wheelFields("victim", "1.0"), goodName, noMeta, "METADATA is missing"},
		{"METADATA names another project", wheelFields("victim", "1.0"), goodName, otherName, "someone-else"},
		{"trailing data after the zip", wheelFields("victim", "1.0"), goodName, trailing, "data after the end"},
		{"../ entry in sdist", map[string]string{"name": "victim", "version": "1.0", "filetype": "sdist"}, sdistName, sdistDotdot, "leaves the archive directory"},
		{"escaping link in sdist", map[string]string{"name": "victim", "version": "1.0", "filetype": "sdist"}, sdistName, sdistLink, "points outside"},
		{"sdist entry outside its directory", map[string]string{"name": "victim", "version": "1.0", "filetype": "sdist"}, sdistName, sdistOutside, "not below the top-level directory"},
		{"control character in name", wheelFields("vic\x01tim", "1.0"), goodName, goodData, "invalid project name"},
		{"control character in filename", wheelFields("victim", "1.0"), "victim-1.0-py3-none-any\x7f.whl", goodData, "invalid upload"},
		{"traversal in filename", wheelFields("victim", "1.0"), "../victim-1.0-py3-none-any.whl", goodData, "not allowed"},
		{"not a distribution", wheelFields("victim", "1.0"), "victim-1.0.exe", goodData, "neither a wheel"},
		{"sha256 mismatch", map[string]string{"name": "victim", "version": "1.0", "sha256_digest": strings.Repeat("ab", 32)}, goodName, goodData, "sha256"},
		{"filetype mismatch", map[string]string{"name": "victim", "version": "1.0", "filetype": "sdist"}, goodName, goodData, "filetype"},
		{"wrong action", map[string]string{"name": "victim", "version": "1.0", ":action": "submit"}, goodName, goodData, "file_upload"},
		{"not PEP 440", wheelFields("victim", "1.0-banana"), goodName, goodData, "invalid version"},
		{"garbage instead of a zip", wheelFields("victim", "1.0"), goodName, []byte("this is not a zip file at all, just text"), "not a zip"},
	}
	before := blobFiles(t, f.srv.DataDir)
	for _, c := range cases {
		st, body := f.post(t, tok, c.fields, c.filename, c.data)
		if st != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %q, want 400 mentioning %q", c.name, st, body, c.want)
		}
	}
	if after := blobFiles(t, f.srv.DataDir); !slices.Equal(before, after) {
		t.Errorf("refused uploads left blobs: before %v, after %v", before, after)
	}
	if st, _, _ := f.get(t, "simple/victim/", tok, nil); st != http.StatusNotFound {
		t.Errorf("project exists after refused uploads: %d", st)
	}
	// Nothing was burned: the real file uploads under the same name.
	if st, body := f.post(t, tok, wheelFields("victim", "1.0"), goodName, goodData); st != http.StatusOK {
		t.Fatalf("good upload after refusals: %d %s", st, body)
	}
	if p := f.project(t, "victim", tok); len(p.Files) != 1 || p.Files[0].Hashes["sha256"] != sha(goodData) {
		t.Fatalf("project after the good upload: %+v", p)
	}
}

// TestPyPIConcurrentUploadOneWinner: 16 uploads of one filename with
// different bytes → exactly one 200, the rest 409, and the stored file is
// the winner's.
func TestPyPIConcurrentUploadOneWinner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const n = 16
	var fn string
	datas := make([][]byte, n)
	for i := range n {
		fn, datas[i] = pypi.BuildWheel(t, pypi.DistSpec{Name: "race", Version: "1.0", Salt: fmt.Sprint("contender ", i)})
	}
	statuses := make([]int, n)
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			statuses[i], _ = f.post(t, f.srv.AdminToken, wheelFields("race", "1.0"), fn, datas[i])
		}()
	}
	for range n {
		<-done
	}
	winner := -1
	for i, st := range statuses {
		switch st {
		case http.StatusOK:
			if winner >= 0 {
				t.Fatalf("two uploads of %s succeeded: %v", fn, statuses)
			}
			winner = i
		case http.StatusConflict:
		default:
			t.Fatalf("upload %d: status %d", i, st)
		}
	}
	if winner < 0 {
		t.Fatalf("no upload succeeded: %v", statuses)
	}
	p := f.project(t, "race", f.srv.AdminToken)
	if len(p.Files) != 1 || p.Files[0].Hashes["sha256"] != sha(datas[winner]) {
		t.Fatalf("stored file is not the winner's: %+v", p.Files)
	}
	st, body, _ := f.get(t, "files/race/1.0/"+fn, f.srv.AdminToken, nil)
	if st != http.StatusOK || !bytes.Equal(body, datas[winner]) {
		t.Fatalf("download: %d", st)
	}
}

// TestPyPIFilenamesNeverReused: after a version is deleted, neither its
// filenames nor new files for it can be uploaded again (also after a
// restart), while other versions still can.
func TestPyPIFilenamesNeverReused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.srv.AdminToken
	fn, data := pypi.BuildWheel(t, pypi.DistSpec{Name: "gone", Version: "1.0"})
	if st, body := f.post(t, tok, wheelFields("gone", "1.0"), fn, data); st != http.StatusOK {
		t.Fatalf("upload: %d %s", st, body)
	}
	if st, body, _ := f.do(t, http.MethodDelete, "gone/1.0", tok, nil, nil); st >= 300 {
		t.Fatalf("delete: %d %s", st, body)
	}
	sn, sdata := pypi.BuildSdist(t, pypi.DistSpec{Name: "gone", Version: "1.0"})
	check := func() {
		if st, body := f.post(t, tok, wheelFields("gone", "1.0"), fn, data); st != http.StatusConflict {
			t.Errorf("re-upload of a deleted file: %d %s", st, body)
		}
		if st, body := f.post(t, tok, map[string]string{"name": "gone", "version": "1.0", "filetype": "sdist"}, sn, sdata); st != http.StatusConflict {
			t.Errorf("new file for a deleted version: %d %s", st, body)
		}
	}
	before := blobFiles(t, f.srv.DataDir)
	check()
	if after := blobFiles(t, f.srv.DataDir); !slices.Equal(before, after) {
		t.Errorf("refused uploads stored blobs: %v", after)
	}
	f.srv.Stop()
	f.srv = daemontest.StartIn(t, f.srv.DataDir)
	f.root = f.srv.URL + "/api/v1/packages/pypi/acme/"
	tok = f.srv.AdminToken
	check()
	fn2, data2 := pypi.BuildWheel(t, pypi.DistSpec{Name: "gone", Version: "1.1"})
	if st, body := f.post(t, tok, wheelFields("gone", "1.1"), fn2, data2); st != http.StatusOK {
		t.Fatalf("upload of another version: %d %s", st, body)
	}
	if p := f.project(t, "gone", tok); len(p.Files) != 1 || p.Files[0].Filename != fn2 {
		t.Fatalf("project: %+v", p)
	}
}

// TestPyPIRoutesAndNegotiation: PEP 503 redirects, PEP 691 negotiation
// (406), root listing, ETags, the JSON API and invalid paths.
func TestPyPIRoutesAndNegotiation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.srv.AdminToken
	for _, v := range []string{"1.0", "1.10", "1.9", "2.0rc1", "1!0.1"} {
		fn, data := pypi.BuildWheel(t, pypi.DistSpec{Name: "Order_Me", Version: v})
		if st, body := f.post(t, tok, wheelFields("Order_Me", v), fn, data); st != http.StatusOK {
			t.Fatalf("upload %s: %d %s", v, st, body)
		}
	}
	if p := f.project(t, "order-me", tok); strings.Join(p.Versions, " ") != "1.0 1.9 1.10 2.0rc1 1!0.1" {
		t.Errorf("PEP 440 order: %v", p.Versions)
	}
	for path, want := range map[string]string{
		"simple/Order_Me/": "/api/v1/packages/pypi/acme/simple/order-me/",
		"simple/order.me":  "/api/v1/packages/pypi/acme/simple/order-me/",
		"simple/order-me":  "/api/v1/packages/pypi/acme/simple/order-me/",
		"simple":           "/api/v1/packages/pypi/acme/simple/",
	} {
		st, _, h := f.get(t, path, tok, nil)
		if st != http.StatusMovedPermanently || h.Get("Location") != want {
			t.Errorf("GET %s: %d → %q, want 301 → %s", path, st, h.Get("Location"), want)
		}
	}
	for accept, want := range map[string]int{
		"application/vnd.pypi.simple.v1+json":                      http.StatusOK,
		"application/vnd.pypi.simple.v1+html":                      http.StatusOK,
		"application/vnd.pypi.simple.latest+json, text/html;q=0.1": http.StatusOK,
		"application/vnd.pypi.simple.v2+json":                      http.StatusNotAcceptable,
		"image/png":                                                http.StatusNotAcceptable,
		"*/*":                                                      http.StatusOK,
	} {
		st, _, h := f.get(t, "simple/order-me/", tok, map[string]string{"Accept": accept})
		if st != want {
			t.Errorf("Accept %s: %d, want %d (%s)", accept, st, want, h.Get("Content-Type"))
		}
	}
	st, body, h := f.get(t, "simple/", tok, map[string]string{"Accept": "application/vnd.pypi.simple.v1+json"})
	var root struct {
		Projects []struct{ Name string } `json:"projects"`
	}
	if err := json.Unmarshal(body, &root); st != http.StatusOK || err != nil || len(root.Projects) != 1 || root.Projects[0].Name != "order-me" {
		t.Errorf("root JSON: %d %s", st, body)
	}
	_, _, h = f.get(t, "simple/order-me/", tok, nil)
	if st, _, _ := f.get(t, "simple/order-me/", tok, map[string]string{"If-None-Match": h.Get("ETag")}); st != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", st)
	}
	st, body, _ = f.get(t, "pypi/order-me/json", tok, nil)
	var js struct {
		Info     struct{ Version string } `json:"info"`
		Releases map[string][]any         `json:"releases"`
	}
	if err := json.Unmarshal(body, &js); st != http.StatusOK || err != nil || js.Info.Version != "1!0.1" || len(js.Releases) != 5 {
		t.Errorf("JSON API: %d %s", st, body)
	}
	for _, path := range []string{"simple/..%2f..%2fetc/", "simple/bad%00name/", "files/-bad-/1.0/x.whl"} {
		if st, body, _ := f.get(t, path, tok, nil); st != http.StatusBadRequest {
			t.Errorf("GET %s: %d %s", path, st, body)
		}
	}
	if st, _, _ := f.get(t, "files/order-me/1.0/nope-1.0-py3-none-any.whl", tok, nil); st != http.StatusNotFound {
		t.Errorf("missing file: %d", st)
	}
}

// TestPyPIPublishFileThroughREST: `drok package publish` accepts wheels
// and sdists (metadata from the archive) and refuses a lying filename.
func TestPyPIPublishFileThroughREST(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	wn, wd := pypi.BuildWheel(t, pypi.DistSpec{Name: "rest-pkg", Version: "0.1"})
	sn, sd := pypi.BuildSdist(t, pypi.DistSpec{Name: "rest-pkg", Version: "0.1"})
	for name, data := range map[string][]byte{wn: wd, sn: sd} {
		res, err := f.srv.Client.Publish(ctx, "acme", "", name, bytes.NewReader(data))
		if err != nil || res.Ecosystem != "pypi" || res.Name != "rest-pkg" || res.Version != "0.1" {
			t.Fatalf("publish %s: %v %+v", name, err, res)
		}
	}
	if p := f.project(t, "rest-pkg", f.srv.AdminToken); len(p.Files) != 2 {
		t.Fatalf("project: %+v", p)
	}
	if _, err := f.srv.Client.Publish(ctx, "acme", "", "rest_pkg-0.1\x01-py3-none-any.whl", bytes.NewReader(wd)); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("control character in the filename: %v", err)
	}
	_, liar := pypi.BuildWheel(t, pypi.DistSpec{Name: "rest-pkg", Version: "0.2", MetaVersion: "0.3"})
	if _, err := f.srv.Client.Publish(ctx, "acme", "", "rest_pkg-0.2-py3-none-any.whl", bytes.NewReader(liar)); err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("lying wheel accepted: %v", err)
	}
}

// TestPyPIOversizedUpload: an upload over the daemon's body limit is 413
// and leaves no blob, no temp file and no project.
func TestPyPIOversizedUpload(t *testing.T) {
	t.Parallel()
	f := newFixture(t, daemontest.WithMaxBody(1<<20))
	// Random base64 text: deflate cannot shrink it below the limit.
	raw := make([]byte, 3<<19)
	_, _ = rand.Read(raw)
	big := base64.StdEncoding.EncodeToString(raw)
	fn, data := pypi.BuildWheel(t, pypi.DistSpec{Name: "huge", Version: "1.0", Extra: []pypi.Entry{{Name: "huge/blob.txt", Body: big}}})
	if len(data) <= 1<<20 {
		t.Fatalf("test wheel is only %d bytes", len(data))
	}
	// Sent without Content-Length, so the limit is met while the file streams.
	ct, body := uploadForm(t, wheelFields("huge", "1.0"), fn, data)
	before := blobFiles(t, f.srv.DataDir)
	st, resp, _ := f.do(t, http.MethodPost, "", f.srv.AdminToken, struct{ *bytes.Reader }{bytes.NewReader(body)}, map[string]string{"Content-Type": ct})
	if st != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized upload: %d %s", st, resp)
	}
	if after := blobFiles(t, f.srv.DataDir); !slices.Equal(before, after) {
		t.Errorf("oversized upload left files: %v", after)
	}
	if st, _, _ := f.get(t, "simple/huge/", f.srv.AdminToken, nil); st != http.StatusNotFound {
		t.Errorf("project exists: %d", st)
	}
}

// TestPyPIChangesApplyAtOnce: a visibility change and a token revocation
// take effect on the very next request, cached pages included.
func TestPyPIChangesApplyAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	public, private := "public", "private"
	if _, err := f.srv.Client.CreateRepo(ctx, "acme", client.RepoEdit{Name: "flip", Visibility: &public}); err != nil {
		t.Fatal(err)
	}
	fn, data := pypi.BuildWheel(t, pypi.DistSpec{Name: "flip", Version: "1.0"})
	if st, body := f.post(t, f.srv.AdminToken, wheelFields("flip", "1.0"), fn, data); st != http.StatusOK {
		t.Fatalf("upload: %d %s", st, body)
	}
	tk, err := f.srv.Client.CreateToken(ctx, client.CreateToken{Name: "reader", Scopes: []string{"package:read"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"", tk.Secret} {
		for range 2 { // the second read is served from the caches
			if st, _, _ := f.get(t, "simple/flip/", tok, nil); st != http.StatusOK {
				t.Fatalf("public project (token %v): %d", tok != "", st)
			}
			if _, root, _ := f.get(t, "simple/", tok, nil); !strings.Contains(string(root), "flip/") {
				t.Fatalf("root page lacks the public project")
			}
		}
	}
	if _, err := f.srv.Client.EditRepo(ctx, "acme", "flip", client.RepoEdit{Visibility: &private}); err != nil {
		t.Fatal(err)
	}
	if st, _, h := f.get(t, "simple/flip/", "", nil); st != http.StatusUnauthorized || h.Get("WWW-Authenticate") == "" {
		t.Errorf("anonymous read after the repository turned private: %d", st)
	}
	if st, _, _ := f.get(t, "files/flip/1.0/"+fn, "", nil); st != http.StatusUnauthorized {
		t.Errorf("anonymous download after the repository turned private: %d", st)
	}
	if st, root, _ := f.get(t, "simple/", "", nil); st == http.StatusOK && strings.Contains(string(root), "flip/") {
		t.Errorf("root page still lists the private project to anonymous callers")
	}
	if st, _, _ := f.get(t, "simple/flip/", tk.Secret, nil); st != http.StatusOK {
		t.Errorf("admin's read token after the change: %d", st)
	}
	if err := f.srv.Client.RevokeToken(ctx, tk.ID); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := f.get(t, "simple/flip/", tk.Secret, nil); st != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", st)
	}
}

// TestPyPIRESTYankNormalisesVersion: `drok package yank pkg@1.0-1`
// reaches the stored 1.0.post1, as pip users write versions either way.
func TestPyPIRESTYankNormalisesVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fn, data := pypi.BuildWheel(t, pypi.DistSpec{Name: "post", Version: "1.0.post1"})
	if st, body := f.post(t, f.srv.AdminToken, wheelFields("post", "1.0.post1"), fn, data); st != http.StatusOK {
		t.Fatalf("upload: %d %s", st, body)
	}
	v, err := f.srv.Client.Yank(context.Background(), "pypi", "acme", client.YankRequest{Name: "post", Version: "1.0-1", Yank: true, Reason: "typo"})
	if err != nil {
		t.Fatalf("yank 1.0-1: %v", err)
	}
	if v.Version != "1.0.post1" || !v.Yanked {
		t.Fatalf("yank answered %+v, want 1.0.post1 yanked", v)
	}
	if _, err := f.srv.Client.Yank(context.Background(), "pypi", "acme", client.YankRequest{Name: "post", Version: "not a version", Yank: true}); err == nil {
		t.Fatal("yank of an invalid version succeeded")
	}
}
