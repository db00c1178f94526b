package iostreams

import (
	"strings"
	"testing"
)

func TestTablePlainOnPipes(t *testing.T) {
	ios, _, out, _ := Test()
	tp := NewTablePrinter(ios, "NAME", "DESCRIPTION")
	tp.AddRow("web", "has\ttab and\nnewline")
	tp.AddRow("api", "")
	if err := tp.Render(); err != nil {
		t.Fatal(err)
	}
	want := "web\thas tab and newline\napi\t\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestTableOnTTY(t *testing.T) {
	ios, _, out, _ := Test()
	ios.SetStdoutTTY(true)
	ios.SetColorEnabled(false)
	tp := NewTablePrinter(ios, "NAME", "VISIBILITY")
	tp.AddRow("web", "internal")
	tp.AddRow("a-longer-name", "public")
	if err := tp.Render(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || strings.Contains(out.String(), "\x1b[") {
		t.Fatalf("unexpected table:\n%s", out)
	}
	if strings.Index(lines[0], "VISIBILITY") != strings.Index(lines[2], "public") {
		t.Errorf("columns not aligned:\n%s", out)
	}
}

func TestPrintFields(t *testing.T) {
	ios, _, out, _ := Test()
	err := PrintFields(ios, []Field{{Label: "Yank reason", Value: "a\tb"}, Row("member", "alice", "owner")})
	if err != nil {
		t.Fatal(err)
	}
	want := "yank_reason:\ta b\nmember:\talice\towner\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestNoColourOnPipes(t *testing.T) {
	ios, _, _, _ := Test()
	ios.SetColorEnabled(true)
	if got := ios.ColorScheme().Green("ok"); got != "ok" {
		t.Errorf("pipe output styled: %q", got)
	}
	ios.SetStdoutTTY(true)
	if got := ios.ColorScheme().Green("ok"); got == "ok" {
		t.Errorf("terminal output not styled")
	}
}

func TestProgressPlainOnPipes(t *testing.T) {
	ios, _, _, errOut := Test()
	p := NewProgressReader(ios, strings.NewReader(strings.Repeat("x", 2500)), "a.tgz", 2500)
	buf := make([]byte, 1000)
	for {
		if _, err := p.Read(buf); err != nil {
			break
		}
	}
	p.Done()
	if errOut.String() != "Uploading a.tgz (2.5 kB)\n" || p.BytesRead() != 2500 {
		t.Errorf("stderr %q, read %d", errOut, p.BytesRead())
	}
}

func TestProgressBarOnTTY(t *testing.T) {
	ios, _, _, errOut := Test()
	ios.SetStderrTTY(true)
	p := NewProgressReader(ios, strings.NewReader(strings.Repeat("x", 100)), "a.tgz", 100)
	buf := make([]byte, 100)
	for {
		if _, err := p.Read(buf); err != nil {
			break
		}
	}
	p.Done()
	if s := errOut.String(); !strings.Contains(s, "\ra.tgz [") || !strings.Contains(s, "100%") || !strings.HasSuffix(s, "\n") {
		t.Errorf("stderr %q", s)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1500000: "1.5 MB", 3 << 30: "3.2 GB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
