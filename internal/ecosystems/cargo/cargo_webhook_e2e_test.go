package cargo_test

import (
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
	daemontest.CheckDelivery(t, d, secret, want, bob.Token.Secret, srv.AdminToken)

	c.Must(proj, "yank", "--registry", "drok", "--version", "0.3.1", "Hook_Crate")
	want.Event = store.EventYanked
	y := rcv.WaitFor(t, store.EventYanked, "hook-crate", "0.3.1", hookWait)
	daemontest.CheckDelivery(t, y, secret, want, bob.Token.Secret, srv.AdminToken)
	if y.DeliveryID == d.DeliveryID {
		t.Errorf("yank reused delivery id %s", d.DeliveryID)
	}
}
