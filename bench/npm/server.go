//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

// server is one registry process under test, started and owned by the
// benchmark.
type server struct {
	Name     string // "drok" or "Verdaccio"
	Registry string // npm registry base URL, ending in "/"
	Token    string // bearer token for publishes (and reads, if AuthReads)
	PID      int
	// AuthReads is set when the server refuses anonymous reads, so
	// that GETs carry the token too.
	AuthReads bool

	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
}

// freeLoopbackPort asks the kernel for an unused port on 127.0.0.1.
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
	cmd.Stdout = logf
	cmd.Stderr = logf
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

// Stop terminates the server process (SIGTERM, then SIGKILL after a grace
// period) and waits for it.
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

// logTail returns the last lines of the server's log, for error messages.
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

// failf wraps err with the server's name and log tail.
func (s *server) failf(format string, args ...any) error {
	return fmt.Errorf("%s: %s\n--- last lines of %s ---\n%s", s.Name, fmt.Sprintf(format, args...), s.logPath, s.logTail())
}

// waitHTTP polls url until it answers 200, the process exits or timeout.
func (s *server) waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("new request: %w", err)
		}
		resp, err := c.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
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

// startDrok runs `drok serve` on a fresh data directory under dir, waits
// for it, reads the initial admin token and creates the org `bench`.
func startDrok(ctx context.Context, bin, dir string) (*server, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "drokdata")
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", data)
	s, err := startProcess("drok", cmd, filepath.Join(dir, "drok.log"))
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
	s.Token = strings.TrimSpace(string(tok))
	body := []byte(`{"name":"bench"}`)
	status, resp, err := s.do(ctx, http.MethodPost, base+"/api/v1/orgs", "application/json", body, nil)
	if err != nil {
		s.Stop()
		return nil, err
	}
	if status != http.StatusCreated && status != http.StatusOK {
		s.Stop()
		return nil, s.failf("create org bench: status %d: %s", status, trim(resp))
	}
	s.Registry = base + "/api/v1/packages/npm/bench/"
	return s, nil
}

// verdaccioConfig is the Verdaccio configuration used by the benchmark:
// local storage only (no uplinks), htpasswd accounts, a body limit large
// enough for the 100 MB publish and quiet logging.
const verdaccioConfig = `# Generated by the drok npm benchmark.
storage: %q
auth:
  htpasswd:
    file: %q
    max_users: 100
uplinks: {}
packages:
  '**':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
max_body_size: 200mb
server:
  keepAliveTimeout: 60
web:
  enable: false
middlewares:
  audit:
    enabled: false
log:
  type: stdout
  format: json
  level: error
`

// startVerdaccio writes a config under dir, runs Verdaccio with node on a
// loopback port, waits for it and adds a user whose token is kept.
func startVerdaccio(ctx context.Context, installDir, dir string) (*server, error) {
	installDir, err := filepath.Abs(installDir)
	if err != nil {
		return nil, fmt.Errorf("verdaccio directory: %w", err)
	}
	entry := filepath.Join(installDir, "node_modules", "verdaccio", "bin", "verdaccio")
	if _, err := os.Stat(entry); err != nil {
		return nil, fmt.Errorf("verdaccio is not installed (run `npm ci` in %s): %w", installDir, err)
	}
	vdir := filepath.Join(dir, "verdaccio")
	if err := os.MkdirAll(filepath.Join(vdir, "storage"), 0o755); err != nil {
		return nil, fmt.Errorf("verdaccio storage: %w", err)
	}
	cfgPath := filepath.Join(vdir, "config.yaml")
	cfg := fmt.Sprintf(verdaccioConfig, filepath.Join(vdir, "storage"), filepath.Join(vdir, "htpasswd"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("write verdaccio config: %w", err)
	}
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command("node", entry, "--config", cfgPath, "--listen", addr)
	cmd.Dir = vdir
	cmd.Env = append(os.Environ(), "NODE_ENV=production")
	s, err := startProcess("Verdaccio", cmd, filepath.Join(dir, "verdaccio.log"))
	if err != nil {
		return nil, err
	}
	base := "http://" + addr
	if err := s.waitHTTP(ctx, base+"/-/ping", 60*time.Second); err != nil {
		s.Stop()
		return nil, err
	}
	user := map[string]any{
		"_id": "org.couchdb.user:bench", "name": "bench", "password": "bench-password-1",
		"email": "bench@example.invalid", "type": "user", "roles": []string{}, "date": time.Now().UTC().Format(time.RFC3339),
	}
	body, _ := json.Marshal(user)
	status, resp, err := s.do(ctx, http.MethodPut, base+"/-/user/org.couchdb.user:bench", "application/json", body, nil)
	if err != nil {
		s.Stop()
		return nil, err
	}
	if status != http.StatusCreated && status != http.StatusOK {
		s.Stop()
		return nil, s.failf("add user: status %d: %s", status, trim(resp))
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(resp, &out); err != nil || out.Token == "" {
		s.Stop()
		return nil, s.failf("add user: no token in %s (%v)", trim(resp), err)
	}
	s.Token = out.Token
	s.Registry = base + "/"
	return s, nil
}

// do sends one authenticated request and returns status and body.
func (s *server) do(ctx context.Context, method, url, contentType string, body []byte, h http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("new request: %w", err)
	}
	if body == nil {
		req.Body = nil
		req.ContentLength = 0
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if s.Token != "" && (method != http.MethodGet || s.AuthReads) {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	resp, err := setupClient.Do(req)
	if err != nil {
		select {
		case <-s.exited:
			return 0, nil, s.failf("%s %s: %v (process exited: %v)", method, url, err, s.waitErr)
		default:
		}
		return 0, nil, fmt.Errorf("%s: %s %s: %w", s.Name, method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s: %s %s: read body: %w", s.Name, method, url, err)
	}
	return resp.StatusCode, data, nil
}

// setupClient is used for everything except the load runs.
var setupClient = &http.Client{
	Timeout:   5 * time.Minute,
	Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4},
}

// publish PUTs one publish document for name and requires a 2xx answer.
func (s *server) publish(ctx context.Context, name string, body []byte) error {
	status, resp, err := s.do(ctx, http.MethodPut, s.Registry+name, "application/json", body, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK && status != http.StatusCreated {
		return s.failf("publish %s: status %d: %s", name, status, trim(resp))
	}
	return nil
}

// decideReadAuth checks whether name can be read anonymously and sets
// AuthReads if it cannot. Anonymous reads are the cheaper path on both
// servers, so they are used wherever the server allows them.
func (s *server) decideReadAuth(ctx context.Context, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Registry+name, nil)
	if err != nil {
		return fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := setupClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: GET %s: %w", s.Name, name, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s.AuthReads = resp.StatusCode != http.StatusOK
	return nil
}

// packument is the part of a packument the benchmark checks.
type packument struct {
	Name     string            `json:"name"`
	DistTags map[string]string `json:"dist-tags"`
	Versions map[string]struct {
		Dist struct {
			Tarball string `json:"tarball"`
		} `json:"dist"`
	} `json:"versions"`
}

// fetchPackument GETs name with accept and decodes it; it also returns
// the response size and content type.
func (s *server) fetchPackument(ctx context.Context, name, accept string) (packument, int, string, error) {
	var p packument
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Registry+name, nil)
	if err != nil {
		return p, 0, "", fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Accept", accept)
	if s.AuthReads {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	resp, err := setupClient.Do(req)
	if err != nil {
		return p, 0, "", fmt.Errorf("%s: GET %s: %w", s.Name, name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return p, 0, "", fmt.Errorf("%s: GET %s: %w", s.Name, name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return p, 0, "", s.failf("GET %s (%s): status %d: %s", name, accept, resp.StatusCode, trim(data))
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, 0, "", s.failf("GET %s (%s): decode: %v", name, accept, err)
	}
	return p, len(data), resp.Header.Get("Content-Type"), nil
}

// trim shortens a response body for an error message.
func trim(b []byte) string {
	const n = 300
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
