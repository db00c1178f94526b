package pkgcmd

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
	"github.com/drok-dev/drok/internal/daemon/client"
)

func TestDeleteConfirmation(t *testing.T) {
	tests := []struct {
		answer      string
		wantDeleted bool
		wantErr     error
	}{
		{answer: "y\n", wantDeleted: true},
		{answer: "yes\n", wantDeleted: true},
		{answer: "n\n", wantErr: cmdutil.ErrCancel},
		{answer: "\n", wantErr: cmdutil.ErrCancel},
	}
	for _, tt := range tests {
		deleted := false
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete && r.URL.Path == "/api/v1/packages/npm/acme/left-pad/1.0.0" {
				deleted = true
				w.WriteHeader(http.StatusNoContent)
				return
			}
			t.Errorf("unexpected %s %s", r.Method, r.URL)
		}))
		ios, in, _, errOut := iostreams.Test()
		ios.SetStdinTTY(true)
		ios.SetStderrTTY(true)
		in.WriteString(tt.answer)
		opts := &DeleteOptions{
			IO:         ios,
			Client:     func() (*client.Client, error) { return client.New(srv.URL, "t"), nil },
			DefaultOrg: func(s string) (string, error) { return s, nil },
			Ctx:        context.Background(),
			Target:     Target{Org: "acme", Ecosystem: "npm"},
			Name:       "left-pad",
			Version:    "1.0.0",
		}
		err := deleteRun(opts)
		srv.Close()
		if !errors.Is(err, tt.wantErr) && !(err == nil && tt.wantErr == nil) {
			t.Errorf("answer %q: error %v, want %v", tt.answer, err, tt.wantErr)
		}
		if deleted != tt.wantDeleted {
			t.Errorf("answer %q: deleted = %v", tt.answer, deleted)
		}
		if !strings.Contains(errOut.String(), "Delete npm package left-pad@1.0.0 from acme?") {
			t.Errorf("no question: %q", errOut)
		}
	}
}
