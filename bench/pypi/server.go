//go:build linux

package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is one index process under test, started and owned by the
// benchmark.
type server struct {
	Name string
	// Simple is the simple index URL, ending in "/simple/".
	Simple string
	// Upload is the legacy upload URL (drok only).
	Upload string
	// Auth is the Authorization header value for requests ("" = none).
	Auth string
	PID  int

	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
}

func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startProcess starts cmd with its output in logPath, in its own process
// group and killed if the benchmark dies.
func startProcess(name string, cmd *exec.Cmd, logPath string) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s log file: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{Name: name, PID: cmd.Process.Pid, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	return s, nil
}

// Stop terminates the server (SIGTERM, then SIGKILL) and waits for it.
func (s *server) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func (s *server) logTail() string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

func (s *server) failf(format string, args ...any) error {
	return fmt.Errorf("%s: %s\n--- last lines of %s ---\n%s", s.Name, fmt.Sprintf(format, args...), s.logPath, s.logTail())
}

// waitHTTP polls url until it answers 200, the process exits or timeout.
func (s *server) waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		if st, _, err := s.get(ctx, c, url); err == nil && st == http.StatusOK {
			return nil
		}
		select {
		case <-s.exited:
			return s.failf("exited before answering %s: %v", url, s.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return s.failf("did not answer %s within %s", url, timeout)
		}
	}
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
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

var setupClient = &http.Client{
	Timeout:   30 * time.Minute,
	Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16},
}

// startDrok runs `drok serve` on a fresh data directory under dir, reads
// the initial admin token and creates the org `bench`.
func startDrok(ctx context.Context, bin, dir string) (*server, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "drokdata")
	addr := "127.0.0.1:" + strconv.Itoa(port)
	s, err := startProcess("drok", exec.Command(bin, "serve", "--addr", addr, "--data", data), filepath.Join(dir, "drok.log"))
	if err != nil {
		return nil, err
	}
	base := "http://" + addr
	if err := s.waitHTTP(ctx, base+"/api/v1/health", 30*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	tok, err := os.ReadFile(filepath.Join(data, "initial-admin-token"))
	if err != nil {
		s.Stop()
		return nil, s.failf("read initial admin token: %v", err)
	}
	token := strings.TrimSpace(string(tok))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/orgs", strings.NewReader(`{"name":"bench"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := setupClient.Do(req)
	if err != nil {
		s.Stop()
		return nil, s.failf("create org: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		s.Stop()
		return nil, s.failf("create org bench: status %d: %s", resp.StatusCode, body)
	}
	s.Auth = "Basic " + base64.StdEncoding.EncodeToString([]byte("__token__:"+token))
	s.Upload = base + "/api/v1/packages/pypi/bench/"
	s.Simple = s.Upload + "simple/"
	return s, nil
}

// startPypiserver runs pypiserver on dir (no authentication, the
// cached-dir backend, its threaded paste server).
func startPypiserver(ctx context.Context, bin, pkgDir, dir string) (*server, error) {
	port, err := freeLoopbackPort()
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
	if err := s.waitHTTP(ctx, s.Simple, 60*time.Second); err != nil {
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
		return s.failf("upload %s: status %d: %s", filename, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}
