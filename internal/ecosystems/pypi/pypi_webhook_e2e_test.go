package pypi_test

import (
	"context"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
	"github.com/drok-dev/drok/internal/daemon/webhooks"
	"github.com/drok-dev/drok/internal/ecosystems/pypi"
	"github.com/drok-dev/drok/internal/store"
)

// TestPyPIWebhookTwine: an organisation webhook receives a signed
// package:published delivery when twine uploads the wheel and sdist of a
// release (one delivery per version, not per file), naming the canonical
// project, the linked repository and the uploading user, and a
// package:yanked delivery when the release is yanked (PyPI has no yank in
// its upload protocol: `drok package yank`, i.e. the REST client).
func TestPyPIWebhookTwine(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, daemontest.WithWebhooks())
	private := "private"
	if _, err := f.srv.Client.CreateRepo(ctx, f.org, client.RepoEdit{Name: "hook-tool", Visibility: &private}); err != nil {
		t.Fatal(err)
	}
	alice, err := f.srv.Client.CreateUser(ctx, client.CreateUser{Name: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	// A member creates new packages; write on hook-tool links this one.
	if _, err := f.srv.Client.SetMember(ctx, f.org, "alice", "member"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Client.SetCollaborator(ctx, f.org, "hook-tool", "alice", "write"); err != nil {
		t.Fatal(err)
	}
	tok := alice.Token.Secret
	rcv := daemontest.NewHookReceiver(t, "pypi-hook-secret")
	hook, err := f.srv.Client.CreateHook(ctx, f.org, "", client.CreateHook{URL: rcv.URL, Secret: rcv.Secret,
		Events: []string{store.EventPublished, store.EventYanked}})
	if err != nil {
		t.Fatal(err)
	}

	spec := pypi.DistSpec{Name: "Hook.Tool", Version: "1.0"}
	wn, w := pypi.BuildWheel(t, spec)
	sn, s := pypi.BuildSdist(t, spec)
	f.mustTwine(t, tok, writeDist(t, wn, w), writeDist(t, sn, s))

	d := rcv.WaitFor(t, store.EventPublished, "hook-tool", "1.0", 10*time.Second)
	daemontest.CheckDelivery(t, d, rcv.Secret, webhooks.Payload{Event: store.EventPublished, HookID: hook.ID,
		Org: f.org, Repository: "hook-tool", Ecosystem: "pypi", Package: "hook-tool", Version: "1.0", Actor: "alice"}, tok)

	if _, err := f.srv.As(tok).Yank(ctx, "pypi", f.org, client.YankRequest{Name: "Hook_Tool", Version: "1.0", Yank: true, Reason: "broken"}); err != nil {
		t.Fatal(err)
	}
	d = rcv.WaitFor(t, store.EventYanked, "hook-tool", "1.0", 10*time.Second)
	daemontest.CheckDelivery(t, d, rcv.Secret, webhooks.Payload{Event: store.EventYanked, HookID: hook.ID,
		Org: f.org, Repository: "hook-tool", Ecosystem: "pypi", Package: "hook-tool", Version: "1.0", Actor: "alice"}, tok)

	time.Sleep(300 * time.Millisecond) // a duplicate would leave within one dispatcher tick
	if n := len(rcv.Matching(store.EventPublished, "", "")); n != 1 {
		t.Errorf("%d package:published deliveries for one release of two files, want 1", n)
	}
	if n := len(rcv.Requests()); n != 2 {
		t.Errorf("receiver got %d requests, want 2", n)
	}
}
