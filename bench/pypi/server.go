//go:build linux

package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/drok-dev/drok/bench/internal/benchkit"
)

// server is one index process under test, started and owned by the
// benchmark.
type server struct {
	*benchkit.Process
	// Simple is the simple index URL, ending in "/simple/".
	Simple string
	// Upload is the legacy upload URL (drok only).
	Upload string
	// Auth is the Authorization header value for requests ("" = none).
	Auth string
}

// startProcess starts cmd as the server name with its output in logPath.
func startProcess(name string, cmd *exec.Cmd, logPath string) (*server, error) {
	p, err := benchkit.StartProcess(name, cmd, logPath)
	if err != nil {
		return nil, err
	}
	return &server{Process: p}, nil
}

// get sends one GET (with the server's credentials) and returns status and body.
func (s *server) get(ctx context.Context, c *http.Client, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	if s.Auth != "" {
		req.Header.Set("Authorization", s.Auth)
	}
	return benchkit.Fetch(c, req)
}

var setupClient = &http.Client{
	Timeout:   30 * time.Minute,
	Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16},
}

// startDrok runs `drok serve` on a fresh data directory under dir, reads
// the initial admin token and creates the org `bench`.
func startDrok(ctx context.Context, bin, dir string) (*server, error) {
	d, err := benchkit.StartDrok(ctx, bin, dir)
	if err != nil {
		return nil, err
	}
	s := &server{Process: d.Process}
	base, token := d.Base, d.Token
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/orgs", strings.NewReader(`{"name":"bench"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := setupClient.Do(req)
	if err != nil {
		s.Stop()
		return nil, s.Failf("create org: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		s.Stop()
		return nil, s.Failf("create org bench: status %d: %s", resp.StatusCode, body)
	}
	s.Auth = "Basic " + base64.StdEncoding.EncodeToString([]byte("__token__:"+token))
	s.Upload = base + "/api/v1/packages/pypi/bench/"
	s.Simple = s.Upload + "simple/"
	return s, nil
}

// startPypiserver runs pypiserver on dir (no authentication, the
// cached-dir backend, its threaded paste server).
func startPypiserver(ctx context.Context, bin, pkgDir, dir string) (*server, error) {
	port, err := benchkit.FreeLoopbackPort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "run", "-p", strconv.Itoa(port), "-i", "127.0.0.1", "-a", ".", "-P", ".",
		"--server", "paste", "--backend", "cached-dir", "--hash-algo", "sha256", "--disable-fallback", pkgDir)
	s, err := startProcess("pypiserver", cmd, filepath.Join(dir, "pypiserver.log"))
	if err != nil {
		return nil, err
	}
	s.Simple = "http://" + addr + "/simple/"
	if err := s.WaitHTTP(ctx, s.Simple, 60*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// upload POSTs one file with twine's form, streaming body.
func (s *server) upload(ctx context.Context, project, version, filename string, body io.Reader) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fields := [][2]string{{":action", "file_upload"}, {"protocol_version", "1"}, {"name", project},
			{"version", version}, {"filetype", "bdist_wheel"}, {"pyversion", "py3"}, {"metadata_version", "2.1"}}
		for _, f := range fields {
			if err := mw.WriteField(f[0], f[1]); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		w, err := mw.CreateFormFile("content", filename)
		if err == nil {
			_, err = io.Copy(w, body)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Upload, pr)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", s.Auth)
	resp, err := setupClient.Do(req)
	if err != nil {
		return fmt.Errorf("upload %s: %w", filename, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return s.Failf("upload %s: status %d: %s", filename, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}
