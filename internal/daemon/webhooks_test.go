package daemon_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/daemon"
	"github.com/drok-dev/drok/internal/daemon/client"
	"github.com/drok-dev/drok/internal/daemon/daemontest"
	"github.com/drok-dev/drok/internal/store"
)

const hookWait = 10 * time.Second

// hookFixture starts a webhook-enabled daemon with org acme and the
// repositories web (private) and api (internal).
func hookFixture(t *testing.T, opts ...daemontest.Option) *daemontest.Server {
	t.Helper()
	srv := daemontest.Start(t, append([]daemontest.Option{daemontest.WithWebhooks()}, opts...)...)
	if _, err := srv.Client.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	for repo, vis := range map[string]string{"web": "private", "api": "internal"} {
		if _, err := srv.Client.CreateRepo(ctx, "acme", client.RepoEdit{Name: repo, Visibility: ptr(vis)}); err != nil {
			t.Fatal(err)
		}
	}
	return srv
}

func publishNpm(t *testing.T, c *client.Client, org, name, version string) {
	t.Helper()
	if _, err := c.Publish(ctx, org, "npm", name+"-"+version+".tgz", bytes.NewReader(npmTarball(t, name, version, 1))); err != nil {
		t.Fatalf("publish %s@%s: %v", name, version, err)
	}
}

func yankNpm(t *testing.T, c *client.Client, name, version string, yank bool) {
	t.Helper()
	if _, err := c.Yank(ctx, "npm", "acme", client.YankRequest{Name: name, Version: version, Yank: yank}); err != nil {
		t.Fatalf("yank %s@%s: %v", name, version, err)
	}
}

// TestWebhookRepoHook: a repository hook receives the subscribed events of
// the packages linked to its repository, signed, with the documented
// headers and payload, and nothing else.
func TestWebhookRepoHook(t *testing.T) {
	srv := hookFixture(t)
	rcv := daemontest.NewHookReceiver(t, "s3cret-web")
	hook, err := srv.Client.CreateHook(ctx, "acme", "web", client.CreateHook{URL: rcv.URL, Secret: rcv.Secret,
		Events: []string{store.EventPublished, store.EventYanked}})
	if err != nil {
		t.Fatal(err)
	}
	if hook.Repository != "web" || len(hook.Events) != 2 || hook.Secret != rcv.Secret {
		t.Fatalf("created hook %+v", hook)
	}

	publishNpm(t, srv.Client, "acme", "web", "1.0.0") // links to acme/web by name
	publishNpm(t, srv.Client, "acme", "api", "1.0.0") // another repository
	d := rcv.WaitFor(t, store.EventPublished, "web", "1.0.0", hookWait)
	if got := d.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
	if got := d.Header.Get("User-Agent"); got != "drok-Hookshot/"+daemon.Version {
		t.Errorf("User-Agent %q", got)
	}
	if d.HookID != hook.ID || d.Payload.HookID != hook.ID {
		t.Errorf("hook id header %q payload %q, want %s", d.HookID, d.Payload.HookID, hook.ID)
	}
	if d.DeliveryID == "" || d.Payload.Delivery != d.DeliveryID || len(d.DeliveryID) != 36 {
		t.Errorf("delivery id header %q payload %q", d.DeliveryID, d.Payload.Delivery)
	}
	p := d.Payload
	if p.Event != store.EventPublished || p.Org != "acme" || p.Repository != "web" || p.Ecosystem != "npm" ||
		p.Package != "web" || p.Version != "1.0.0" || p.Actor != "admin" || p.Timestamp.IsZero() {
		t.Errorf("payload %+v", p)
	}
	if bytes.Contains(d.Body, []byte("drok_")) || bytes.Contains(d.Body, []byte(srv.AdminToken)) {
		t.Errorf("payload contains a token: %s", d.Body)
	}

	yankNpm(t, srv.Client, "web", "1.0.0", true)
	rcv.WaitFor(t, store.EventYanked, "web", "1.0.0", hookWait)
	yankNpm(t, srv.Client, "web", "1.0.0", false) // not subscribed
	publishNpm(t, srv.Client, "acme", "web", "1.0.1")
	rcv.WaitFor(t, store.EventPublished, "web", "1.0.1", hookWait)
	time.Sleep(300 * time.Millisecond)
	for _, d := range rcv.Requests() {
		if d.Payload.Package != "web" || d.Event == store.EventUnyanked {
			t.Errorf("repository hook got %s of %s", d.Event, d.Payload.Package)
		}
	}
	if n := len(rcv.Requests()); n != 3 {
		t.Errorf("receiver got %d requests, want 3", n)
	}
}

// TestWebhookOrgHook: an organisation hook (all events by default)
// receives the events of every repository and of unlinked packages.
func TestWebhookOrgHook(t *testing.T) {
	srv := hookFixture(t)
	rcv := daemontest.NewHookReceiver(t, "org-secret")
	hook, err := srv.Client.CreateHook(ctx, "acme", "", client.CreateHook{URL: rcv.URL, Secret: rcv.Secret})
	if err != nil {
		t.Fatal(err)
	}
	if hook.Repository != "" || len(hook.Events) != 5 {
		t.Fatalf("org hook %+v", hook)
	}
	if _, err := srv.Client.CreateOrg(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	publishNpm(t, srv.Client, "acme", "web", "1.0.0")
	publishNpm(t, srv.Client, "acme", "api", "2.0.0")
	publishNpm(t, srv.Client, "acme", "unlinked-lib", "0.1.0")
	publishNpm(t, srv.Client, "other", "elsewhere", "1.0.0")
	if err := srv.Client.DeleteVersion(ctx, "npm", "acme", "unlinked-lib", "0.1.0"); err != nil {
		t.Fatal(err)
	}
	if d := rcv.WaitFor(t, store.EventPublished, "web", "1.0.0", hookWait); d.Payload.Repository != "web" {
		t.Errorf("payload repository %q", d.Payload.Repository)
	}
	if d := rcv.WaitFor(t, store.EventPublished, "api", "2.0.0", hookWait); d.Payload.Repository != "api" {
		t.Errorf("payload repository %q", d.Payload.Repository)
	}
	rcv.WaitFor(t, store.EventPublished, "unlinked-lib", "0.1.0", hookWait)
	rcv.WaitFor(t, store.EventDeleted, "unlinked-lib", "0.1.0", hookWait)
	time.Sleep(300 * time.Millisecond)
	if m := rcv.Matching(store.EventPublished, "elsewhere", ""); len(m) != 0 {
		t.Errorf("org hook of acme got an event of org other")
	}
	if n := len(rcv.Requests()); n != 4 {
		t.Errorf("receiver got %d requests, want 4", n)
	}
}

// TestWebhookRetriesUntilReceiverRecovers: a receiver that drops
// connections, then answers 503, then recovers gets the delivery once it
// is up, with the same delivery id every time; the log shows the
// attempts. Redelivery and ping go out on request (RELIABILITY 26).
func TestWebhookRetriesUntilReceiverRecovers(t *testing.T) {
	srv := hookFixture(t)
	rcv := daemontest.NewHookReceiver(t, "retry-secret")
	hook, err := srv.Client.CreateHook(ctx, "acme", "web", client.CreateHook{URL: rcv.URL, Secret: rcv.Secret})
	if err != nil {
		t.Fatal(err)
	}
	rcv.SetDown(true)
	publishNpm(t, srv.Client, "acme", "web", "1.0.0")
	var log []client.Delivery
	waitLog := func(cond func(client.Delivery) bool, what string) client.Delivery {
		t.Helper()
		deadline := time.Now().Add(hookWait)
		for time.Now().Before(deadline) {
			log, err = srv.Client.HookDeliveries(ctx, "acme", "web", hook.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(log) == 1 && cond(log[0]) {
				return log[0]
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("delivery log never showed %s: %+v", what, log)
		return client.Delivery{}
	}
	d := waitLog(func(d client.Delivery) bool { return d.Attempts >= 1 && d.Error != "" }, "a network error")
	if d.Status != "pending" || d.ResponseCode != 0 || d.NextAttempt.IsZero() {
		t.Errorf("after a dropped connection: %+v", d)
	}
	rcv.SetStatus(http.StatusServiceUnavailable)
	rcv.SetDown(false)
	d = waitLog(func(d client.Delivery) bool { return d.ResponseCode == 503 }, "a 503")
	if d.Status != "pending" || !strings.Contains(d.ResponseExcerpt, "receiver answered 503") {
		t.Errorf("after a 503: %+v", d)
	}
	rcv.SetStatus(http.StatusOK)
	got := rcv.WaitFor(t, store.EventPublished, "web", "1.0.0", hookWait)
	d = waitLog(func(d client.Delivery) bool { return d.Status == "delivered" }, "delivered")
	if d.Attempts < 3 || d.ResponseCode != 200 || d.ID != got.DeliveryID || !d.NextAttempt.IsZero() {
		t.Errorf("delivered entry %+v (receiver saw %s)", d, got.DeliveryID)
	}
	for _, r := range rcv.Requests() {
		if r.DeliveryID != d.ID {
			t.Errorf("attempt with delivery id %s, want %s every time", r.DeliveryID, d.ID)
		}
	}
	attempts := d.Attempts

	// Manual redelivery: same id and body, attempts continue.
	re, err := srv.Client.Redeliver(ctx, "acme", "web", hook.ID, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if re.ID != d.ID || re.Status != "pending" {
		t.Errorf("redeliver answered %+v", re)
	}
	d = waitLog(func(d client.Delivery) bool { return d.Status == "delivered" && d.Attempts == attempts+1 }, "the redelivery")
	if m := rcv.Matching(store.EventPublished, "web", "1.0.0"); len(m) != 2 || m[1].DeliveryID != d.ID || !bytes.Equal(m[0].Body, m[1].Body) {
		t.Errorf("redelivery: %d accepted deliveries", len(m))
	}
	if _, err := srv.Client.Redeliver(ctx, "acme", "web", hook.ID, "no-such-delivery"); !client.IsStatus(err, http.StatusNotFound) {
		t.Errorf("redeliver of an unknown delivery: %v", err)
	}

	ping, err := srv.Client.PingHook(ctx, "acme", "web", hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	pd := rcv.WaitFor(t, "ping", "", "", hookWait)
	if pd.DeliveryID != ping.ID || pd.Payload.Org != "acme" || pd.Payload.Repository != "web" || pd.Payload.Actor != "admin" {
		t.Errorf("ping %+v (queued %s)", pd.Payload, ping.ID)
	}
}

// TestWebhookDeliveredAfterKill9: events committed right before a kill -9
// are delivered after the restart, each exactly once (RELIABILITY 27).
func TestWebhookDeliveredAfterKill9(t *testing.T) {
	dir := t.TempDir()
	cmd, url := daemontest.StartChild(t, dir, daemontest.ChildWebhooks)
	tok, err := os.ReadFile(filepath.Join(dir, daemon.AdminTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(url, strings.TrimSpace(string(tok)))
	if _, err := c.CreateOrg(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	rcv := daemontest.NewHookReceiver(t, "crash-secret")
	if _, err := c.CreateHook(ctx, "acme", "", client.CreateHook{URL: rcv.URL, Secret: rcv.Secret}); err != nil {
		t.Fatal(err)
	}
	// The receiver refuses everything until the daemon is dead, so no
	// delivery can complete before the kill.
	rcv.SetStatus(http.StatusServiceUnavailable)
	versions := []string{"1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4"}
	for _, v := range versions {
		publishNpm(t, c, "acme", "crashy", v)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	rcv.SetStatus(http.StatusOK)

	_, url = daemontest.StartChild(t, dir, daemontest.ChildWebhooks)
	for _, v := range versions {
		rcv.WaitFor(t, store.EventPublished, "crashy", v, hookWait)
	}
	time.Sleep(500 * time.Millisecond)
	seen := map[string]bool{}
	for _, v := range versions {
		m := rcv.Matching(store.EventPublished, "crashy", v)
		if len(m) != 1 {
			t.Errorf("crashy@%s delivered %d times, want once", v, len(m))
			continue
		}
		if seen[m[0].DeliveryID] {
			t.Errorf("delivery id %s reused", m[0].DeliveryID)
		}
		seen[m[0].DeliveryID] = true
	}
	_ = url
}

// TestWebhookTargetPolicy: metadata and link-local targets are refused at
// create time whatever the configuration; loopback only when the server
// allows private targets; redirects into refused ranges are not followed
// (RELIABILITY 28).
func TestWebhookTargetPolicy(t *testing.T) {
	closed := hookFixture(t, daemontest.WithWebhookAllowPrivate(false))
	open := hookFixture(t)
	tests := []struct {
		url        string
		closedOK   bool
		openOK     bool
		wantInText string
	}{
		{"http://169.254.169.254/latest/meta-data/", false, false, "metadata"},
		{"http://[::ffff:169.254.169.254]/", false, false, "metadata"},
		{"http://[fd00:ec2::254]/", false, false, "metadata"},
		{"http://169.254.10.10/", false, false, "link-local"},
		{"http://[fe80::1]/", false, false, "link-local"},
		{"http://0.0.0.0:8080/", false, false, "unspecified"},
		{"http://224.0.0.1/", false, false, "multicast"},
		{"http://127.0.0.1:9/hook", false, true, "loopback"},
		{"http://localhost:9/hook", false, true, "loopback"},
		{"http://10.0.0.1/hook", false, true, "private"},
		{"http://100.64.1.1/hook", false, true, "CGNAT"},
		{"ftp://hooks.example.test/", false, false, "http"},
		{"http://user:pw@hooks.example.test/", false, false, "password"},
		{"/relative", false, false, "http"},
	}
	for _, tt := range tests {
		for _, side := range []struct {
			name string
			srv  *daemontest.Server
			ok   bool
		}{{"private refused", closed, tt.closedOK}, {"private allowed", open, tt.openOK}} {
			_, err := side.srv.Client.CreateHook(ctx, "acme", "web", client.CreateHook{URL: tt.url})
			switch {
			case side.ok && err != nil:
				t.Errorf("%s: create %s: %v", side.name, tt.url, err)
			case !side.ok && !client.IsStatus(err, http.StatusBadRequest):
				t.Errorf("%s: create %s = %v, want 400", side.name, tt.url, err)
			case !side.ok && !strings.Contains(err.Error(), tt.wantInText):
				t.Errorf("%s: create %s: unclear message %q", side.name, tt.url, err)
			}
		}
	}

	// A receiver that redirects to the metadata address: the hop is
	// refused at connect time and recorded as a failed attempt.
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	hook, err := open.Client.CreateHook(ctx, "acme", "web", client.CreateHook{URL: redirector.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	publishNpm(t, open.Client, "acme", "web", "1.0.0")
	deadline := time.Now().Add(hookWait)
	for {
		log, err := open.Client.HookDeliveries(ctx, "acme", "web", hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) == 1 && log[0].Attempts > 0 {
			if log[0].Status == "delivered" || !strings.Contains(log[0].Error, "refused") || !strings.Contains(log[0].Error, "169.254.169.254") {
				t.Errorf("redirect into the metadata range: %+v", log[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no attempt recorded: %+v", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWebhookSecretNeverShown: the secret is answered once, on create,
// and never by list or view.
func TestWebhookSecretNeverShown(t *testing.T) {
	srv := hookFixture(t)
	given, err := srv.Client.CreateHook(ctx, "acme", "", client.CreateHook{URL: "http://127.0.0.1:9/a", Secret: "my-chosen-secret"})
	if err != nil {
		t.Fatal(err)
	}
	generated, err := srv.Client.CreateHook(ctx, "acme", "", client.CreateHook{URL: "http://127.0.0.1:9/b"})
	if err != nil {
		t.Fatal(err)
	}
	if given.Secret != "my-chosen-secret" || !strings.HasPrefix(generated.Secret, "whsec_") || len(generated.Secret) < 40 {
		t.Fatalf("create answered secrets %q and %q", given.Secret, generated.Secret)
	}
	raw := func(path string) string {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+srv.AdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	for _, path := range []string{"/api/v1/orgs/acme/hooks", "/api/v1/orgs/acme/hooks/" + given.ID, "/api/v1/orgs/acme/hooks/" + generated.ID} {
		body := raw(path)
		if strings.Contains(body, given.Secret) || strings.Contains(body, generated.Secret) || strings.Contains(body, `"secret"`) {
			t.Errorf("GET %s shows a secret: %s", path, body)
		}
	}
	var list []client.Hook
	if err := json.Unmarshal([]byte(raw("/api/v1/orgs/acme/hooks")), &list); err != nil || len(list) != 2 {
		t.Fatalf("list = %v, %v", list, err)
	}
	if err := srv.Client.DeleteHook(ctx, "acme", "", given.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.Hook(ctx, "acme", "", given.ID); !client.IsStatus(err, http.StatusNotFound) {
		t.Errorf("deleted hook: %v", err)
	}
	if hs, _ := srv.Client.Hooks(ctx, "acme", ""); len(hs) != 1 || hs[0].ID != generated.ID {
		t.Errorf("after delete: %+v", hs)
	}
}

// TestWebhookManagementAccess: only repository admins, org owners and
// site admins manage repository hooks, only owners org hooks; callers
// who cannot see the repository or org get 404.
func TestWebhookManagementAccess(t *testing.T) {
	srv := hookFixture(t)
	users := map[string]*client.Client{}
	for _, u := range []string{"member", "repoadmin", "writer", "outsider"} {
		cu, err := srv.Client.CreateUser(ctx, client.CreateUser{Name: u})
		if err != nil {
			t.Fatal(err)
		}
		users[u] = srv.As(cu.Token.Secret)
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(srv.Client.SetMember(ctx, "acme", "member", "member"))
	must(srv.Client.SetCollaborator(ctx, "acme", "web", "repoadmin", "admin"))
	must(srv.Client.SetCollaborator(ctx, "acme", "web", "writer", "write"))
	users["anonymous"] = srv.As("")
	repoHook, err := srv.Client.CreateHook(ctx, "acme", "web", client.CreateHook{URL: "http://127.0.0.1:9/"})
	if err != nil {
		t.Fatal(err)
	}
	orgHook, err := srv.Client.CreateHook(ctx, "acme", "", client.CreateHook{URL: "http://127.0.0.1:9/"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user      string
		repo      string // "" = org hooks
		want      int
		createURL string
	}{
		{"repoadmin", "web", 200, "http://127.0.0.1:9/ra"},
		{"writer", "web", 403, "http://169.254.169.254/"}, // refused by access before the URL is looked at
		{"member", "web", 404, ""},                        // private repository: invisible to members
		{"outsider", "web", 404, ""},
		{"anonymous", "web", 401, ""},
		{"member", "api", 403, ""}, // internal repository: visible, not administrable
		{"member", "", 403, ""},
		{"repoadmin", "", 404, ""},
		{"outsider", "", 404, ""},
		{"anonymous", "", 401, ""},
	}
	for _, tt := range tests {
		c := users[tt.user]
		id := orgHook.ID
		if tt.repo != "" {
			id = repoHook.ID
		}
		name := tt.user + " on acme/" + tt.repo
		url := tt.createURL
		if url == "" {
			url = "http://127.0.0.1:9/x"
		}
		calls := map[string]error{}
		_, calls["list"] = c.Hooks(ctx, "acme", tt.repo)
		_, calls["create"] = c.CreateHook(ctx, "acme", tt.repo, client.CreateHook{URL: url})
		_, calls["view"] = c.Hook(ctx, "acme", tt.repo, id)
		_, calls["deliveries"] = c.HookDeliveries(ctx, "acme", tt.repo, id)
		_, calls["ping"] = c.PingHook(ctx, "acme", tt.repo, id)
		for op, err := range calls {
			if tt.want == 200 && err != nil {
				t.Errorf("%s: %s: %v", name, op, err)
			}
			if tt.want != 200 && !client.IsStatus(err, tt.want) {
				t.Errorf("%s: %s = %v, want %d", name, op, err, tt.want)
			}
		}
		if tt.want != 200 {
			if err := c.DeleteHook(ctx, "acme", tt.repo, id); !client.IsStatus(err, tt.want) {
				t.Errorf("%s: delete = %v, want %d", name, err, tt.want)
			}
		}
	}
	// A repository hook is not reachable through the org routes, nor
	// through another repository.
	if _, err := srv.Client.Hook(ctx, "acme", "", repoHook.ID); !client.IsStatus(err, http.StatusNotFound) {
		t.Errorf("repo hook through the org route: %v", err)
	}
	if err := srv.Client.DeleteHook(ctx, "acme", "api", repoHook.ID); !client.IsStatus(err, http.StatusNotFound) {
		t.Errorf("repo hook deleted through another repository: %v", err)
	}
	if _, err := srv.Client.Hooks(ctx, "nope", ""); !client.IsStatus(err, http.StatusNotFound) {
		t.Errorf("hooks of a missing org: %v", err)
	}
}

// TestWebhookVulnerableEvent: importing an advisory that affects a
// published version delivers package:vulnerable naming the advisory;
// publishing another affected version later does too.
func TestWebhookVulnerableEvent(t *testing.T) {
	srv := hookFixture(t)
	rcv := daemontest.NewHookReceiver(t, "vuln-secret")
	if _, err := srv.Client.CreateHook(ctx, "acme", "", client.CreateHook{URL: rcv.URL, Secret: rcv.Secret,
		Events: []string{store.EventVulnerable}}); err != nil {
		t.Fatal(err)
	}
	publishNpm(t, srv.Client, "acme", "web", "1.0.0")
	osv := json.RawMessage(`{"id":"GHSA-hook-vuln-test","modified":"2026-11-01T00:00:00Z",
	  "affected":[{"package":{"ecosystem":"npm","name":"web"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"3.0.0"}]}]}]}`)
	if _, err := srv.Client.ImportAdvisories(ctx, client.AdvisoryImport{Advisories: []json.RawMessage{osv}}); err != nil {
		t.Fatal(err)
	}
	d := rcv.WaitFor(t, store.EventVulnerable, "web", "1.0.0", hookWait)
	if len(d.Payload.Advisories) != 1 || d.Payload.Advisories[0] != "GHSA-hook-vuln-test" {
		t.Fatalf("payload advisories %v", d.Payload.Advisories)
	}
	publishNpm(t, srv.Client, "acme", "web", "2.0.0")
	rcv.WaitFor(t, store.EventVulnerable, "web", "2.0.0", hookWait)
	if m := rcv.Matching(store.EventPublished, "", ""); len(m) != 0 {
		t.Errorf("hook subscribed to package:vulnerable only got %d published events", len(m))
	}
}
