package daemoncmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/cli/iostreams"
)

func TestLogsFollow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "drok.log")
	if err := os.WriteFile(path, []byte("old line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, out, _ := iostreams.Test()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- logsRun(&LogsOptions{IO: ios, Ctx: ctx, DataDir: dir, Follow: true, Poll: 10 * time.Millisecond})
	}()
	time.Sleep(50 * time.Millisecond)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("token drok_")
	time.Sleep(50 * time.Millisecond)
	_, _ = f.WriteString("SeCrEt123 here\npartial")
	f.Close()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "old line\ntoken drok_[REDACTED] here\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if strings.Contains(out.String(), "SeCrEt") {
		t.Error("secret leaked")
	}
}
