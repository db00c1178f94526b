package oci_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// reg sends raw distribution API requests.
type reg struct {
	base string
}

type resp struct {
	status int
	body   string
	header http.Header
}

func (g reg) do(t *testing.T, method, path, token string, body []byte, hdr map[string]string) resp {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, g.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, string(b), res.Header}
}

// pushBlob uploads b monolithically to repo and returns its digest.
func (g reg) pushBlob(t *testing.T, token, repo string, b []byte) string {
	t.Helper()
	d := sha(b)
	r := g.do(t, "POST", "/v2/"+repo+"/blobs/uploads/?digest="+d, token, b, map[string]string{"Content-Type": "application/octet-stream"})
	if r.status != http.StatusCreated {
		t.Fatalf("push blob to %s: %d %s", repo, r.status, r.body)
	}
	return d
}

// image pushes a config blob with the given content and returns the
// manifest bytes referencing it (not pushed).
func (g reg) image(t *testing.T, token, repo, configText string) []byte {
	t.Helper()
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","note":%q,"rootfs":{"type":"layers","diff_ids":[]}}`, configText))
	cd := g.pushBlob(t, token, repo, cfg)
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(cfg)},
		"layers": []any{}})
	return m
}

func (g reg) putManifest(t *testing.T, token, repo, ref string, m []byte) resp {
	t.Helper()
	return g.do(t, "PUT", "/v2/"+repo+"/manifests/"+ref, token, m, map[string]string{"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
}

func (g reg) mustPutManifest(t *testing.T, token, repo, ref string, m []byte) string {
	t.Helper()
	r := g.putManifest(t, token, repo, ref, m)
	if r.status != http.StatusCreated {
		t.Fatalf("put manifest %s:%s: %d %s", repo, ref, r.status, r.body)
	}
	return r.header.Get("Docker-Content-Digest")
}

// startUpload opens an upload session and returns its Location path.
func (g reg) startUpload(t *testing.T, token, repo string) string {
	t.Helper()
	r := g.do(t, "POST", "/v2/"+repo+"/blobs/uploads/", token, nil, nil)
	if r.status != http.StatusAccepted || r.header.Get("Location") == "" {
		t.Fatalf("start upload in %s: %d %s", repo, r.status, r.body)
	}
	return r.header.Get("Location")
}

func errorCode(body string) string {
	var e struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(body), &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

func decodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// tryImage is image without t.Fatal (for goroutines racing a kill).
func tryImage(g reg, token, note string) ([]byte, bool) {
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","note":%q,"rootfs":{"type":"layers","diff_ids":[]}}`, note))
	d := sha(cfg)
	req, _ := http.NewRequest("POST", g.base+"/v2/acme/crash/blobs/uploads/?digest="+d, bytes.NewReader(cfg))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, false
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		return nil, false
	}
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d, "size": len(cfg)}, "layers": []any{}})
	return m, true
}

func tryPut(g reg, token, tag string, m []byte) (int, error) {
	req, _ := http.NewRequest("PUT", g.base+"/v2/acme/crash/manifests/"+tag, bytes.NewReader(m))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
