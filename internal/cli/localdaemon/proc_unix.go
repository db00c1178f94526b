//go:build unix

package localdaemon

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// Alive reports whether pid is a running process (not a zombie) that, where
// /proc tells, is a drok daemon: a stale pid file whose pid was reused by
// another program does not count.
func Alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc (macOS, BSD): trust kill(0)
	}
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		if state := stat[i+2]; state == 'Z' || state == 'X' {
			return false
		}
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return true
	}
	return bytes.Contains(cmdline, []byte("\x00serve\x00")) || bytes.HasSuffix(cmdline, []byte("\x00serve"))
}

func terminate(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }

// Detach makes cmd start in a new session, away from the terminal.
func Detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
