package pkgcmd

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMavenSiblingPOM(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"lib-1.0.jar", "lib-1.0.pom", "app-2.0.war", "lone-1.0.jar", "x.tgz", "x.pom"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "app-2.0.pom"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"lib-1.0.jar":  filepath.Join(dir, "lib-1.0.pom"),
		"app-2.0.war":  "", // the .pom is a directory
		"lone-1.0.jar": "",
		"x.tgz":        "",
	}
	for f, want := range tests {
		if got := mavenSiblingPOM(filepath.Join(dir, f)); got != want {
			t.Errorf("mavenSiblingPOM(%s) = %q, want %q", f, got, want)
		}
	}
}
