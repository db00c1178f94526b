package daemontest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
)

// Visibilities are the four package situations of the access matrix, in
// the order of Principal.Read and Principal.Write: packages named like a
// repository link to it ("priv", "int", "pub"); "unlinked" has none.
var Visibilities = []string{"priv", "int", "pub", "unlinked"}

// Principal is one kind of caller in the access matrix (RELIABILITY 14).
type Principal struct {
	// Name is anonymous, non-member, org-member, collaborator, read-token,
	// write-token, expired-token or revoked-token.
	Name string
	// User is the account name behind Token ("" for anonymous).
	User string
	// Token is the secret to present ("" for anonymous).
	Token string
	// Read and Write say what the principal may do with the package of
	// each entry of Visibilities.
	Read, Write [4]bool
	// Bad marks expired and revoked tokens (every request is 401).
	Bad bool
}

// AccessFixture is an org with one repository per visibility and the
// principals of the access matrix. Seed one package per entry of
// Visibilities (named exactly so) as Server.AdminToken, then call Settle
// before sending requests.
type AccessFixture struct {
	Org        string
	Principals []Principal
}

// NewAccessFixture creates org with repositories priv (private), int
// (internal) and pub (public), users member (org member), collab (write
// collaborator on every repository) and outsider, and tokens of every
// kind.
func NewAccessFixture(t testing.TB, srv *Server, org string) *AccessFixture {
	t.Helper()
	ctx := context.Background()
	admin := srv.Client
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("access fixture: %v", err)
		}
	}
	_, err := admin.CreateOrg(ctx, org)
	must(err)
	users := map[string]string{}
	for _, u := range []string{"member", "collab", "outsider"} {
		cu, err := admin.CreateUser(ctx, client.CreateUser{Name: u})
		must(err)
		users[u] = cu.Token.Secret
	}
	_, err = admin.SetMember(ctx, org, "member", "member")
	must(err)
	for repo, v := range map[string]string{"priv": "private", "int": "internal", "pub": "public"} {
		_, err := admin.CreateRepo(ctx, org, client.RepoEdit{Name: repo, Visibility: &v})
		must(err)
		_, err = admin.SetCollaborator(ctx, org, repo, "collab", "write")
		must(err)
	}
	newToken := func(scopes []string, expires string) string {
		tk, err := admin.CreateToken(ctx, client.CreateToken{Name: "matrix", Scopes: scopes, ExpiresIn: expires})
		must(err)
		return tk.Secret
	}
	revoked, err := admin.CreateToken(ctx, client.CreateToken{Name: "revoked", Scopes: []string{"package:read", "package:write"}})
	must(err)
	must(admin.RevokeToken(ctx, revoked.ID))

	all := [4]bool{true, true, true, true}
	return &AccessFixture{Org: org, Principals: []Principal{
		{Name: "anonymous", Read: [4]bool{false, false, true, false}},
		{Name: "non-member", User: "outsider", Token: users["outsider"], Read: [4]bool{false, false, true, false}},
		{Name: "org-member", User: "member", Token: users["member"], Read: [4]bool{false, true, true, true}, Write: [4]bool{false, false, false, true}},
		{Name: "collaborator", User: "collab", Token: users["collab"], Read: [4]bool{true, true, true, false}, Write: [4]bool{true, true, true, false}},
		{Name: "read-token", User: "admin", Token: newToken([]string{"package:read"}, ""), Read: all},
		{Name: "write-token", User: "admin", Token: newToken([]string{"package:write"}, ""), Read: all, Write: all},
		{Name: "expired-token", User: "admin", Token: newToken([]string{"package:read", "package:write"}, "1ms"), Bad: true},
		{Name: "revoked-token", User: "admin", Token: revoked.Secret, Bad: true},
	}}
}

// Settle checks that the seeded packages linked to their repositories
// (eco is the ecosystem, names maps each entry of Visibilities to the
// package name as seeded when it differs) and waits for the 1ms token to
// expire.
func (f *AccessFixture) Settle(t testing.TB, srv *Server, eco string, names map[string]string) {
	t.Helper()
	want := map[string]string{"priv": "private", "int": "internal", "pub": "public"}
	for _, v := range Visibilities[:3] {
		name := v
		if n, ok := names[v]; ok {
			name = n
		}
		p, err := srv.Client.Package(context.Background(), eco, f.Org, name)
		if err != nil {
			t.Fatalf("access fixture: seeded %s package %s: %v", eco, name, err)
		}
		if p.Repository != v || p.Visibility != want[v] {
			t.Fatalf("access fixture: %s linked to %q (%s), want %s", name, p.Repository, p.Visibility, v)
		}
	}
	time.Sleep(5 * time.Millisecond)
}

// ExpectStatus is the access contract for one request: bad tokens 401;
// visible reads and allowed writes 2xx (reported as 200); anonymous
// writes 401; invisible packages 404, never 403 (anonLogin: the protocol
// challenges anonymous callers with 401 instead, as pip, Maven and
// docker need before they send credentials); visible but not writable
// 403.
func ExpectStatus(p Principal, visibility int, write, anonLogin bool) int {
	anonymous := p.Token == ""
	canRead, canWrite := p.Read[visibility], p.Write[visibility]
	switch {
	case p.Bad:
		return http.StatusUnauthorized
	case !write && canRead, write && canWrite:
		return http.StatusOK
	case anonymous && (write || anonLogin):
		return http.StatusUnauthorized
	case !canRead:
		return http.StatusNotFound
	}
	return http.StatusForbidden
}

// StatusMatches reports whether got satisfies want as returned by
// ExpectStatus (200 stands for any 2xx).
func StatusMatches(got, want int) bool {
	return got == want || (want == http.StatusOK && got >= 200 && got < 300)
}
