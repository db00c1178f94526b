package npm_test

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

// TestNPMWebhookPublishDeprecate: a repository webhook of acme/hooked
// receives signed package:published, package:yanked and package:unyanked
// deliveries when a member publishes with the real npm and then runs npm
// deprecate (and un-deprecates); the
// payload names the canonical package, the version, the publishing user
// and the linked repository, and carries no token.
func TestNPMWebhookPublishDeprecate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, daemontest.WithWebhooks())
	ctx := context.Background()
	priv := "private"
	if _, err := f.srv.Client.CreateRepo(ctx, f.org, client.RepoEdit{Name: "hooked", Visibility: &priv}); err != nil {
		t.Fatal(err)
	}
	alice, err := f.srv.Client.CreateUser(ctx, client.CreateUser{Name: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Client.SetMember(ctx, f.org, "alice", "member"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Client.SetCollaborator(ctx, f.org, "hooked", "alice", "write"); err != nil {
		t.Fatal(err)
	}
	const secret = "npm-hook-secret"
	rcv := daemontest.NewHookReceiver(t, secret)
	hook, err := f.srv.Client.CreateHook(ctx, f.org, "hooked", client.CreateHook{URL: rcv.URL, Secret: secret,
		Events: []string{store.EventPublished, store.EventYanked, store.EventUnyanked}})
	if err != nil {
		t.Fatal(err)
	}

	npm := f.npmAs(t, alice.Token.Secret)
	npm.publish(pkgDir(t, "hooked", "1.2.0", nil))
	want := webhooks.Payload{Event: store.EventPublished, Org: f.org, Repository: "hooked", Ecosystem: "npm",
		Package: "hooked", Version: "1.2.0", Actor: "alice"}
	d := rcv.WaitFor(t, store.EventPublished, "hooked", "1.2.0", hookWait)
	daemontest.CheckDelivery(t, d, secret, want, alice.Token.Secret, f.srv.AdminToken)
	if d.HookID != hook.ID {
		t.Errorf("hook id %q, want %s", d.HookID, hook.ID)
	}

	npm.Must(t.TempDir(), "deprecate", "hooked@1.2.0", "superseded by 1.3")
	want.Event = store.EventYanked
	y := rcv.WaitFor(t, store.EventYanked, "hooked", "1.2.0", hookWait)
	daemontest.CheckDelivery(t, y, secret, want, alice.Token.Secret, f.srv.AdminToken)
	if y.DeliveryID == d.DeliveryID {
		t.Errorf("yank reused delivery id %s", d.DeliveryID)
	}

	// Un-deprecating is the unyank.
	npm.Must(t.TempDir(), "deprecate", "hooked@1.2.0", "")
	want.Event = store.EventUnyanked
	daemontest.CheckDelivery(t, rcv.WaitFor(t, store.EventUnyanked, "hooked", "1.2.0", hookWait), secret, want, alice.Token.Secret, f.srv.AdminToken)
}
