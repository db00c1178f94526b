package pkgcmd

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/daemon/client"
)

func TestSplitNameVersion(t *testing.T) {
	tests := []struct {
		arg, name, version string
	}{
		{"left-pad", "left-pad", ""},
		{"left-pad@1.3.0", "left-pad", "1.3.0"},
		{"@acme/ui", "@acme/ui", ""},
		{"@acme/ui@2.0.0-beta.1", "@acme/ui", "2.0.0-beta.1"},
		{"com.example:lib@1.0", "com.example:lib", "1.0"},
		{"com.example:lib", "com.example:lib", ""},
		{"name@", "name", ""},
		{"@", "@", ""},
		{"", "", ""},
		{"a@b@c", "a@b", "c"},
		{"Newtonsoft.Json@13.0.3", "Newtonsoft.Json", "13.0.3"},
	}
	for _, tt := range tests {
		name, version := SplitNameVersion(tt.arg)
		if name != tt.name || version != tt.version {
			t.Errorf("SplitNameVersion(%q) = %q, %q; want %q, %q", tt.arg, name, version, tt.name, tt.version)
		}
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		arg                    string
		needVersion, noVersion bool
		name, version          string
		wantErr                string
	}{
		{arg: "left-pad@1.0.0", needVersion: true, name: "left-pad", version: "1.0.0"},
		{arg: "left-pad", needVersion: true, wantErr: "version required"},
		{arg: "@acme/ui", needVersion: true, wantErr: "version required: @acme/ui@VERSION"},
		{arg: "left-pad@", wantErr: "empty version"},
		{arg: "left-pad@1.0.0", noVersion: true, wantErr: "without version"},
		{arg: "@acme/ui", noVersion: true, name: "@acme/ui"},
		{arg: "", wantErr: "empty package name"},
	}
	for _, tt := range tests {
		name, version, err := parseRef(tt.arg, tt.needVersion, tt.noVersion)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseRef(%q) error = %v; want %q", tt.arg, err, tt.wantErr)
			}
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
				t.Errorf("parseRef(%q) exit code = %d; want usage", tt.arg, cmdutil.ExitCode(err))
			}
			continue
		}
		if err != nil || name != tt.name || version != tt.version {
			t.Errorf("parseRef(%q) = %q, %q, %v; want %q, %q", tt.arg, name, version, err, tt.name, tt.version)
		}
	}
}

type fakeLister struct {
	pkgs  []client.Package
	err   error
	calls int
}

func (f *fakeLister) Packages(_ context.Context, org, eco, name string) ([]client.Package, error) {
	f.calls++
	var out []client.Package
	for _, p := range f.pkgs {
		if p.Org == org && p.Name == name && (eco == "" || p.Ecosystem == eco) {
			out = append(out, p)
		}
	}
	return out, f.err
}

func TestResolveEcosystem(t *testing.T) {
	pkgs := []client.Package{
		{Org: "acme", Ecosystem: "npm", Name: "shared"},
		{Org: "acme", Ecosystem: "pypi", Name: "shared"},
		{Org: "acme", Ecosystem: "cargo", Name: "shared"},
		{Org: "acme", Ecosystem: "npm", Name: "left-pad"},
	}
	tests := []struct {
		name, eco string
		want      string
		wantErr   string
		wantCode  int
		wantCalls int
	}{
		{name: "left-pad", want: "npm", wantCalls: 1},
		{name: "shared", eco: "pypi", want: "pypi", wantCalls: 0},
		{name: "shared", wantErr: "package shared exists in several ecosystems of acme; pick one with -e npm, -e pypi, -e cargo",
			wantCode: cmdutil.ExitUsage, wantCalls: 1},
		{name: "missing", wantErr: "package missing not found in acme", wantCode: cmdutil.ExitError, wantCalls: 1},
	}
	for _, tt := range tests {
		l := &fakeLister{pkgs: pkgs}
		got, err := ResolveEcosystem(context.Background(), l, "acme", tt.eco, tt.name)
		if l.calls != tt.wantCalls {
			t.Errorf("%s: %d lookups, want %d", tt.name, l.calls, tt.wantCalls)
		}
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.wantErr)
			}
			if code := cmdutil.ExitCode(err); code != tt.wantCode {
				t.Errorf("%s: exit code %d, want %d", tt.name, code, tt.wantCode)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestResolveEcosystemLookupError(t *testing.T) {
	boom := &client.APIError{Status: 403, Message: "forbidden"}
	_, err := ResolveEcosystem(context.Background(), &fakeLister{err: boom}, "acme", "", "x")
	if !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the API error", err)
	}
	if cmdutil.ExitCode(err) != cmdutil.ExitAuth {
		t.Fatalf("exit code %d, want %d", cmdutil.ExitCode(err), cmdutil.ExitAuth)
	}
}
