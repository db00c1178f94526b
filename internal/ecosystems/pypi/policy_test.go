package pypi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/ecosystems"
	"github.com/drok-dev/drok/internal/store"
)

// TestBlockedVersionsMarkedYanked: versions the org's policy blocks are
// yanked on the project pages with a reason naming the advisories (after
// the maintainers' own reason), by severity threshold.
func TestBlockedVersionsMarkedYanked(t *testing.T) {
	high := store.AdvisoryRef{ID: "PYSEC-1", Severity: "high", Fixed: []string{"2.0"}}
	low := store.AdvisoryRef{ID: "PYSEC-2", Severity: "low"}
	file := func(n string) []store.File { return []store.File{{Name: "p-" + n + ".tar.gz", SHA256: "aa"}} }
	vs := []store.Version{
		{Version: "1.0", Files: file("1.0"), Advisories: []store.AdvisoryRef{high}},
		{Version: "1.1", Files: file("1.1"), Advisories: []store.AdvisoryRef{low}, Yanked: true, YankReason: "broken"},
		{Version: "2.0", Files: file("2.0")},
	}
	pkg := store.Package{PackageKey: store.PackageKey{Name: "p"}}
	cases := []struct {
		name     string
		settings store.OrgSettings
		want     []any // the JSON yanked value of 1.0, 1.1, 2.0
	}{
		{"not blocking", store.OrgSettings{}, []any{false, "broken", false}},
		{"blocking any severity", store.OrgSettings{BlockVulnerable: true}, []any{
			"p@1.0 is blocked by this organisation's vulnerability policy: PYSEC-1 (high); fixed in 2.0",
			"broken; p@1.1 is blocked by this organisation's vulnerability policy: PYSEC-2 (low)", false}},
		{"blocking high and above", store.OrgSettings{BlockVulnerable: true, BlockSeverity: "high"}, []any{
			"p@1.0 is blocked by this organisation's vulnerability policy: PYSEC-1 (high); fixed in 2.0", "broken", false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var doc simpleDoc
			if err := json.Unmarshal(NewProject(pkg, vs, c.settings).JSON(), &doc); err != nil {
				t.Fatal(err)
			}
			for i, f := range doc.Files {
				if f.Yanked != c.want[i] {
					t.Errorf("%s yanked = %#v, want %#v", f.Filename, f.Yanked, c.want[i])
				}
			}
			html := string(NewProject(pkg, vs, c.settings).HTML())
			if blocked := c.settings.BlockVulnerable; strings.Contains(html, "PYSEC-1 (high)") != blocked {
				t.Errorf("HTML page:\n%s", html)
			}
		})
	}
}

func TestReasonPhrase(t *testing.T) {
	cases := []struct{ in, want string }{
		{"storage limit exceeded: 1 kB", "storage limit exceeded: 1 kB"},
		{"line\r\nbreak\ttab", "line  break tab"},
		{"ctrl\x00\x7fchars", "ctrlchars"},
		{"naïve", "na?ve"},
		{strings.Repeat("x", 2*maxReason), strings.Repeat("x", maxReason)},
	}
	for _, c := range cases {
		if got := reasonPhrase(c.in); got != c.want {
			t.Errorf("reasonPhrase(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestWriteRefusal: the raw answer parses as HTTP with the message as
// reason phrase, keeps the headers set before (Warning) and closes the
// connection; where the connection cannot be hijacked the answer is plain
// text with the standard status line.
func TestWriteRefusal(t *testing.T) {
	var buf bytes.Buffer
	h := http.Header{"Warning": {"199 drok x"}}
	writeRaw(bufio.NewWriter(&buf), h, false, http.StatusForbidden, reasonPhrase("blocked:\nPYSEC-1"), "blocked: PYSEC-1\n")
	resp, err := http.ReadResponse(bufio.NewReader(&buf), nil)
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(resp.Body)
	if resp.Status != "403 blocked: PYSEC-1" || !resp.Close || resp.Header.Get("Warning") != "199 drok x" ||
		body.String() != "blocked: PYSEC-1\n" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("raw answer: %q %+v %q", resp.Status, resp.Header, body)
	}

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	err = &ecosystems.BandwidthError{Org: "acme", Plan: "free", Limit: 10, Used: 10}
	rec.Header().Set("Retry-After", "100")
	writeError(rec, req, nil, err, textHints(""))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "" || rec.Header().Get(ResetHeader) == "" ||
		!strings.Contains(rec.Body.String(), "monthly bandwidth limit exceeded") {
		t.Fatalf("fallback answer: %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
}

type simpleDoc struct {
	Files []struct {
		Filename string `json:"filename"`
		Yanked   any    `json:"yanked"`
	} `json:"files"`
}
