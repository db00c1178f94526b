package ecosystems

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/store"
)

func TestFailText(t *testing.T) {
	hints := TextHints{Ecosystem: "x", BadToken: "make a new one", LoginRequired: "log in please", NotFound: "no such thing"}
	tests := []struct {
		name      string
		err       error
		hints     TextHints
		status    int
		body      string
		challenge bool
	}{
		{"login", ErrLoginRequired, hints, 401, "log in please", true},
		{"bad token", fmt.Errorf("auth: %w", ErrBadToken), hints, 401, "invalid, expired or revoked token: make a new one", true},
		{"bad token without hint", ErrBadToken, TextHints{}, 401, "invalid, expired or revoked token", true},
		{"not found", fmt.Errorf("pkg: %w", store.ErrNotFound), hints, 404, "no such thing", false},
		{"denied", fmt.Errorf("%w: read-only token", ErrDenied), hints, 403, "permission denied: read-only token", false},
		{"too large", &http.MaxBytesError{Limit: 10}, hints, 413, "larger than the limit of 10 bytes", false},
		{"internal", errors.New("disk on fire"), hints, 500, "internal server error", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			FailText(w, httptest.NewRequest("GET", "/", nil), nil, tt.err, tt.hints)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.body) {
				t.Errorf("got %d %q, want %d containing %q", w.Code, w.Body, tt.status, tt.body)
			}
			if got := w.Header().Get("WWW-Authenticate") == BasicChallenge; got != tt.challenge {
				t.Errorf("challenge = %v, want %v", got, tt.challenge)
			}
			if strings.Contains(w.Body.String(), "disk on fire") {
				t.Error("internal error detail shown to the client")
			}
		})
	}
}
