//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/ecosystems/pypi"
)

// TestGeneratedWheelsAreValid: the benchmark's wheels pass drok's own
// wheel inspection, so the benchmark measures accepted uploads.
func TestGeneratedWheelsAreValid(t *testing.T) {
	w, err := smallWheel("bench-pkg", "1.7")
	if err != nil {
		t.Fatal(err)
	}
	d, err := pypi.ParseFilename(w.Filename, w.Project)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := pypi.InspectWheel(bytes.NewReader(w.Data), int64(len(w.Data)), d, pypi.DefaultLimits)
	if err != nil || !strings.Contains(string(raw), "Version: 1.7") {
		t.Fatalf("small wheel: %v %q", err, raw)
	}
	path := filepath.Join(t.TempDir(), "big.whl")
	name, err := writeBigWheel(path, "bench-big", "1.0", 3<<20+17)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	if st.Size() < 3<<20 {
		t.Fatalf("big wheel is %d bytes", st.Size())
	}
	d, err = pypi.ParseFilename(name, "bench-big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pypi.InspectWheel(f, st.Size(), d, pypi.DefaultLimits); err != nil {
		t.Fatalf("big wheel: %v", err)
	}
}
