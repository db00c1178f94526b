package maven_test

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

// TestMavenWebhookDeploy: a repository webhook receives one signed
// package:published delivery when mvn deploy uploads a release (pom, jar,
// checksums and metadata are one version), naming groupId:artifactId, the
// repository the package linked to and the deploying user, and a
// package:yanked delivery when the release is yanked (Maven has no yank:
// `drok package yank`, i.e. the REST client). Another package of the org,
// not linked to the repository, never reaches the hook.
func TestMavenWebhookDeploy(t *testing.T) {
	ctx := context.Background()
	srv := daemontest.Start(t, daemontest.WithWebhooks())
	org := "acme"
	if _, err := srv.Client.CreateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	private := "private"
	if _, err := srv.Client.CreateRepo(ctx, org, client.RepoEdit{Name: "lib", Visibility: &private}); err != nil {
		t.Fatal(err)
	}
	alice, err := srv.Client.CreateUser(ctx, client.CreateUser{Name: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	// A member creates new packages; write on lib links g:lib to it.
	if _, err := srv.Client.SetMember(ctx, org, "alice", "member"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.SetCollaborator(ctx, org, "lib", "alice", "write"); err != nil {
		t.Fatal(err)
	}
	tok := alice.Token.Secret
	rcv := daemontest.NewHookReceiver(t, "maven-hook-secret")
	hook, err := srv.Client.CreateHook(ctx, org, "lib", client.CreateHook{URL: rcv.URL, Secret: rcv.Secret,
		Events: []string{store.EventPublished, store.EventYanked}})
	if err != nil {
		t.Fatal(err)
	}

	repo := srv.URL + "/api/v1/packages/maven/" + org + "/"
	group := uniqueGroup(t)
	name := group + ":lib"
	m := newMvnEnv(t, repo, tok)
	if out, err := m.run(libProject(t, group, "1.0", "hooked"), "deploy", "-DaltDeploymentRepository=drok::default::"+repo); err != nil {
		t.Fatalf("mvn deploy: %v\n%s", err, out)
	}
	// An unlinked package of the same org, published through REST.
	if _, err := srv.Client.Publish(ctx, org, "maven", "other-1.0.pom", bytes.NewReader([]byte(`<project><modelVersion>4.0.0</modelVersion><groupId>`+group+`</groupId><artifactId>other</artifactId><version>1.0</version></project>`))); err != nil {
		t.Fatalf("publish unlinked package: %v", err)
	}

	d := rcv.WaitFor(t, store.EventPublished, name, "1.0", 10*time.Second)
	daemontest.CheckDelivery(t, d, rcv.Secret, webhooks.Payload{Event: store.EventPublished, HookID: hook.ID,
		Org: org, Repository: "lib", Ecosystem: "maven", Package: name, Version: "1.0", Actor: "alice"}, tok)

	if _, err := srv.As(tok).Yank(ctx, "maven", org, client.YankRequest{Name: name, Version: "1.0", Yank: true}); err != nil {
		t.Fatalf("yank: %v", err)
	}
	d = rcv.WaitFor(t, store.EventYanked, name, "1.0", 10*time.Second)
	daemontest.CheckDelivery(t, d, rcv.Secret, webhooks.Payload{Event: store.EventYanked, HookID: hook.ID,
		Org: org, Repository: "lib", Ecosystem: "maven", Package: name, Version: "1.0", Actor: "alice"}, tok)

	time.Sleep(300 * time.Millisecond) // a stray delivery would leave within one dispatcher tick
	if n := len(rcv.Matching(store.EventPublished, "", "")); n != 1 {
		t.Errorf("%d package:published deliveries for one mvn deploy, want 1", n)
	}
	if n := len(rcv.Requests()); n != 2 {
		t.Errorf("receiver got %d requests, want 2 (none for the unlinked package)", n)
	}
}
