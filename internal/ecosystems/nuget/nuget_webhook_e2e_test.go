package nuget_test

import (
	"context"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
	"github.com/drok-dev/drok/internal/daemon/webhooks"
	"github.com/drok-dev/drok/internal/store"
)

// TestNuGetWebhookPushDelete: an organisation webhook (all events)
// receives one signed package:published delivery when NuGet.exe pushes a
// package and its symbol package (the .snupkg is no new version), naming
// the canonical (lower-case) id, no repository (the package is unlinked)
// and the pushing user, and a package:yanked delivery when NuGet.exe
// deletes (unlists) the version.
func TestNuGetWebhookPushDelete(t *testing.T) {
	exe := nugetExe(t)
	ctx := context.Background()
	srv := daemontest.Start(t, daemontest.WithWebhooks())
	f := &feed{srv: srv, org: "acme"}
	if _, err := srv.Client.CreateOrg(ctx, f.org); err != nil {
		t.Fatal(err)
	}
	f.root = srv.URL + "/api/v1/packages/nuget/" + f.org + "/"
	f.v3 = f.root + "index.json"
	alice, err := srv.Client.CreateUser(ctx, client.CreateUser{Name: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.SetMember(ctx, f.org, "alice", "member"); err != nil {
		t.Fatal(err)
	}
	tok := alice.Token.Secret
	rcv := daemontest.NewHookReceiver(t, "nuget-hook-secret")
	hook, err := srv.Client.CreateHook(ctx, f.org, "", client.CreateHook{URL: rcv.URL, Secret: rcv.Secret})
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	writeFile(t, dir, "Acme.Hooked.1.0.0.nupkg", buildNupkg(t, pkgSpec{id: "Acme.Hooked", version: "1.0.0"}))
	writeFile(t, dir, "Acme.Hooked.1.0.0.snupkg", buildNupkg(t, pkgSpec{id: "Acme.Hooked", version: "1.0.0",
		entries: map[string]string{"lib/netstandard2.0/Acme.Hooked.pdb": "pdb"}}))
	c := newClient(t, exe, map[string]string{"drok": f.v3}, tok)
	c.dir = dir
	out := c.mustRun("push", "Acme.Hooked.1.0.0.nupkg", "-Source", "drok", "-ApiKey", tok)
	if p, err := srv.Client.Package(ctx, "nuget", f.org, "acme.hooked"); err != nil || len(p.Versions) != 1 || len(p.Versions[0].Files) < 2 {
		t.Fatalf("after push: %+v %v (the .snupkg should be stored too)\n%s", p, err, out)
	}

	want := webhooks.Payload{Event: store.EventPublished, HookID: hook.ID, Org: f.org, Ecosystem: "nuget", Package: "acme.hooked", Version: "1.0.0", Actor: "alice"}
	d := rcv.WaitFor(t, store.EventPublished, "acme.hooked", "1.0.0", 10*time.Second)
	daemontest.CheckDelivery(t, d, rcv.Secret, want, tok)

	c.mustRun("delete", "Acme.Hooked", "1.0.0", "-Source", "drok", "-ApiKey", tok)
	d = rcv.WaitFor(t, store.EventYanked, "acme.hooked", "1.0.0", 10*time.Second)
	want.Event = store.EventYanked
	daemontest.CheckDelivery(t, d, rcv.Secret, want, tok)

	time.Sleep(300 * time.Millisecond) // a stray delivery would leave within one dispatcher tick
	if n := len(rcv.Matching(store.EventPublished, "", "")); n != 1 {
		t.Errorf("%d package:published deliveries for one push (package and symbols), want 1", n)
	}
	if n := len(rcv.Requests()); n != 2 {
		t.Errorf("receiver got %d requests, want 2 (unlisting is a yank, not a delete)", n)
	}
}
