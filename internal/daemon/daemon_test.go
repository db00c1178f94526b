package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon"
	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
	"github.com/drok-dev/drok/internal/store"
)

var ctx = context.Background()

func ptr[T any](v T) *T { return &v }

func TestSecondDaemonFailsFast(t *testing.T) {
	srv := daemontest.Start(t)
	_, err := daemon.New(daemon.Config{Addr: "127.0.0.1:0", DataDir: srv.DataDir, Stderr: io.Discard})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second daemon: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "another drok daemon is already using the data directory") {
		t.Errorf("unclear message: %v", err)
	}
}

func TestBootstrapTokenFile(t *testing.T) {
	srv := daemontest.Start(t)
	fi, err := os.Stat(filepath.Join(srv.DataDir, daemon.AdminTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("initial-admin-token mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.HasPrefix(srv.AdminToken, "drok_") {
		t.Errorf("token %q lacks the drok_ prefix", srv.AdminToken[:5])
	}
	w, err := srv.Client.Whoami(ctx)
	if err != nil || w.User.Name != "admin" || !w.User.Admin {
		t.Fatalf("whoami = %+v, %v", w, err)
	}
}

func TestTokensStoredAsHashesAndNeverLogged(t *testing.T) {
	var logs bytes.Buffer
	dir := t.TempDir()
	s, err := daemon.New(daemon.Config{Addr: "127.0.0.1:0", DataDir: dir, Stderr: io.Discard,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- s.Serve(c) }()
	admin, _ := os.ReadFile(filepath.Join(dir, daemon.AdminTokenFile))
	cl := client.New(s.BaseURL, strings.TrimSpace(string(admin)))
	tok, err := cl.CreateToken(ctx, client.CreateToken{Name: "ci", Scopes: []string{"package:read"}})
	if err != nil {
		t.Fatal(err)
	}
	// Use the token in a few ways, including a bad one.
	_, _ = client.New(s.BaseURL, tok.Secret).Whoami(ctx)
	_, _ = client.New(s.BaseURL, tok.Secret+"x").Whoami(ctx)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(filepath.Join(dir, daemon.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{tok.Secret, strings.TrimSpace(string(admin))} {
		if bytes.Contains(db, []byte(secret)) {
			t.Errorf("index contains a token secret in clear")
		}
		if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), secret[5:]) {
			t.Errorf("logs contain a token secret")
		}
	}
	if !strings.Contains(logs.String(), "/api/v1/user") {
		t.Errorf("request log missing (debug level): %q", logs.String())
	}
}

func TestTokenLifecycle(t *testing.T) {
	srv := daemontest.Start(t)
	read, err := srv.Client.CreateToken(ctx, client.CreateToken{Name: "ro", Scopes: []string{"package:read"}, ExpiresIn: "30d"})
	if err != nil {
		t.Fatal(err)
	}
	if read.Expires.IsZero() {
		t.Error("token created with --expires 30d has no expiry")
	}
	ro := srv.As(read.Secret)
	if _, err := ro.Whoami(ctx); err != nil {
		t.Fatalf("read token whoami: %v", err)
	}
	// A read token cannot mint a broader token.
	if _, err := ro.CreateToken(ctx, client.CreateToken{Name: "escalate", Scopes: []string{"package:write"}}); !client.IsStatus(err, http.StatusForbidden) {
		t.Errorf("read token minted a write token: %v", err)
	}
	if _, err := ro.CreateOrg(ctx, "nope"); !client.IsStatus(err, http.StatusForbidden) {
		t.Errorf("read token created an org: %v", err)
	}
	for _, bad := range []client.CreateToken{
		{Name: "", Scopes: []string{"package:read"}},
		{Name: "x", Scopes: []string{"package:everything"}},
		{Name: "x", Scopes: nil},
		{Name: "x", Scopes: []string{"package:read"}, ExpiresIn: "-3d"},
		{Name: "x", Scopes: []string{"package:read"}, ExpiresIn: "soon"},
	} {
		if _, err := srv.Client.CreateToken(ctx, bad); !client.IsStatus(err, http.StatusBadRequest) {
			t.Errorf("CreateToken(%+v) = %v, want 400", bad, err)
		}
	}
	if err := srv.Client.RevokeToken(ctx, read.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Whoami(ctx); !client.IsStatus(err, http.StatusUnauthorized) {
		t.Errorf("revoked token still works: %v", err)
	}
	list, err := srv.Client.Tokens(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("tokens = %+v, %v", list, err)
	}
	for _, tk := range list {
		if tk.Secret != "" {
			t.Error("token list reveals a secret")
		}
	}
}

func TestOrgsReposAndVisibility(t *testing.T) {
	srv := daemontest.Start(t)
	if _, err := srv.Client.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.CreateOrg(ctx, "acme"); !client.IsStatus(err, http.StatusConflict) {
		t.Errorf("duplicate org: %v", err)
	}
	for _, bad := range []string{"../etc", "Acme", "a b", strings.Repeat("a", 40), "", "-x"} {
		if _, err := srv.Client.CreateOrg(ctx, bad); !client.IsStatus(err, http.StatusBadRequest) {
			t.Errorf("CreateOrg(%q) = %v, want 400", bad, err)
		}
	}
	bob, err := srv.Client.CreateUser(ctx, client.CreateUser{Name: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	carol, err := srv.Client.CreateUser(ctx, client.CreateUser{Name: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ name, vis string }{{"secret", "private"}, {"team", "internal"}, {"open", "public"}} {
		if _, err := srv.Client.CreateRepo(ctx, "acme", client.RepoEdit{Name: r.name, Visibility: ptr(r.vis)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Client.CreateRepo(ctx, "acme", client.RepoEdit{Name: "x", Visibility: ptr("secretive")}); !client.IsStatus(err, http.StatusBadRequest) {
		t.Errorf("bad visibility accepted: %v", err)
	}
	if _, err := srv.Client.SetMember(ctx, "acme", "bob", "member"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.SetCollaborator(ctx, "acme", "secret", "carol", "read"); err != nil {
		t.Fatal(err)
	}
	visible := func(c *client.Client) string {
		repos, err := c.Repos(ctx, "acme")
		if err != nil {
			return "error: " + err.Error()
		}
		var names []string
		for _, r := range repos {
			names = append(names, r.Name)
		}
		return strings.Join(names, ",")
	}
	cases := []struct {
		who  string
		c    *client.Client
		want string
	}{
		{"owner", srv.Client, "open,secret,team"},
		{"member", srv.As(bob.Token.Secret), "open,team"},
		{"collaborator", srv.As(carol.Token.Secret), "open,secret"},
		{"anonymous", srv.As(""), "open"},
	}
	for _, c := range cases {
		if got := visible(c.c); got != c.want {
			t.Errorf("%s sees %q, want %q", c.who, got, c.want)
		}
	}
	// Invisible is 404, never 403.
	if _, err := srv.As(bob.Token.Secret).Repo(ctx, "acme", "secret"); !client.IsStatus(err, http.StatusNotFound) {
		t.Errorf("member reading a private repo: %v, want 404", err)
	}
	// A member cannot change a repository; the owner can.
	if _, err := srv.As(bob.Token.Secret).EditRepo(ctx, "acme", "team", client.RepoEdit{Visibility: ptr("public")}); !client.IsStatus(err, http.StatusForbidden) {
		t.Errorf("member edited a repo: %v", err)
	}
	if _, err := srv.Client.EditRepo(ctx, "acme", "secret", client.RepoEdit{Visibility: ptr("internal")}); err != nil {
		t.Fatal(err)
	}
	if got := visible(srv.As(bob.Token.Secret)); got != "open,secret,team" {
		t.Errorf("after making secret internal, member sees %q", got)
	}
	// The last owner cannot leave.
	if err := srv.Client.RemoveMember(ctx, "acme", "admin"); !client.IsStatus(err, http.StatusBadRequest) {
		t.Errorf("removing the last owner: %v", err)
	}
}

func TestVisibilityChangeReachesCachedPackument(t *testing.T) {
	srv := daemontest.Start(t)
	if _, err := srv.Client.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.CreateRepo(ctx, "acme", client.RepoEdit{Name: "web", Visibility: ptr("public")}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.Publish(ctx, "acme", "npm", "web-1.0.0.tgz", bytes.NewReader(npmTarball(t, "web", "1.0.0", 1))); err != nil {
		t.Fatal(err)
	}
	anon := srv.As("")
	for range 2 { // the second read comes from the packument cache
		if p, err := anon.Package(ctx, "npm", "acme", "web"); err != nil || p.Visibility != "public" {
			t.Fatalf("public package: %+v, %v", p, err)
		}
	}
	if _, err := srv.Client.EditRepo(ctx, "acme", "web", client.RepoEdit{Visibility: ptr("internal")}); err != nil {
		t.Fatal(err)
	}
	if _, err := anon.Package(ctx, "npm", "acme", "web"); !client.IsStatus(err, http.StatusNotFound) {
		t.Errorf("anonymous read after making the repository internal: %v, want 404", err)
	}
	if p, err := srv.Client.Package(ctx, "npm", "acme", "web"); err != nil || p.Visibility != "internal" {
		t.Errorf("cached packument still says %q (%v)", p.Visibility, err)
	}
}

// TestStalledUploadTimesOut: an upload that stops sending is ended after
// the idle timeout and leaves no temporary file (RELIABILITY 18).
func TestStalledUploadTimesOut(t *testing.T) {
	srv := daemontest.Start(t, daemontest.WithIdleReadTimeout(300*time.Millisecond))
	if _, err := srv.Client.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tgz := npmTarball(t, "stall", "1.0.0", 50000)
	fmt.Fprintf(conn, "POST /api/v1/orgs/acme/publish?filename=stall-1.0.0.tgz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", srv.AdminToken, len(tgz))
	if _, err := conn.Write(tgz[:len(tgz)/2]); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(srv.DataDir, daemon.BlobDir, "tmp")
	sawTemp := false
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(tmp)
		if len(entries) > 0 {
			sawTemp = true
		} else if sawTemp {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !sawTemp {
		t.Fatal("the upload never reached the blob store")
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Fatalf("temp file of a stalled upload still there after 5s")
	}
	if _, err := srv.Client.Package(ctx, "npm", "acme", "stall"); !client.IsStatus(err, http.StatusNotFound) {
		t.Errorf("stalled upload left a package: %v", err)
	}
}

func countBlobs(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(filepath.Join(dir, daemon.BlobDir, "sha256"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// TestRESTPublishRefusedBeforeBody: callers who cannot publish in the org
// are refused before the body is read, so nothing reaches the blob store.
func TestRESTPublishRefusedBeforeBody(t *testing.T) {
	srv := daemontest.Start(t)
	if _, err := srv.Client.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	outsider, err := srv.Client.CreateUser(ctx, client.CreateUser{Name: "eve"})
	if err != nil {
		t.Fatal(err)
	}
	ro, err := srv.Client.CreateToken(ctx, client.CreateToken{Name: "ro", Scopes: []string{"package:read"}})
	if err != nil {
		t.Fatal(err)
	}
	tgz := npmTarball(t, "x", "1.0.0", 10)
	for _, c := range []struct {
		who    string
		token  string
		status int
	}{
		{"anonymous", "", http.StatusUnauthorized},
		{"non-member", outsider.Token.Secret, http.StatusNotFound},
		{"read token", ro.Secret, http.StatusForbidden},
	} {
		_, err := srv.As(c.token).Publish(ctx, "acme", "npm", "x-1.0.0.tgz", bytes.NewReader(tgz))
		if !client.IsStatus(err, c.status) {
			t.Errorf("%s: %v, want %d", c.who, err, c.status)
		}
	}
	if n := countBlobs(t, srv.DataDir); n != 0 {
		t.Errorf("%d blobs stored by refused publishes", n)
	}
}

func TestTokenManagementNeedsAdminScope(t *testing.T) {
	srv := daemontest.Start(t)
	rw, err := srv.Client.CreateToken(ctx, client.CreateToken{Name: "ci", Scopes: []string{"package:read", "package:write"}})
	if err != nil {
		t.Fatal(err)
	}
	ci := srv.As(rw.Secret)
	if _, err := ci.CreateToken(ctx, client.CreateToken{Name: "child", Scopes: []string{"package:read"}}); !client.IsStatus(err, http.StatusForbidden) {
		t.Errorf("a package token minted a token: %v", err)
	}
	w, _ := srv.Client.Whoami(ctx)
	if err := ci.RevokeToken(ctx, w.Token.ID); !client.IsStatus(err, http.StatusForbidden) {
		t.Errorf("a package token revoked the admin token: %v", err)
	}
	if err := ci.RevokeToken(ctx, rw.ID); err != nil {
		t.Errorf("a token could not revoke itself: %v", err)
	}
	short, err := srv.Client.CreateToken(ctx, client.CreateToken{Name: "short", Scopes: []string{"admin"}, ExpiresIn: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	child, err := srv.As(short.Secret).CreateToken(ctx, client.CreateToken{Name: "child", Scopes: []string{"package:read"}})
	if err != nil {
		t.Fatal(err)
	}
	if child.Expires.IsZero() || child.Expires.After(short.Expires.Add(time.Second)) {
		t.Errorf("child expires %v, after its parent's %v", child.Expires, short.Expires)
	}
}

// TestListingsDoNotRevealOrgs: a non-member sees an org with nothing
// visible exactly like a missing one, and collaborator lists only show to
// repository admins.
func TestListingsDoNotRevealOrgs(t *testing.T) {
	srv := daemontest.Start(t)
	if _, err := srv.Client.CreateOrg(ctx, "hidden"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.CreateRepo(ctx, "hidden", client.RepoEdit{Name: "r", Visibility: ptr("private")}); err != nil {
		t.Fatal(err)
	}
	eve, err := srv.Client.CreateUser(ctx, client.CreateUser{Name: "eve"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who  string
		cl   *client.Client
		want int
	}{{"non-member", srv.As(eve.Token.Secret), http.StatusNotFound}, {"anonymous", srv.As(""), http.StatusUnauthorized}} {
		for _, org := range []string{"hidden", "missing"} {
			if _, err := c.cl.Repos(ctx, org); !client.IsStatus(err, c.want) {
				t.Errorf("%s lists repos of %s: %v, want %d", c.who, org, err, c.want)
			}
			if _, err := c.cl.Packages(ctx, org, "", ""); !client.IsStatus(err, c.want) {
				t.Errorf("%s lists packages of %s: %v, want %d", c.who, org, err, c.want)
			}
			if _, err := c.cl.Audit(ctx, org, "", ""); !client.IsStatus(err, c.want) {
				t.Errorf("%s audits %s: %v, want %d", c.who, org, err, c.want)
			}
		}
	}
	if _, err := srv.Client.CreateRepo(ctx, "hidden", client.RepoEdit{Name: "pub", Visibility: ptr("public")}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.SetCollaborator(ctx, "hidden", "pub", "eve", "write"); err != nil {
		t.Fatal(err)
	}
	rp, err := srv.As("").Repo(ctx, "hidden", "pub")
	if err != nil || len(rp.Collaborators) != 0 {
		t.Errorf("anonymous sees collaborators %+v (%v)", rp.Collaborators, err)
	}
	if rp, _ := srv.Client.Repo(ctx, "hidden", "pub"); len(rp.Collaborators) != 1 {
		t.Errorf("owner sees collaborators %+v", rp.Collaborators)
	}
}
