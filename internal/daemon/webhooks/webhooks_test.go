package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/store"
	"github.com/drok-dev/drok/internal/store/bolt"
)

func TestSignAndVerify(t *testing.T) {
	// RFC 4231-style reference: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
	body := []byte("The quick brown fox jumps over the lazy dog")
	const want = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got := Sign("key", body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	tests := []struct {
		name      string
		secret    string
		body      []byte
		signature string
		ok        bool
	}{
		{"valid", "key", body, want, true},
		{"other secret", "key2", body, want, false},
		{"body changed", "key", append([]byte(nil), append(body, '.')...), want, false},
		{"no prefix", "key", body, strings.TrimPrefix(want, "sha256="), false},
		{"upper-case hex", "key", body, "sha256=" + strings.ToUpper(strings.TrimPrefix(want, "sha256=")), false},
		{"empty", "key", body, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(tt.secret, tt.body, tt.signature); got != tt.ok {
				t.Errorf("Verify = %v, want %v", got, tt.ok)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		addr string
		want AddrClass
	}{
		{"8.8.8.8", AddrPublic},
		{"93.184.216.34", AddrPublic},
		{"2001:4860:4860::8888", AddrPublic},
		{"169.254.169.254", AddrRefused},
		{"169.254.1.1", AddrRefused},
		{"fe80::1", AddrRefused},
		{"fe80::1%eth0", AddrRefused},
		{"fd00:ec2::254", AddrRefused},
		{"100.100.100.200", AddrRefused},
		{"0.0.0.0", AddrRefused},
		{"0.1.2.3", AddrRefused},
		{"::", AddrRefused},
		{"224.0.0.1", AddrRefused},
		{"239.255.255.250", AddrRefused},
		{"ff02::1", AddrRefused},
		{"255.255.255.255", AddrRefused},
		{"240.0.0.1", AddrRefused},
		{"::ffff:169.254.169.254", AddrRefused},
		{"::ffff:127.0.0.1", AddrPrivate},
		{"::ffff:10.1.2.3", AddrPrivate},
		{"::ffff:8.8.8.8", AddrPublic},
		{"64:ff9b::a9fe:a9fe", AddrRefused}, // NAT64 of 169.254.169.254
		{"2002:a9fe:a9fe::1", AddrRefused},  // 6to4 of 169.254.169.254
		{"::a9fe:a9fe", AddrRefused},        // IPv4-compatible 169.254.169.254
		{"64:ff9b::808:808", AddrPublic},    // NAT64 of 8.8.8.8
		{"2002:7f00:1::1", AddrPrivate},     // 6to4 of 127.0.0.1
		{"127.0.0.1", AddrPrivate},
		{"127.255.0.9", AddrPrivate},
		{"::1", AddrPrivate},
		{"10.0.0.1", AddrPrivate},
		{"172.16.0.1", AddrPrivate},
		{"172.31.255.255", AddrPrivate},
		{"172.32.0.1", AddrPublic},
		{"192.168.1.1", AddrPrivate},
		{"fc00::1", AddrPrivate},
		{"fd12:3456::1", AddrPrivate},
		{"100.64.0.1", AddrPrivate},
		{"100.127.255.255", AddrPrivate},
		{"100.128.0.1", AddrPublic},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.addr)
			got, why := Classify(ip)
			if got != tt.want {
				t.Fatalf("Classify(%s) = %v (%s), want %v", tt.addr, got, why, tt.want)
			}
			errClosed := Policy{}.Check(ip)
			errOpen := Policy{AllowPrivate: true}.Check(ip)
			switch tt.want {
			case AddrPublic:
				if errClosed != nil || errOpen != nil {
					t.Errorf("public address refused: %v / %v", errClosed, errOpen)
				}
			case AddrPrivate:
				if !errors.Is(errClosed, ErrRefusedTarget) || errOpen != nil {
					t.Errorf("private address: closed %v, open %v", errClosed, errOpen)
				}
			case AddrRefused:
				if !errors.Is(errClosed, ErrRefusedTarget) || !errors.Is(errOpen, ErrRefusedTarget) {
					t.Errorf("refused address allowed: closed %v, open %v", errClosed, errOpen)
				}
			}
		})
	}
}

func TestBackoffSchedule(t *testing.T) {
	lowest := func(int64) int64 { return 0 }
	highest := func(n int64) int64 { return n - 1 }
	for _, base := range []time.Duration{DefaultRetryBase, 100 * time.Millisecond} {
		var maxTotal time.Duration
		for n := 1; n < MaxAttempts; n++ {
			ceiling := min(base<<(n-1), MaxBackoff)
			if n > 40 {
				ceiling = MaxBackoff
			}
			lo, hi := Backoff(base, n, lowest), Backoff(base, n, highest)
			if lo != base/10 {
				t.Errorf("base %v retry %d: lowest wait %v, want %v", base, n, lo, base/10)
			}
			if hi != ceiling {
				t.Errorf("base %v retry %d: highest wait %v, want %v", base, n, hi, ceiling)
			}
			maxTotal += hi
		}
		if base == DefaultRetryBase && (maxTotal < 14*time.Hour || maxTotal > 16*time.Hour) {
			t.Errorf("longest schedule gives up after %v, documented as about 15.5h", maxTotal)
		}
	}
	if got := Backoff(DefaultRetryBase, 1000, func(n int64) int64 { return n - 1 }); got != MaxBackoff {
		t.Errorf("retry 1000 waits up to %v, want the cap %v", got, MaxBackoff)
	}
}

func TestRecord(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	pending := Delivery{ID: "d", HookID: "h", Status: StatusPending, Attempts: 2}
	tests := []struct {
		name     string
		in       Delivery
		res      attempt
		status   string
		attempts int
		retry    bool
	}{
		{"2xx delivers", pending, attempt{code: 204}, StatusDelivered, 3, false},
		{"503 retries", pending, attempt{code: 503, err: errors.New("503")}, StatusPending, 3, true},
		{"429 retries", pending, attempt{code: 429, err: errors.New("429")}, StatusPending, 3, true},
		{"404 retries", pending, attempt{code: 404, err: errors.New("404")}, StatusPending, 3, true},
		{"network error retries", pending, attempt{err: errors.New("connection refused")}, StatusPending, 3, true},
		{"last attempt fails", Delivery{Status: StatusPending, Attempts: MaxAttempts - 1}, attempt{code: 500, err: errors.New("500")}, StatusFailed, MaxAttempts, false},
		{"manual attempt fails once", Delivery{Status: StatusPending, Attempts: MaxAttempts, Manual: true}, attempt{code: 500, err: errors.New("500")}, StatusFailed, MaxAttempts + 1, false},
		{"manual attempt delivers", Delivery{Status: StatusPending, Attempts: MaxAttempts, Manual: true}, attempt{code: 200}, StatusDelivered, MaxAttempts + 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := record(tt.in, tt.res, now, time.Second)
			if got.Status != tt.status || got.Attempts != tt.attempts || got.ResponseCode != tt.res.code {
				t.Fatalf("record = %+v", got)
			}
			if tt.retry != !got.NextAttempt.IsZero() {
				t.Errorf("next attempt %v, want retry=%v", got.NextAttempt, tt.retry)
			}
			if tt.retry && (got.NextAttempt.Before(now) || got.NextAttempt.After(now.Add(MaxBackoff))) {
				t.Errorf("next attempt %v out of bounds", got.NextAttempt)
			}
			if got.Manual {
				t.Error("manual flag survives an attempt")
			}
		})
	}
}

func TestParseEvents(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
		bad  bool
	}{
		{nil, Events, false},
		{[]string{"package:yanked,package:published"}, []string{store.EventPublished, store.EventYanked}, false},
		{[]string{"package:published", "package:published"}, []string{store.EventPublished}, false},
		{[]string{"package:vulnerable"}, []string{store.EventVulnerable}, false},
		{[]string{"package:exploded"}, nil, true},
		{[]string{"ping"}, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseEvents(tt.in)
		if tt.bad {
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("ParseEvents(%q) = %v, %v; want ErrInvalid", tt.in, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseEvents(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

func TestValidateURL(t *testing.T) {
	res := fakeResolver{
		"hooks.example.test":    {netip.MustParseAddr("93.184.216.34")},
		"metadata.example.test": {netip.MustParseAddr("169.254.169.254")},
		"mixed.example.test":    {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.5")},
		"localhost":             {netip.MustParseAddr("127.0.0.1")},
	}
	tests := []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://hooks.example.test/drok", false, true},
		{"HTTP://hooks.example.test:8080/x?y=1", false, true},
		{"https://not-yet.example.test/", false, true},
		{"ftp://hooks.example.test/", false, false},
		{"hooks.example.test/drok", false, false},
		{"https://user:pw@hooks.example.test/", false, false},
		{"https://user@hooks.example.test/", false, false},
		{"https:///path", false, false},
		{"", false, false},
		{"https://" + strings.Repeat("a", MaxURLLength) + ".example.test/", false, false},
		{"http://169.254.169.254/latest/meta-data", true, false},
		{"http://[fd00:ec2::254]/", true, false},
		{"http://[::ffff:169.254.169.254]/", true, false},
		{"http://100.100.100.200/", true, false},
		{"http://metadata.example.test/", true, false},
		{"http://127.0.0.1:9/", false, false},
		{"http://127.0.0.1:9/", true, true},
		{"http://localhost:9/", false, false},
		{"http://localhost:9/", true, true},
		{"http://[::1]:9/", false, false},
		{"http://10.1.2.3/", false, false},
		{"http://mixed.example.test/", false, false},
		{"http://mixed.example.test/", true, true},
	}
	for _, tt := range tests {
		_, err := Policy{AllowPrivate: tt.allowPrivate}.ValidateURL(context.Background(), res, tt.url)
		if tt.ok && err != nil {
			t.Errorf("ValidateURL(%q, allowPrivate=%v) = %v, want ok", tt.url, tt.allowPrivate, err)
		}
		if !tt.ok && !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ValidateURL(%q, allowPrivate=%v) = %v, want ErrInvalid", tt.url, tt.allowPrivate, err)
		}
	}
}

// TestClientChecksResolvedAddress sends to a loopback server through a
// host name: the dialer refuses it unless private targets are allowed,
// whatever the URL looked like.
func TestClientChecksResolvedAddress(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	for _, target := range []string{"http://localhost:" + port + "/", srv.URL} {
		_, err := Policy{}.Client(5 * time.Second).Get(target)
		if !errors.Is(err, ErrRefusedTarget) {
			t.Errorf("GET %s with private targets refused: %v, want ErrRefusedTarget", target, err)
		}
		resp, err := Policy{AllowPrivate: true}.Client(5 * time.Second).Get(target)
		if err != nil {
			t.Errorf("GET %s with private targets allowed: %v", target, err)
			continue
		}
		resp.Body.Close()
	}
}

// TestClientRedirectIntoRefusedRange: a redirect to a metadata address is
// not followed, even when private targets are allowed.
func TestClientRedirectIntoRefusedRange(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	start := time.Now()
	_, err := Policy{AllowPrivate: true}.Client(5*time.Second).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if !errors.Is(err, ErrRefusedTarget) {
		t.Fatalf("redirect into 169.254.169.254: %v, want ErrRefusedTarget", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("refusal took %v: the dialer tried to connect", time.Since(start))
	}
}

func TestPayloadHasNoTokenFields(t *testing.T) {
	forbidden := []string{"token", "secret", "password", "authorization", "credential", "hash"}
	typ := reflect.TypeFor[Payload]()
	for i := range typ.NumField() {
		name := strings.ToLower(typ.Field(i).Name + " " + typ.Field(i).Tag.Get("json"))
		for _, f := range forbidden {
			if strings.Contains(name, f) {
				t.Errorf("Payload field %s looks like a credential", typ.Field(i).Name)
			}
		}
	}
	h := Hook{ID: "h1", Org: "acme", Repo: "web", Secret: "whsec_topsecret", Events: Events}
	e := store.Event{Seq: 7, Type: store.EventVulnerable, Ecosystem: "npm", Org: "acme", Repository: "web",
		Package: "left-pad", Version: "1.0.0", Actor: "alice", Time: time.Now(), Advisories: []string{"GHSA-xxxx"}}
	d, err := newDelivery(h, e, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(d.Body, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"actor", "advisories", "delivery", "ecosystem", "event", "hook_id", "org", "package", "repository", "timestamp", "version"}
	if !slices.Equal(keys, want) {
		t.Errorf("payload keys %v, want %v", keys, want)
	}
	if strings.Contains(string(d.Body), h.Secret) {
		t.Error("payload contains the hook secret")
	}
	if m["delivery"] != d.ID || m["hook_id"] != "h1" {
		t.Errorf("payload ids %v/%v, delivery %s", m["delivery"], m["hook_id"], d.ID)
	}
}

func openIndex(t *testing.T) *bolt.Index {
	t.Helper()
	idx, err := bolt.Open(filepath.Join(t.TempDir(), "index.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	return idx
}

// TestDispatch: one delivery per matching hook, the cursor advances in
// the same transaction, and a second run creates nothing.
func TestDispatch(t *testing.T) {
	ctx := context.Background()
	idx := openIndex(t)
	past := time.Now().Add(-time.Minute)
	var orgHook, webHook, yankOnly, otherOrg Hook
	err := idx.Update(ctx, func(tx store.Tx) error {
		var err error
		mk := func(org, repo string, events ...string) Hook {
			if err != nil {
				return Hook{}
			}
			var h Hook
			if len(events) == 0 {
				events = Events
			}
			h, err = CreateHook(tx, Hook{Org: org, Repo: repo, URL: "http://x.example.test/", Events: events, Secret: "s"}, past)
			return h
		}
		orgHook = mk("acme", "")
		webHook = mk("acme", "web")
		yankOnly = mk("acme", "web", store.EventYanked)
		otherOrg = mk("acme-two", "")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = idx.Update(ctx, func(tx store.Tx) error {
		for _, e := range []store.Event{
			{Type: store.EventPublished, Org: "acme", Package: "d", Version: "1", Time: now.Add(-2 * OutboxRetention)}, // older than every hook and the retention
			{Type: store.EventPublished, Org: "acme", Repository: "web", Package: "a", Version: "1", Time: now},
			{Type: store.EventPublished, Org: "acme", Repository: "api", Package: "b", Version: "1", Time: now},
			{Type: store.EventYanked, Org: "acme", Repository: "web", Package: "a", Version: "1", Time: now},
			{Type: store.EventPublished, Org: "acme", Package: "c", Version: "1", Time: past.Add(-time.Hour)}, // older than every hook
		} {
			if _, err := tx.AppendEvent(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var events, created int
	err = idx.Update(ctx, func(tx store.Tx) error {
		events, created, err = Dispatch(tx, 100, now)
		return err
	})
	if err != nil || events != 5 || created != 6 {
		t.Fatalf("Dispatch = %d events, %d deliveries, %v; want 5, 6", events, created, err)
	}
	want := map[string][]string{
		orgHook.ID:  {"package:published a", "package:published b", "package:yanked a"},
		webHook.ID:  {"package:published a", "package:yanked a"},
		yankOnly.ID: {"package:yanked a"},
		otherOrg.ID: nil,
	}
	_ = idx.View(ctx, func(tx store.Tx) error {
		for id, evs := range want {
			ds, err := ListDeliveries(tx, id)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.Event+" "+d.Package)
				if d.Status != StatusPending || d.Attempts != 0 {
					t.Errorf("new delivery %+v", d)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, evs) {
				t.Errorf("hook %s deliveries %v, want %v", id, got, evs)
			}
		}
		if cur, _ := Cursor(tx); cur != 5 {
			t.Errorf("cursor %d, want 5", cur)
		}
		// Dispatched events older than the retention left the outbox; the
		// recent ones stay.
		if evs, _ := tx.EventsAfter(0, 0); len(evs) != 4 || evs[0].Seq != 2 {
			t.Errorf("outbox after dispatch holds %+v, want events 2-5", evs)
		}
		refs, err := due(tx, now, 100, func(string) bool { return false })
		if err != nil || len(refs) != 6 {
			t.Errorf("due = %d, %v; want 6", len(refs), err)
		}
		return nil
	})
	err = idx.Update(ctx, func(tx store.Tx) error {
		events, created, err = Dispatch(tx, 100, now)
		return err
	})
	if err != nil || events != 0 || created != 0 {
		t.Fatalf("second Dispatch = %d events, %d deliveries, %v; want nothing", events, created, err)
	}
	// Deleting a hook removes its log and its pending deliveries.
	err = idx.Update(ctx, func(tx store.Tx) error { return DeleteHook(tx, "acme", "", orgHook.ID) })
	if err != nil {
		t.Fatal(err)
	}
	_ = idx.View(ctx, func(tx store.Tx) error {
		if ds, _ := ListDeliveries(tx, orgHook.ID); len(ds) != 0 {
			t.Errorf("deleted hook kept %d deliveries", len(ds))
		}
		if refs, _ := due(tx, now, 100, func(string) bool { return false }); len(refs) != 3 {
			t.Errorf("due after delete = %d, want 3", len(refs))
		}
		if _, err := GetHook(tx, "acme", "web", orgHook.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetHook of deleted hook: %v", err)
		}
		if _, err := GetHook(tx, "acme", "", webHook.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("repo hook found as an org hook: %v", err)
		}
		return nil
	})
}
