package token

import (
	"testing"
	"time"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

func TestParseExpiry(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "30d", want: 30 * day},
		{in: "12h", want: 12 * time.Hour},
		{in: "2w", want: 14 * day},
		{in: "90m", want: 90 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: " 7d ", want: 7 * day},
		{in: "0d", wantErr: true},
		{in: "30s", wantErr: true},
		{in: "d", wantErr: true},
		{in: "-1d", wantErr: true},
		{in: "1y", wantErr: true},
		{in: "forever", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseExpiry(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseExpiry(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatExpiry(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{30 * 24 * time.Hour, "30d"},
		{14 * 24 * time.Hour, "14d"},
		{12 * time.Hour, "12h"},
		{36 * time.Hour, "36h"},
		{90 * time.Minute, "90m"},
		{90*time.Minute + 10*time.Second, "90m"},
	}
	for _, tt := range tests {
		if got := FormatExpiry(tt.in); got != tt.want {
			t.Errorf("FormatExpiry(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCreateFlags(t *testing.T) {
	tests := []struct {
		args        []string
		wantExpires string
		wantScopes  []string
		wantErr     bool
	}{
		{args: []string{"--name", "ci", "--expires", "2w"}, wantExpires: "14d", wantScopes: []string{"package:read"}},
		{args: []string{"--name", "ci", "--scopes", "package:read,package:write"}, wantScopes: []string{"package:read", "package:write"}},
		{args: []string{"--name", "ci", "--expires", "soon"}, wantErr: true},
		{args: []string{"--scopes", "package:read"}, wantErr: true},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		var got *CreateOptions
		cmd := NewCmdCreate(&cmdutil.Factory{IOStreams: ios}, func(o *CreateOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		if tt.wantErr {
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
				t.Errorf("%v: error %v, want a usage error", tt.args, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if got.Expires != tt.wantExpires || len(got.Scopes) != len(tt.wantScopes) {
			t.Errorf("%v: expires %q scopes %v; want %q %v", tt.args, got.Expires, got.Scopes, tt.wantExpires, tt.wantScopes)
		}
	}
}
