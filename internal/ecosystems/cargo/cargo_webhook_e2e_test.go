package cargo_test

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

// hookWait bounds the wait for one delivery (the dispatcher polls every
// 200 ms).
const hookWait = 10 * time.Second

// checkHookDelivery asserts what every delivery carries: a signature
// valid for secret (the receiver already refused bad ones), the
// X-Drok-Event and X-Drok-Delivery headers matching the payload, the
// payload fields of want, and none of the secrets.
func checkHookDelivery(t *testing.T, d daemontest.HookDelivery, secret string, want webhooks.Payload, secrets ...string) {
	t.Helper()
	if !webhooks.Verify(secret, d.Body, d.Header.Get(webhooks.HeaderSignature)) {
		t.Errorf("%s delivery: signature %q does not verify", want.Event, d.Header.Get(webhooks.HeaderSignature))
	}
	if d.Event != want.Event || d.Header.Get(webhooks.HeaderEvent) != want.Event || d.Payload.Event != want.Event {
		t.Errorf("event header %q payload %q, want %s", d.Event, d.Payload.Event, want.Event)
	}
	if d.DeliveryID == "" || d.Header.Get(webhooks.HeaderDelivery) != d.DeliveryID || d.Payload.Delivery != d.DeliveryID {
		t.Errorf("delivery id header %q payload %q", d.DeliveryID, d.Payload.Delivery)
	}
	p := d.Payload
	if p.Org != want.Org || p.Ecosystem != want.Ecosystem || p.Package != want.Package || p.Version != want.Version ||
		p.Actor != want.Actor || p.Repository != want.Repository || p.Timestamp.IsZero() {
		t.Errorf("%s payload %+v, want %+v", want.Event, p, want)
	}
	for _, s := range append(secrets, "drok_") {
		if bytes.Contains(d.Body, []byte(s)) {
			t.Errorf("%s payload contains a credential (%.8s…): %s", want.Event, s, d.Body)
		}
	}
}

// TestCargoWebhookPublishYank: an organisation webhook receives signed
// package:published and package:yanked deliveries when a member publishes
// Hook_Crate with the real cargo and yanks it with cargo yank; the
// payload names the canonical crate (hook-crate), the version and the
// publishing user (no repository: the crate is unlinked) and carries no
// token.
func TestCargoWebhookPublishYank(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := daemontest.Start(t, daemontest.WithWebhooks())
	f := &fixture{srv: srv, org: "acme", index: srv.URL + "/api/v1/packages/cargo/acme/"}
	if _, err := srv.Client.CreateOrg(ctx, f.org); err != nil {
		t.Fatal(err)
	}
	bob, err := srv.Client.CreateUser(ctx, client.CreateUser{Name: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.SetMember(ctx, f.org, "bob", "member"); err != nil {
		t.Fatal(err)
	}
	const secret = "cargo-hook-secret"
	rcv := daemontest.NewHookReceiver(t, secret)
	if _, err := srv.Client.CreateHook(ctx, f.org, "", client.CreateHook{URL: rcv.URL, Secret: secret}); err != nil {
		t.Fatal(err)
	}

	c := f.cargoAs(t, bob.Token.Secret)
	proj := writeProject(t, map[string]string{
		"Cargo.toml": "[package]\nname = \"Hook_Crate\"\nversion = \"0.3.1\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"webhook test\"\npublish = [\"drok\"]\n",
		"src/lib.rs": "pub fn hooked() -> bool { true }\n",
	})
	c.Must(proj, "publish", "--registry", "drok", "--no-verify", "--allow-dirty")
	want := webhooks.Payload{Event: store.EventPublished, Org: f.org, Ecosystem: "cargo",
		Package: "hook-crate", Version: "0.3.1", Actor: "bob"}
	d := rcv.WaitFor(t, store.EventPublished, "hook-crate", "0.3.1", hookWait)
	checkHookDelivery(t, d, secret, want, bob.Token.Secret, srv.AdminToken)

	c.Must(proj, "yank", "--registry", "drok", "--version", "0.3.1", "Hook_Crate")
	want.Event = store.EventYanked
	y := rcv.WaitFor(t, store.EventYanked, "hook-crate", "0.3.1", hookWait)
	checkHookDelivery(t, y, secret, want, bob.Token.Secret, srv.AdminToken)
	if y.DeliveryID == d.DeliveryID {
		t.Errorf("yank reused delivery id %s", d.DeliveryID)
	}
}
