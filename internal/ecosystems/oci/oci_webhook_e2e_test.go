package oci_test

import (
	"context"
	"path/filepath"
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

// TestCraneWebhookPushYank: a repository webhook of acme/hooked receives a
// signed package:published delivery when a member pushes an image with
// the real crane (the version is the manifest digest crane reports), and
// a package:yanked one when the tag is yanked through the REST API
// (drok package yank resolves the tag to the digest); the payload names
// the image, the publishing user and the repository and carries no token.
func TestCraneWebhookPushYank(t *testing.T) {
	t.Parallel()
	crane := tool(t, "crane", craneInstall)
	ctx := context.Background()
	f := newFixture(t, daemontest.WithWebhooks())
	f.repo(t, "hooked", "private")
	carol, err := f.srv.Client.CreateUser(ctx, client.CreateUser{Name: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Client.SetMember(ctx, "acme", "carol", "member"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Client.SetCollaborator(ctx, "acme", "hooked", "carol", "write"); err != nil {
		t.Fatal(err)
	}
	const secret = "oci-hook-secret"
	rcv := daemontest.NewHookReceiver(t, secret)
	if _, err := f.srv.Client.CreateHook(ctx, "acme", "hooked", client.CreateHook{URL: rcv.URL, Secret: secret,
		Events: []string{store.EventPublished, store.EventYanked}}); err != nil {
		t.Fatal(err)
	}

	env := clientEnv(t, f.host, carol.Token.Secret)
	dir := filepath.Join(t.TempDir(), "img")
	digest, _ := writeImage(t, dir, 41, 1, 4096)
	ref := f.host + "/acme/hooked:1.0.0"
	mustRun(t, env, crane, "push", dir, ref)
	if got := mustRun(t, env, crane, "digest", ref); got != digest {
		t.Fatalf("crane digest %s, want %s", got, digest)
	}
	want := webhooks.Payload{Event: store.EventPublished, Org: "acme", Repository: "hooked", Ecosystem: "docker",
		Package: "hooked", Version: digest, Actor: "carol"}
	d := rcv.WaitFor(t, store.EventPublished, "hooked", digest, hookWait)
	daemontest.CheckDelivery(t, d, secret, want, carol.Token.Secret, f.srv.AdminToken)

	v, err := f.srv.As(carol.Token.Secret).Yank(ctx, "docker", "acme", client.YankRequest{Name: "hooked", Version: "1.0.0", Yank: true, Reason: "rebuilt"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != digest || !v.Yanked {
		t.Fatalf("yank by tag: %+v", v)
	}
	want.Event = store.EventYanked
	y := rcv.WaitFor(t, store.EventYanked, "hooked", digest, hookWait)
	daemontest.CheckDelivery(t, y, secret, want, carol.Token.Secret, f.srv.AdminToken)
	if y.DeliveryID == d.DeliveryID {
		t.Errorf("yank reused delivery id %s", d.DeliveryID)
	}
	// The push and the yank are all the hook saw.
	time.Sleep(300 * time.Millisecond)
	if n := len(rcv.Requests()); n != 2 {
		t.Errorf("receiver got %d requests, want 2", n)
	}
}
