package ecosystems_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
	"github.com/drok-dev/drok/internal/store/bolt"
)

// TestAccessMatrix runs every principal kind against every visibility for
// read and write: the one table that defines who may do what.
func TestAccessMatrix(t *testing.T) {
	idx, err := bolt.Open(filepath.Join(t.TempDir(), "index.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	err = idx.Update(ctx, func(tx store.Tx) error {
		_ = tx.PutOrg(store.Org{Name: "acme", Members: map[string]store.Role{"owner": store.RoleOwner, "member": store.RoleMember}})
		for _, v := range []store.Visibility{store.Private, store.Internal, store.Public} {
			_ = tx.PutRepo(store.Repo{Org: "acme", Name: string(v), Visibility: v,
				Collaborators: map[string]store.Permission{"reader": store.PermRead, "writer": store.PermWrite}})
			_ = tx.PutPackage(store.Package{PackageKey: store.PackageKey{Ecosystem: "npm", Org: "acme", Name: string(v)}, Repo: string(v)})
		}
		return tx.PutPackage(store.Package{PackageKey: store.PackageKey{Ecosystem: "npm", Org: "acme", Name: "unlinked"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	rw := []string{"package:read", "package:write"}
	principals := map[string]ecosystems.Principal{
		"anonymous":  {},
		"outsider":   {User: "outsider", Scopes: rw},
		"member":     {User: "member", Scopes: rw},
		"reader":     {User: "reader", Scopes: rw},
		"writer":     {User: "writer", Scopes: rw},
		"owner":      {User: "owner", Scopes: rw},
		"owner-ro":   {User: "owner", Scopes: []string{"package:read"}},
		"site-admin": {User: "root", SiteAdmin: true, Scopes: rw},
	}
	// Expected outcome per principal for packages private/internal/public/unlinked:
	// "ok", "404" (invisible), "401" (anonymous must log in), "403" (visible, denied).
	type row struct{ read, write [4]string }
	want := map[string]row{
		"anonymous":  {[4]string{"401", "401", "ok", "401"}, [4]string{"401", "401", "401", "401"}},
		"outsider":   {[4]string{"404", "404", "ok", "404"}, [4]string{"404", "404", "403", "404"}},
		"member":     {[4]string{"404", "ok", "ok", "ok"}, [4]string{"404", "403", "403", "ok"}},
		"reader":     {[4]string{"ok", "ok", "ok", "404"}, [4]string{"403", "403", "403", "404"}},
		"writer":     {[4]string{"ok", "ok", "ok", "404"}, [4]string{"ok", "ok", "ok", "404"}},
		"owner":      {[4]string{"ok", "ok", "ok", "ok"}, [4]string{"ok", "ok", "ok", "ok"}},
		"owner-ro":   {[4]string{"ok", "ok", "ok", "ok"}, [4]string{"403", "403", "403", "403"}},
		"site-admin": {[4]string{"ok", "ok", "ok", "ok"}, [4]string{"ok", "ok", "ok", "ok"}},
	}
	outcome := func(err error) string {
		switch {
		case err == nil:
			return "ok"
		case errors.Is(err, ecosystems.ErrLoginRequired):
			return "401"
		case errors.Is(err, store.ErrNotFound):
			return "404"
		case errors.Is(err, ecosystems.ErrDenied):
			return "403"
		}
		return "error: " + err.Error()
	}
	pkgs := []string{"private", "internal", "public", "unlinked"}
	_ = idx.View(ctx, func(tx store.Tx) error {
		for who, p := range principals {
			for i, name := range pkgs {
				k := store.PackageKey{Ecosystem: "npm", Org: "acme", Name: name}
				for act, exp := range map[ecosystems.Action]string{ecosystems.Read: want[who].read[i], ecosystems.Write: want[who].write[i]} {
					t.Run(fmt.Sprintf("%s/%s/%s", who, name, act), func(t *testing.T) {
						if got := outcome(ecosystems.Authorize(tx, p, act, k)); got != exp {
							t.Errorf("got %s, want %s", got, exp)
						}
					})
				}
			}
		}
		return nil
	})
}
