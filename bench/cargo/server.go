//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/drok-dev/drok/bench/internal/benchkit"
)

// proc is a server process started and owned by the benchmark.
type proc struct {
	*benchkit.Process
	base  string // http://127.0.0.1:PORT
	token string // drok only
}

// start starts cmd as the server name, answering at base.
func start(name string, cmd *exec.Cmd, logPath, base string) (*proc, error) {
	p, err := benchkit.StartProcess(name, cmd, logPath)
	if err != nil {
		return nil, err
	}
	return &proc{Process: p, base: base}, nil
}

// Stop stops the whole process group (nginx has workers).
func (p *proc) Stop() { p.StopGroup() }

// do sends a request to the drok daemon with its admin token.
func (p *proc) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", p.token)
	req.Header.Set("Content-Type", "application/json")
	return benchkit.Fetch(http.DefaultClient, req)
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
	d, err := benchkit.StartDrok(ctx, bin, dir)
	if err != nil {
		return nil, err
	}
	p := &proc{Process: d.Process, base: d.Base, token: d.Token}
	for _, step := range []struct{ path, body string }{
		{"/api/v1/orgs", `{"name":"` + org + `"}`},
		{"/api/v1/orgs/" + org + "/repos", `{"name":"` + benchName + `","visibility":"public"}`},
	} {
		st, b, err := p.do(ctx, http.MethodPost, step.path, []byte(step.body))
		if err != nil || (st != http.StatusCreated && st != http.StatusOK) {
			p.Stop()
			return nil, p.Failf("POST %s: %d %s %v", step.path, st, b, err)
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
	port, err := benchkit.FreeLoopbackPort()
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
	if err := p.WaitAnswer(ctx, p.base+"/", 30*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}
