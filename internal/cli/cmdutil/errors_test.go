package cmdutil

import (
	"errors"
	"fmt"
	"testing"

	"github.com/drok-dev/drok/internal/daemon/client"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain", errors.New("boom"), ExitError},
		{"flag", FlagErrorf("bad flag"), ExitUsage},
		{"wrapped flag", fmt.Errorf("ctx: %w", FlagErrorf("bad")), ExitUsage},
		{"auth", AuthErrorf("not logged in"), ExitAuth},
		{"401", fmt.Errorf("list: %w", &client.APIError{Status: 401}), ExitAuth},
		{"403", &client.APIError{Status: 403}, ExitAuth},
		{"404", &client.APIError{Status: 404}, ExitError},
		{"409", &client.APIError{Status: 409}, ExitError},
		{"unreachable", &client.UnreachableError{Server: "x", Err: errors.New("refused")}, ExitError},
		{"silent", ErrSilent, ExitError},
		{"cancel", ErrCancel, ExitError},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("%s: ExitCode = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestParseRepo(t *testing.T) {
	tests := []struct {
		in, org, repo string
		ok            bool
	}{
		{"acme/web", "acme", "web", true},
		{"acme", "", "", false},
		{"acme/", "", "", false},
		{"/web", "", "", false},
		{"a/b/c", "", "", false},
	}
	for _, tt := range tests {
		org, repo, err := ParseRepo(tt.in)
		if (err == nil) != tt.ok || org != tt.org || repo != tt.repo {
			t.Errorf("ParseRepo(%q) = %q, %q, %v", tt.in, org, repo, err)
		}
		if err != nil && ExitCode(err) != ExitUsage {
			t.Errorf("ParseRepo(%q): not a usage error", tt.in)
		}
	}
}
