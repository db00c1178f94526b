package localdaemon

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestTailRedacts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drok.log")
	log := "one\n    drok_AbC123xyz\nthree token=drok_q-w_e\nfour\n"
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Tail(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := "three token=drok_[REDACTED]\nfour\n"; string(got) != want {
		t.Errorf("Tail 2 = %q, want %q", got, want)
	}
	got, _ = Tail(path, 0)
	if want := "one\n    drok_[REDACTED]\nthree token=drok_[REDACTED]\nfour\n"; string(got) != want {
		t.Errorf("Tail all = %q, want %q", got, want)
	}
}

func TestReadState(t *testing.T) {
	dir := t.TempDir()
	st, err := Read(dir)
	if err != nil || st.Running || st.PID != 0 || st.URL != "" {
		t.Fatalf("empty dir: %+v, %v", st, err)
	}
	f := FilesOf(dir)
	// A pid that is alive but not a drok daemon (the test binary itself has
	// no "serve" argument) must not count as running on Linux.
	_ = os.WriteFile(f.PID, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	_ = os.WriteFile(f.Addr, []byte("http://127.0.0.1:1\n"), 0o600)
	st, err = Read(dir)
	if err != nil || st.PID != os.Getpid() || st.URL != "http://127.0.0.1:1" {
		t.Fatalf("state: %+v, %v", st, err)
	}
	if _, err := os.Stat("/proc/self/cmdline"); err == nil && st.Running {
		t.Errorf("test process taken for a drok daemon")
	}
	if err := st.RemoveStale(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.PID); !os.IsNotExist(err) {
		t.Errorf("stale pid file kept")
	}
	_ = os.WriteFile(f.PID, []byte("garbage"), 0o600)
	if _, err := Read(dir); err == nil {
		t.Errorf("garbage pid accepted")
	}
}
