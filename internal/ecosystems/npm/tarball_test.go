package npm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
)

// longNameTarball returns a tarball holding package.json and then n
// entries whose PAX path records are nameLen bytes long (distinct names),
// compressed like the ones that exhausted memory: a few hundred KB of
// gzip for hundreds of MB of names.
func longNameTarball(t testing.TB, n, nameLen int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	pj := `{"name":"a","version":"1.0.0"}`
	if err := tw.WriteHeader(&tar.Header{Name: "package/package.json", Mode: 0o644, Size: int64(len(pj)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.Write([]byte(pj))
	long := strings.Repeat("a", nameLen-len("package/")-8)
	for i := range n {
		name := fmt.Sprintf("package/%s%08d", long, i)
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestInspectTarballLongNames: entry names up to Go's 1 MiB PAX limit
// used to be kept in full for the duplicate check (600 of them took
// ~860 MiB and 9.5 s). They are refused at once, with bounded memory.
func TestInspectTarballLongNames(t *testing.T) {
	data := longNameTarball(t, 48, 1<<20-64)
	t.Logf("%d entries of 1 MiB names in %d gzip bytes", 48, len(data))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := InspectTarball(bytes.NewReader(data), DefaultTarballLimits)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTarball) || !strings.Contains(err.Error(), "limited to 4096 bytes") {
		t.Fatalf("long PAX names: %v, want a 400 naming the 4096-byte limit", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("inspection allocated %d MiB", alloc>>20)
	}
	if elapsed > 2*time.Second {
		t.Errorf("inspection took %v", elapsed)
	}

	// Names and link targets that fit in a header but exceed 4096 bytes.
	pj := tarEntry{name: "package/package.json", body: `{"name":"a","version":"1.0.0"}`}
	for _, tt := range []struct {
		name string
		e    tarEntry
		want string
	}{
		{"name", tarEntry{name: "package/" + strings.Repeat("n", 5000), body: "x"}, "has a name of 5008 bytes; the limit is 4096"},
		{"symlink target", tarEntry{name: "package/l", typ: tar.TypeSymlink, link: strings.Repeat("t/", 2500)}, "has a target of 5000 bytes; the limit is 4096"},
		{"depth", tarEntry{name: "package/" + strings.Repeat("d/", 256) + "f", body: "x"}, "has 258 path components; the limit is 256"},
		{"target depth", tarEntry{name: "package/l", typ: tar.TypeSymlink, link: strings.Repeat("./", 300)}, "target of 301 path components"},
	} {
		_, err := InspectTarball(bytes.NewReader(buildTar(t, []tarEntry{pj, tt.e}, nil)), DefaultTarballLimits)
		if !errors.Is(err, ErrTarball) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s over 4096 bytes: %v, want %q", tt.name, err, tt.want)
		}
	}
	// 4096 bytes is fine.
	ok := tarEntry{name: "package/" + strings.Repeat("n", 4096-len("package/")), body: "x"}
	if _, err := InspectTarball(bytes.NewReader(buildTar(t, []tarEntry{pj, ok}, nil)), DefaultTarballLimits); err != nil {
		t.Errorf("4096-byte name: %v", err)
	}
}

// TestInspectTarballHeaderBudget: header bytes (names, PAX records,
// padding) count against a budget of their own, so many entries with
// long-but-allowed names cannot make inspection arbitrarily expensive.
func TestInspectTarballHeaderBudget(t *testing.T) {
	data := longNameTarball(t, 400, 4000) // ~2.4 MB of headers
	lim := DefaultTarballLimits
	lim.MaxHeaderBytes = 1 << 20
	_, err := InspectTarball(bytes.NewReader(data), lim)
	if !errors.Is(err, ecosystems.ErrTooLarge) || !strings.Contains(err.Error(), "headers take more than 1048576 bytes") {
		t.Fatalf("header budget: %v", err)
	}
	lim.MaxHeaderBytes = 4 << 20
	info, err := InspectTarball(bytes.NewReader(data), lim)
	if err != nil || info.FileCount != 401 {
		t.Fatalf("within the budget: %d files, %v", info.FileCount, err)
	}
	// A sparse file's logical size says nothing about the bytes read.
	pj := `{"name":"a","version":"1.0.0"}`
	records := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") + paxRecord("GNU.sparse.realsize", "1000")
	var raw bytes.Buffer
	for _, e := range []struct {
		name string
		typ  byte
		body string
	}{{"package/package.json", tar.TypeReg, pj}, {"PaxHeader", tar.TypeXHeader, records}, {"package/s", tar.TypeReg, "0\n" + strings.Repeat("\x00", 510)}} {
		raw.Write(ustarHeader(e.name, e.typ, len(e.body)))
		raw.WriteString(e.body)
		raw.Write(make([]byte, (512-len(e.body)%512)%512))
	}
	raw.Write(make([]byte, 1024))
	if _, err := InspectTarball(bytes.NewReader(gz(t, raw.Bytes())), DefaultTarballLimits); !errors.Is(err, ErrTarball) || !strings.Contains(err.Error(), "sparse") {
		t.Fatalf("sparse entry: %v", err)
	}
}

func paxRecord(k, v string) string {
	rec := " " + k + "=" + v + "\n"
	n := len(rec) + 1
	for len(fmt.Sprint(n))+len(rec) != n {
		n++
	}
	return fmt.Sprint(n) + rec
}

// ustarHeader returns a raw 512-byte ustar header block.
func ustarHeader(name string, typ byte, size int) []byte {
	b := make([]byte, 512)
	copy(b[0:100], name)
	copy(b[100:108], "0000644\x00")
	copy(b[108:116], "0000000\x00")
	copy(b[116:124], "0000000\x00")
	copy(b[124:136], fmt.Sprintf("%011o\x00", size))
	copy(b[136:148], "00000000000\x00")
	b[156] = typ
	copy(b[257:265], "ustar\x0000")
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// TestInspectTarballLinkChains: links are judged by where the file system
// would resolve them, not textually: nothing may be extracted below a
// symbolic link, and a link target may not pass through another link.
func TestInspectTarballLinkChains(t *testing.T) {
	pj := tarEntry{name: "package/package.json", body: `{"name":"a","version":"1.0.0"}`}
	sym := func(name, target string) tarEntry {
		return tarEntry{name: "package/" + name, typ: tar.TypeSymlink, link: target}
	}
	refused := []struct {
		name    string
		entries []tarEntry
		want    string
	}{
		{"entry below a link", []tarEntry{pj, sym("a/b/up", "../.."), sym("a/b/up/esc", "../outside")}, `inside "a/b/up", which is a symbolic link`},
		{"file below a link", []tarEntry{pj, sym("lib", "."), {name: "package/lib/x.js", body: "1"}}, "which is a symbolic link"},
		{"directory below a link", []tarEntry{pj, sym("lib", "x"), {name: "package/lib/sub/", typ: tar.TypeDir}}, "which is a symbolic link"},
		{"target through an earlier link", []tarEntry{pj, sym("a/up", ".."), sym("a/esc", "up/../../outside")}, "resolves through another symbolic link"},
		{"target through a later link", []tarEntry{pj, sym("a/esc", "up/../../outside"), sym("a/up", "..")}, "an earlier link resolves through this path"},
		{"directory entry replaced by a link", []tarEntry{pj, {name: "package/d/", typ: tar.TypeDir}, sym("d", ".")}, "duplicate"},
		{"link replaced by a directory", []tarEntry{pj, sym("d", "."), {name: "package/d/", typ: tar.TypeDir}}, "duplicate"},
		{"hard link through a link", []tarEntry{pj, {name: "package/x", body: "1"}, sym("up", "."), {name: "package/h", typ: tar.TypeLink, link: "package/up/x"}}, "not an earlier file"},
		{"hard link to nothing", []tarEntry{pj, {name: "package/h", typ: tar.TypeLink, link: "package/missing"}}, "not an earlier file"},
		{"hard link to a link", []tarEntry{pj, sym("l", "package.json"), {name: "package/h", typ: tar.TypeLink, link: "package/l"}}, "not an earlier file"},
		{"escape from a subdirectory", []tarEntry{pj, sym("a/b/l", "../../../x")}, "escapes"},
		{"escape then return", []tarEntry{pj, sym("l", "../package/x")}, "escapes"},
	}
	for _, tt := range refused {
		_, err := InspectTarball(bytes.NewReader(buildTar(t, tt.entries, nil)), DefaultTarballLimits)
		if !errors.Is(err, ErrTarball) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want ErrTarball mentioning %q", tt.name, err, tt.want)
		}
	}
	accepted := []struct {
		name    string
		entries []tarEntry
	}{
		{"sibling link", []tarEntry{pj, {name: "package/lib/x.js", body: "1"}, sym("lib/y.js", "x.js")}},
		{"link to the package root", []tarEntry{pj, sym("a/b/up", "../..")}},
		{"link up and down", []tarEntry{pj, {name: "package/lib/x.js", body: "1"}, sym("bin/x", "../lib/x.js")}},
		{"chain of links", []tarEntry{pj, {name: "package/x.js", body: "1"}, sym("l1", "x.js"), sym("l2", "l1")}},
		{"hard link to an earlier file", []tarEntry{pj, {name: "package/x.js", body: "1"}, {name: "package/h", typ: tar.TypeLink, link: "package/x.js"}}},
		{"repeated directory", []tarEntry{pj, {name: "package/d/", typ: tar.TypeDir}, {name: "package/d/", typ: tar.TypeDir}}},
	}
	for _, tt := range accepted {
		if _, err := InspectTarball(bytes.NewReader(buildTar(t, tt.entries, nil)), DefaultTarballLimits); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}
