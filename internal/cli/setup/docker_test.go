package setup

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/cli/iostreams"
)

func TestMergeDockerAuth(t *testing.T) {
	want := base64.StdEncoding.EncodeToString([]byte("drok:drok_new"))
	tests := []struct {
		name, existing string
		keep           []string // top-level keys that must survive
		otherHosts     []string
	}{
		{name: "empty", existing: ""},
		{name: "keeps other hosts and keys", existing: `{"auths":{"other.example":{"auth":"eDp5"}},"credHelpers":{"gcr.example":"gcr"},"psFormat":"table"}`,
			keep: []string{"credHelpers", "psFormat"}, otherHosts: []string{"other.example"}},
		{name: "replaces the old entry", existing: `{"auths":{"127.0.0.1:5873":{"auth":"b2xkOm9sZA==","email":"x"}}}`},
		{name: "null auths", existing: `{"auths":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := MergeDockerAuth([]byte(tt.existing), "127.0.0.1:5873", "drok", "drok_new")
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Auths map[string]map[string]string `json:"auths"`
			}
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			if got := doc.Auths["127.0.0.1:5873"]; len(got) != 1 || got["auth"] != want {
				t.Errorf("entry = %v, want only auth=%s", got, want)
			}
			for _, h := range tt.otherHosts {
				if doc.Auths[h]["auth"] != "eDp5" {
					t.Errorf("lost the entry of %s", h)
				}
			}
			var top map[string]json.RawMessage
			_ = json.Unmarshal(out, &top)
			for _, k := range tt.keep {
				if _, ok := top[k]; !ok {
					t.Errorf("lost key %s", k)
				}
			}
		})
	}
	if _, err := MergeDockerAuth([]byte(`[1]`), "h", "u", "p"); err == nil {
		t.Error("a non-object file was accepted")
	}
	if _, err := MergeDockerAuth([]byte(`{"auths":"x"}`), "h", "u", "p"); err == nil {
		t.Error("a non-object auths was accepted")
	}
}

func TestDockerConfigPaths(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	d, c := DockerConfigPaths("/home/u", get)
	if d != "/home/u/.docker/config.json" || c != "/home/u/.config/containers/auth.json" {
		t.Errorf("defaults: %s %s", d, c)
	}
	env["DOCKER_CONFIG"], env["REGISTRY_AUTH_FILE"] = "/cfg/docker", "/cfg/auth.json"
	d, c = DockerConfigPaths("/home/u", get)
	if d != "/cfg/docker/config.json" || c != "/cfg/auth.json" {
		t.Errorf("overrides: %s %s", d, c)
	}
}

func TestDockerRunWritesBothFiles(t *testing.T) {
	home := t.TempDir()
	ios, _, _, _ := iostreams.Test()
	opts := &DockerOptions{
		CommonOptions: testCommon(ios, "http://127.0.0.1:5873", "drok_tok", home),
		Getenv:        func(string) string { return "" },
	}
	existing := filepath.Join(home, ".docker", "config.json")
	_ = os.MkdirAll(filepath.Dir(existing), 0o700)
	_ = os.WriteFile(existing, []byte(`{"auths":{"keep.example":{"auth":"eDp5"}}}`), 0o600)
	for range 2 { // idempotent
		if err := dockerRun(opts); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{existing, filepath.Join(home, ".config", "containers", "auth.json")} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Auths map[string]map[string]string `json:"auths"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Auths["127.0.0.1:5873"]["auth"] != base64.StdEncoding.EncodeToString([]byte("drok:drok_tok")) {
			t.Errorf("%s: %s", p, b)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", p, fi.Mode())
		}
	}
	b, _ := os.ReadFile(existing)
	if !json.Valid(b) || !strings.Contains(string(b), "keep.example") {
		t.Errorf("other entry lost: %s", b)
	}
}
