//go:build linux

package benchkit

import (
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

// Process is a server process started and owned by a benchmark. Its
// output goes to a log file; it runs in its own process group and is
// killed if the benchmark dies.
type Process struct {
	Name    string    // name used in messages, e.g. "drok" or "nginx"
	PID     int       // process id
	Cmd     *exec.Cmd // the started command
	LogPath string    // file holding the process's stdout and stderr

	exited  chan struct{}
	waitErr error
}

// FreeLoopbackPort asks the kernel for an unused port on 127.0.0.1.
func FreeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// FreeLoopbackAddr is FreeLoopbackPort as a "127.0.0.1:PORT" address.
func FreeLoopbackAddr() (string, error) {
	port, err := FreeLoopbackPort()
	if err != nil {
		return "", err
	}
	return "127.0.0.1:" + strconv.Itoa(port), nil
}

// StartProcess starts cmd with its output in logPath, in its own process
// group and killed if the benchmark dies.
func StartProcess(name string, cmd *exec.Cmd, logPath string) (*Process, error) {
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
	p := &Process{Name: name, PID: cmd.Process.Pid, Cmd: cmd, LogPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	return p, nil
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// WaitErr is the process's exit error; it is valid once Exited is closed.
func (p *Process) WaitErr() error {
	select {
	case <-p.exited:
		return p.waitErr
	default:
		return nil
	}
}

// Stop terminates the process (SIGTERM, then SIGKILL after a grace
// period) and waits for it. Stopping an exited process does nothing.
func (p *Process) Stop() {
	p.stop(func(sig syscall.Signal) { _ = p.Cmd.Process.Signal(sig) })
}

// StopGroup is Stop for the whole process group, for servers with worker
// processes such as nginx.
func (p *Process) StopGroup() {
	p.stop(func(sig syscall.Signal) { _ = syscall.Kill(-p.PID, sig) })
}

func (p *Process) stop(signal func(syscall.Signal)) {
	select {
	case <-p.exited:
		return
	default:
	}
	signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		signal(syscall.SIGKILL)
		<-p.exited
	}
}

// LogTail returns the last 20 lines of the process's log, for error
// messages.
func (p *Process) LogTail() string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// Failf returns an error with the process's name, the formatted message
// and the tail of its log.
func (p *Process) Failf(format string, args ...any) error {
	return fmt.Errorf("%s: %s\n--- last lines of %s ---\n%s", p.Name, fmt.Sprintf(format, args...), p.LogPath, p.LogTail())
}

// WaitHTTP polls url until it answers 200, the process exits, ctx ends or
// timeout passes.
func (p *Process) WaitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	return p.wait(ctx, url, timeout, func(status int) bool { return status == http.StatusOK })
}

// WaitAnswer is WaitHTTP accepting any HTTP answer, whatever its status.
func (p *Process) WaitAnswer(ctx context.Context, url string, timeout time.Duration) error {
	return p.wait(ctx, url, timeout, func(int) bool { return true })
}

func (p *Process) wait(ctx context.Context, url string, timeout time.Duration, ok func(int) bool) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("new request: %w", err)
		}
		if resp, err := c.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if ok(resp.StatusCode) {
				return nil
			}
		}
		select {
		case <-p.exited:
			return p.Failf("exited before answering %s: %v", url, p.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return p.Failf("did not answer %s within %s", url, timeout)
		}
	}
}

// BuildDrok builds ./cmd/drok into out with `go build`, its output on the
// benchmark's stdout and stderr. It must run from the repository root.
func BuildDrok(ctx context.Context, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/drok")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build drok: %w", err)
	}
	return nil
}

// Drok is a `drok serve` process started by StartDrok.
type Drok struct {
	*Process
	Addr  string // listen address, 127.0.0.1:PORT
	Base  string // "http://" + Addr
	Token string // the initial admin token
}

// StartDrok runs `drok serve` from bin on a free loopback port, with a
// fresh data directory dir/drokdata and its log in dir/drok.log, waits up
// to 30s for /api/v1/health to answer 200 and reads the initial admin
// token. On failure the process is stopped.
func StartDrok(ctx context.Context, bin, dir string) (*Drok, error) {
	addr, err := FreeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "drokdata")
	p, err := StartProcess("drok", exec.Command(bin, "serve", "--addr", addr, "--data", data), filepath.Join(dir, "drok.log"))
	if err != nil {
		return nil, err
	}
	d := &Drok{Process: p, Addr: addr, Base: "http://" + addr}
	if err := p.WaitHTTP(ctx, d.Base+"/api/v1/health", 30*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	tok, err := os.ReadFile(filepath.Join(data, "initial-admin-token"))
	if err != nil {
		p.Stop()
		return nil, p.Failf("read initial admin token: %v", err)
	}
	d.Token = strings.TrimSpace(string(tok))
	return d, nil
}

// Fetch sends req with c and returns the response status and body.
func Fetch(c *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
