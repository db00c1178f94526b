//go:build !unix

package localdaemon

import (
	"os"
	"os/exec"
)

// Alive reports whether pid is a running process.
func Alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}

// terminate kills the process: there are no signals to ask politely with.
func terminate(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

// Detach is a no-op where there are no sessions.
func Detach(cmd *exec.Cmd) {}
