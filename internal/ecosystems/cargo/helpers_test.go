package cargo_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// get sends GET url with token ("" = anonymous) and extra headers.
func get(t *testing.T, url, token string, hdr map[string]string) (int, string) {
	t.Helper()
	return do(t, http.MethodGet, url, token, nil, hdr)
}

func do(t *testing.T, method, url, token string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	st, b, _ := doResp(t, method, url, token, body, hdr)
	return st, b
}

func doResp(t *testing.T, method, url, token string, body []byte, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", token) // cargo sends the raw token
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// tarEntry is one entry of a test archive.
type tarEntry struct {
	name     string
	body     string
	typeflag byte
	link     string
}

// makeCrate builds a gzip-compressed tar from entries.
func makeCrate(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		tf := e.typeflag
		if tf == 0 {
			tf = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: tf, Linkname: e.link}
		if tf == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if tf == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// simpleToml is a normalised Cargo.toml without dependencies.
func simpleToml(name, version string) string {
	return "[package]\nname = \"" + name + "\"\nversion = \"" + version + "\"\nedition = \"2021\"\n"
}

// simpleCrate is a valid crate of name@version; salt changes its bytes.
func simpleCrate(t testing.TB, name, version, salt string) []byte {
	root := name + "-" + version + "/"
	return makeCrate(t, []tarEntry{
		{name: root + "Cargo.toml", body: simpleToml(name, version)},
		{name: root + "src/lib.rs", body: "// " + salt + "\n"},
	})
}

// newCrateJSON is minimal publish metadata.
func newCrateJSON(name, version string) map[string]any {
	return map[string]any{"name": name, "vers": version, "deps": []any{}, "features": map[string]any{}}
}

// publishBody frames metadata and crate as cargo does.
func publishBody(t testing.TB, meta any, crate []byte) []byte {
	t.Helper()
	j, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_ = binary.Write(&buf, binary.LittleEndian, uint32(len(j)))
	buf.Write(j)
	_ = binary.Write(&buf, binary.LittleEndian, uint32(len(crate)))
	buf.Write(crate)
	return buf.Bytes()
}
