package serve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"time"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/localdaemon"
	"github.com/drok-dev/drok/internal/daemon/client"
)

// logTailLines is how much of drok.log a failed start shows.
const logTailLines = 20

// detachRun re-executes drok as `drok serve` in a new session with its
// output appended to DATA/drok.log, waits until the daemon it started
// answers /api/v1/health at the URL it wrote to DATA/drok.addr, and prints
// that URL.
func detachRun(opts *ServeOptions) error {
	st, err := localdaemon.Read(opts.DataDir)
	if err != nil {
		return err
	}
	if st.Running {
		fmt.Fprintf(opts.IO.ErrOut, "A drok daemon is already running for %s (pid %d) at %s\n", opts.DataDir, st.PID, st.URL)
		return cmdutil.ErrSilent
	}
	if err := st.RemoveStale(); err != nil {
		return err
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	_, err = os.Stat(st.Files.AdminToken)
	hadAdminToken := !errors.Is(err, fs.ErrNotExist)

	logf, err := os.OpenFile(st.Files.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open daemon log: %w", err)
	}
	defer logf.Close()
	exe, err := opts.Executable()
	if err != nil {
		return fmt.Errorf("find the drok executable: %w", err)
	}
	args := []string{"serve", "--addr", opts.Addr, "--data", opts.DataDir}
	if opts.BaseURL != "" {
		args = append(args, "--base-url", opts.BaseURL)
	}
	if opts.DefaultPlan != "" {
		args = append(args, "--default-plan", opts.DefaultPlan)
	}
	if opts.AdvisoryDir != "" {
		args = append(args, "--advisory-dir", opts.AdvisoryDir)
	}
	if opts.WebhookAllowPrivate {
		args = append(args, "--webhook-allow-private")
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	localdaemon.Detach(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start drok daemon: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	pid := cmd.Process.Pid
	url, err := waitHealthy(opts, pid, exited)
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "%v\n", err)
		if tail, terr := localdaemon.Tail(st.Files.Log, logTailLines); terr == nil && len(tail) > 0 {
			fmt.Fprintf(opts.IO.ErrOut, "--- last lines of %s ---\n%s", st.Files.Log, tail)
		}
		return cmdutil.ErrSilent
	}
	_ = cmd.Process.Release()

	fmt.Fprintln(opts.IO.Out, url)
	cmdutil.Success(opts.IO, "drok daemon running at %s (pid %d); logs: %s", url, pid, st.Files.Log)
	if _, err := os.Stat(st.Files.AdminToken); err == nil && !hadAdminToken {
		fmt.Fprintf(opts.IO.ErrOut, "The initial admin token is in %s (mode 0600). Log in with:\n  drok login --server %s --with-token < %s\n",
			st.Files.AdminToken, url, st.Files.AdminToken)
	}
	return nil
}

// waitHealthy polls DATA/drok.addr and then the health endpoint until the
// daemon with pid answers, it exits, or the start timeout passes (after
// which it is stopped).
func waitHealthy(opts *ServeOptions, pid int, exited <-chan error) (string, error) {
	deadline := time.Now().Add(opts.StartTimeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		select {
		case err := <-exited:
			if err == nil {
				err = errors.New("exited")
			}
			return "", fmt.Errorf("drok daemon failed to start: %w", err)
		case <-opts.Ctx.Done():
			_ = localdaemon.Stop(pid, 10*time.Second)
			return "", opts.Ctx.Err()
		case <-tick.C:
		}
		if probe, base := probeURL(opts, pid); probe != "" {
			ctx, cancel := context.WithTimeout(opts.Ctx, time.Second)
			_, lastErr = client.New(probe, "").Health(ctx)
			cancel()
			if lastErr == nil {
				return base, nil
			}
		}
		if time.Now().After(deadline) {
			_ = localdaemon.Stop(pid, 10*time.Second)
			msg := fmt.Sprintf("drok daemon did not become healthy within %s", opts.StartTimeout)
			if lastErr != nil {
				msg += ": " + lastErr.Error()
			}
			return "", errors.New(msg)
		}
	}
}

// probeURL returns, once the daemon with pid has written its pid and
// address files, the URL to check and its base URL (from drok.addr). The
// URL to check is the base URL, or, with a --base-url (which may only work
// through a proxy), the listen address itself when it has a fixed port.
func probeURL(opts *ServeOptions, pid int) (probe, base string) {
	st, err := localdaemon.Read(opts.DataDir)
	if err != nil || st.PID != pid || st.URL == "" {
		return "", ""
	}
	if opts.BaseURL == "" {
		return st.URL, st.URL
	}
	host, port, err := net.SplitHostPort(opts.Addr)
	if err != nil || port == "0" {
		return st.URL, st.URL
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), st.URL
}
