package nuget_test

import (
	"bytes"
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

	want := webhooks.Payload{Org: f.org, Ecosystem: "nuget", Package: "acme.hooked", Version: "1.0.0", Actor: "alice"}
	d := rcv.WaitFor(t, store.EventPublished, "acme.hooked", "1.0.0", 10*time.Second)
	checkDelivery(t, d, hook.ID, rcv.Secret, store.EventPublished, tok, want)

	c.mustRun("delete", "Acme.Hooked", "1.0.0", "-Source", "drok", "-ApiKey", tok)
	d = rcv.WaitFor(t, store.EventYanked, "acme.hooked", "1.0.0", 10*time.Second)
	checkDelivery(t, d, hook.ID, rcv.Secret, store.EventYanked, tok, want)

	time.Sleep(300 * time.Millisecond) // a stray delivery would leave within one dispatcher tick
	if n := len(rcv.Matching(store.EventPublished, "", "")); n != 1 {
		t.Errorf("%d package:published deliveries for one push (package and symbols), want 1", n)
	}
	if n := len(rcv.Requests()); n != 2 {
		t.Errorf("receiver got %d requests, want 2 (unlisting is a yank, not a delete)", n)
	}
}

// checkDelivery asserts the headers, signature and payload of a delivery;
// want holds the expected org, repository, ecosystem, package, version
// and actor. token must not appear in the body.
func checkDelivery(t *testing.T, d daemontest.HookDelivery, hookID, secret, event, token string, want webhooks.Payload) {
	t.Helper()
	if !webhooks.Verify(secret, d.Body, d.Header.Get(webhooks.HeaderSignature)) {
		t.Errorf("%s: signature %q does not verify", event, d.Header.Get(webhooks.HeaderSignature))
	}
	if d.Header.Get(webhooks.HeaderEvent) != event || d.DeliveryID == "" || d.Header.Get(webhooks.HeaderDelivery) != d.DeliveryID {
		t.Errorf("%s: headers %v", event, d.Header)
	}
	p := d.Payload
	if p.Event != event || p.Delivery != d.DeliveryID || p.HookID != hookID || d.HookID != hookID || p.Timestamp.IsZero() {
		t.Errorf("%s: envelope %+v (delivery header %s, hook header %s, hook %s)", event, p, d.DeliveryID, d.HookID, hookID)
	}
	if p.Org != want.Org || p.Repository != want.Repository || p.Ecosystem != want.Ecosystem ||
		p.Package != want.Package || p.Version != want.Version || p.Actor != want.Actor {
		t.Errorf("%s: payload %+v, want org %q repository %q ecosystem %q package %q version %q actor %q", event, p,
			want.Org, want.Repository, want.Ecosystem, want.Package, want.Version, want.Actor)
	}
	if bytes.Contains(d.Body, []byte("drok_")) || bytes.Contains(d.Body, []byte(token)) {
		t.Errorf("%s: body contains a token: %s", event, d.Body)
	}
}
