package setup

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

func TestMergeMavenSettings(t *testing.T) {
	srv := MavenServer("drok-acme", "drok_new")
	tests := []struct {
		name, existing string
		want           []string // substrings, in order
		count          int      // occurrences of drok-acme
	}{
		{name: "empty", existing: "", want: []string{"<settings", "<servers>", "<password>drok_new</password>", "</servers>", "</settings>"}, count: 1},
		{name: "no servers element",
			existing: "<settings>\n  <localRepository>/x</localRepository>\n</settings>\n",
			want:     []string{"<localRepository>/x</localRepository>", "<servers>", "drok_new", "</servers>", "</settings>"}, count: 1},
		{name: "other servers kept",
			existing: "<settings>\n  <servers>\n    <server><id>central</id><password>keep</password></server>\n  </servers>\n</settings>\n",
			want:     []string{"<id>central</id><password>keep</password>", "drok_new", "</servers>"}, count: 1},
		{name: "same id replaced in place",
			existing: "<settings><servers><server><id>a</id></server><server>\n<id> drok-acme </id><password>drok_old</password></server><server><id>z</id></server></servers></settings>",
			want:     []string{"<id>a</id>", "drok_new", "<id>z</id>"}, count: 1},
		{name: "commented-out server ignored",
			existing: "<settings>\n<!-- <servers><server><id>drok-acme</id><password>drok_old</password></server></servers> -->\n</settings>\n",
			want:     []string{"<!-- <servers><server><id>drok-acme</id><password>drok_old</password>", "-->", "<servers>", "drok_new", "</settings>"}, count: 2},
		{name: "empty servers element", existing: "<settings><servers/></settings>", want: []string{"<servers>", "drok_new", "</servers></settings>"}, count: 1},
	}
	for _, tt := range tests {
		got, err := MergeMavenSettings([]byte(tt.existing), "drok-acme", srv)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		s := string(got)
		rest := s
		for _, w := range tt.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("%s: %q missing (in order) from:\n%s", tt.name, w, s)
				break
			}
			rest = rest[i+len(w):]
		}
		if n := strings.Count(s, "drok-acme"); n != tt.count {
			t.Errorf("%s: drok-acme appears %d times, want %d:\n%s", tt.name, n, tt.count, s)
		}
		if strings.Contains(s, "drok_old") && !strings.Contains(tt.name, "commented") {
			t.Errorf("%s: old token kept:\n%s", tt.name, s)
		}
		if err := xml.Unmarshal(got, new(struct{})); err != nil {
			t.Errorf("%s: result is not XML: %v\n%s", tt.name, err, s)
		}
		again, _ := MergeMavenSettings(got, "drok-acme", srv)
		if string(again) != s {
			t.Errorf("%s: not idempotent:\n%s\nthen:\n%s", tt.name, s, again)
		}
	}
	if _, err := MergeMavenSettings([]byte("<notsettings/>"), "drok-acme", srv); err == nil {
		t.Error("a file without </settings> was merged")
	}
}

func TestMavenRunWritesSettings(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".m2", "settings.xml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("<settings>\n  <offline>false</offline>\n</settings>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ios, _, out, _ := iostreams.Test()
	opts := &MavenOptions{CommonOptions: testCommon(ios, "http://127.0.0.1:5873", "drok_secret", home)}
	for range 2 {
		if err := mavenRun(opts); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if !strings.Contains(s, "<offline>false</offline>") || strings.Count(s, "<id>drok-acme</id>") != 1 || !strings.Contains(s, "<password>drok_secret</password>") {
		t.Errorf("settings.xml:\n%s", s)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if !strings.Contains(out.String(), "<url>http://127.0.0.1:5873/api/v1/packages/maven/acme/</url>") || strings.Contains(out.String(), "drok_secret") {
		t.Errorf("stdout:\n%s", out)
	}
}

func TestMavenRunPrintHidesToken(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	opts := &MavenOptions{CommonOptions: testCommon(ios, "http://127.0.0.1:5873", "drok_secret", ""), ID: "corp"}
	opts.Print = true
	opts.HomeDir = func() (string, error) { t.Fatal("--print must not touch files"); return "", nil }
	if err := mavenRun(opts); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, w := range []string{"<id>corp</id>", "<password>${env.DROK_TOKEN}</password>", "<distributionManagement>", "<snapshotRepository>",
		"<url>http://127.0.0.1:5873/api/v1/packages/maven/acme/</url>", "<repositories>"} {
		if !strings.Contains(s, w) {
			t.Errorf("--print output lacks %q:\n%s", w, s)
		}
	}
	if strings.Contains(s, "drok_secret") {
		t.Errorf("--print leaked the token:\n%s", s)
	}
}

func TestMavenRunNotLoggedIn(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	opts := &MavenOptions{CommonOptions: testCommon(ios, "http://127.0.0.1:5873", "", t.TempDir())}
	if code := cmdutil.ExitCode(mavenRun(opts)); code != cmdutil.ExitAuth {
		t.Errorf("exit code %d, want %d", code, cmdutil.ExitAuth)
	}
}
