//go:build linux

package main

import (
	"bytes"
	"context"
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

// proc is a server process started and owned by the benchmark.
type proc struct {
	name    string
	base    string // http://127.0.0.1:PORT
	token   string // drok only
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func start(name string, cmd *exec.Cmd, logPath, base string) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, base: base, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	return p, nil
}

// Stop sends SIGTERM to the process group (nginx has workers), then
// SIGKILL after a grace period.
func (p *proc) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}

func (p *proc) failf(format string, args ...any) error {
	log, _ := os.ReadFile(p.logPath)
	lines := strings.Split(strings.TrimRight(string(log), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return fmt.Errorf("%s: %s\n--- last lines of %s ---\n%s", p.name, fmt.Sprintf(format, args...), p.logPath, strings.Join(lines, "\n"))
}

// wait polls url until any HTTP answer, the process exits or timeout.
func (p *proc) wait(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := c.Get(url); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		select {
		case <-p.exited:
			return p.failf("exited before answering: %v", p.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return p.failf("did not answer %s in time", url)
		}
	}
}

// do sends a request to the drok daemon with its admin token.
func (p *proc) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", p.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// publish sends one framed publish to the Cargo web API.
func (p *proc) publish(ctx context.Context, body []byte) error {
	st, b, err := p.do(ctx, http.MethodPut, "/api/v1/packages/cargo/"+org+"/api/v1/crates/new", body)
	if err != nil {
		return err
	}
	if st != http.StatusOK {
		return fmt.Errorf("status %d: %.300s", st, b)
	}
	return nil
}

// startDrok runs `drok serve` on a fresh data directory, reads the admin
// token and creates org bench with the public repository bench-crate.
func startDrok(ctx context.Context, bin, dir string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "drokdata")
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p, err := start("drok", exec.Command(bin, "serve", "--addr", addr, "--data", data), filepath.Join(dir, "drok.log"), "http://"+addr)
	if err != nil {
		return nil, err
	}
	if err := p.wait(ctx, p.base+"/api/v1/health"); err != nil {
		p.Stop()
		return nil, err
	}
	tok, err := os.ReadFile(filepath.Join(data, "initial-admin-token"))
	if err != nil {
		p.Stop()
		return nil, p.failf("read the initial admin token: %v", err)
	}
	p.token = strings.TrimSpace(string(tok))
	for _, step := range []struct{ path, body string }{
		{"/api/v1/orgs", `{"name":"` + org + `"}`},
		{"/api/v1/orgs/" + org + "/repos", `{"name":"` + benchName + `","visibility":"public"}`},
	} {
		st, b, err := p.do(ctx, http.MethodPost, step.path, []byte(step.body))
		if err != nil || (st != http.StatusCreated && st != http.StatusOK) {
			p.Stop()
			return nil, p.failf("POST %s: %d %s %v", step.path, st, b, err)
		}
	}
	return p, nil
}

// nginxConfig serves root on addr: static files only, no access log,
// sendfile, long keep-alive, one worker per CPU.
const nginxConfig = `worker_processes auto;
daemon off;
master_process on;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 100000000;
    keepalive_timeout 120s;
    default_type text/plain;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen %[2]s;
        root %[1]s/www;
        etag on;
    }
}
`

// startNginx writes file at indexRel below a document root in dir and
// serves it with nginx on a loopback port.
func startNginx(ctx context.Context, bin, dir string, file []byte) (*proc, error) {
	www := filepath.Join(dir, "www")
	target := filepath.Join(www, filepath.FromSlash(indexRel))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return nil, err
	}
	for d := filepath.Dir(target); strings.HasPrefix(d, dir); d = filepath.Dir(d) {
		_ = os.Chmod(d, 0o755)
	}
	if err := os.WriteFile(target, file, 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(nginxConfig, dir, addr)), 0o644); err != nil {
		return nil, err
	}
	p, err := start("nginx", exec.Command(bin, "-c", conf, "-p", dir, "-e", filepath.Join(dir, "error.log")), filepath.Join(dir, "nginx.log"), "http://"+addr)
	if err != nil {
		return nil, err
	}
	if err := p.wait(ctx, p.base+"/"); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}
