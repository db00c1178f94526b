// Package localdaemon finds and controls a drok daemon running on this
// machine through the files it keeps in its data directory: drok.pid (its
// process id), drok.addr (its base URL) and drok.log (its output when
// detached).
package localdaemon

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/drok-dev/drok/internal/daemon"
)

// Files of a data directory.
type Files struct {
	Dir        string
	PID        string
	Addr       string
	Log        string
	AdminToken string
}

// FilesOf returns the paths of the files in dir.
func FilesOf(dir string) Files {
	return Files{
		Dir:        dir,
		PID:        filepath.Join(dir, daemon.PidFile),
		Addr:       filepath.Join(dir, daemon.AddrFile),
		Log:        filepath.Join(dir, daemon.LogFile),
		AdminToken: filepath.Join(dir, daemon.AdminTokenFile),
	}
}

// State is what the files of a data directory say about its daemon.
type State struct {
	Files
	// PID is the process id in drok.pid (0 when there is none).
	PID int
	// URL is the base URL in drok.addr ("" when there is none).
	URL string
	// Running reports that PID is a live drok process.
	Running bool
}

// Read reads the state of the daemon of dir.
func Read(dir string) (State, error) {
	s := State{Files: FilesOf(dir)}
	pid, err := readTrimmed(s.Files.PID)
	if err != nil {
		return s, err
	}
	if pid != "" {
		if s.PID, err = strconv.Atoi(pid); err != nil || s.PID <= 0 {
			return s, fmt.Errorf("%s: invalid pid %q", s.Files.PID, pid)
		}
		s.Running = Alive(s.PID)
	}
	if s.URL, err = readTrimmed(s.Files.Addr); err != nil {
		return s, err
	}
	return s, nil
}

// RemoveStale removes drok.pid and drok.addr left behind by a daemon that
// is no longer running.
func (s State) RemoveStale() error {
	if s.Running {
		return nil
	}
	for _, p := range []string{s.Files.PID, s.Files.Addr} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", p, err)
		}
	}
	return nil
}

func readTrimmed(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return strings.TrimSpace(string(data)), nil
}

// Stop asks the daemon to shut down (SIGTERM) and waits up to timeout for
// its process to exit.
func Stop(pid int, timeout time.Duration) error {
	if err := terminate(pid); err != nil {
		return fmt.Errorf("stop drok daemon (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(timeout)
	for Alive(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("drok daemon (pid %d) did not exit within %s; force it with: kill -9 %d", pid, timeout, pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

var secretRE = regexp.MustCompile(`drok_[A-Za-z0-9_\-]+`)

// Redact replaces drok token secrets in b with drok_[REDACTED], so that
// logs can be shown without leaking the initial admin token.
func Redact(b []byte) []byte {
	return secretRE.ReplaceAll(b, []byte("drok_[REDACTED]"))
}

// Tail returns the last n lines of the file at path (all when n <= 0),
// with token secrets redacted.
func Tail(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const maxTail = 1 << 20
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if n > 0 && st.Size() > maxTail {
		if _, err := f.Seek(-maxTail, io.SeekEnd); err != nil {
			return nil, err
		}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		lines := bytes.SplitAfter(data, []byte("\n"))
		if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
			lines = lines[:len(lines)-1]
		}
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		data = bytes.Join(lines, nil)
	}
	return Redact(data), nil
}
