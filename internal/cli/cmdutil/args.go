package cmdutil

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/iostreams"
)

// ExactArgs accepts exactly n positional arguments; msg explains what is
// missing.
func ExactArgs(n int, msg string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < n:
			return FlagErrorf("%s", msg)
		case len(args) > n:
			return FlagErrorf("too many arguments (%s); see: %s --help", strings.Join(args[n:], " "), cmd.CommandPath())
		}
		return nil
	}
}

// NoArgs accepts no positional argument.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("unexpected argument %q; see: %s --help", args[0], cmd.CommandPath())
	}
	return nil
}

// ParseRepo splits ORG/REPO.
func ParseRepo(s string) (org, repo string, err error) {
	org, repo, ok := strings.Cut(s, "/")
	if !ok || org == "" || repo == "" || strings.Contains(repo, "/") {
		return "", "", FlagErrorf("expected ORG/REPO, got %q", s)
	}
	return org, repo, nil
}

// OneOf checks that a flag value is one of allowed.
func OneOf(flag, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return FlagErrorf("invalid --%s %q: want one of %s", flag, value, strings.Join(allowed, ", "))
}

// Confirm asks a yes/no question on the terminal; anything but y or yes
// is a no.
func Confirm(ios *iostreams.IOStreams, question string) (bool, error) {
	answer, err := ios.Prompt(question + " [y/N] ")
	if err != nil {
		return false, err
	}
	switch strings.ToLower(answer) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// FormatTime renders a time for tables: RFC 3339 on pipes (stable and
// parseable), a short local form on a terminal; "" for the zero time.
func FormatTime(ios *iostreams.IOStreams, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if !ios.IsStdoutTTY() {
		return t.UTC().Format(time.RFC3339)
	}
	return t.Local().Format("2006-01-02 15:04")
}

// Plural returns "1 thing" or "n things".
func Plural(n int, thing string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", thing)
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// Success tells the user on standard error that an action succeeded.
func Success(ios *iostreams.IOStreams, format string, args ...any) {
	cs := ios.ErrColorScheme()
	fmt.Fprintf(ios.ErrOut, "%s %s\n", cs.SuccessIcon(), fmt.Sprintf(format, args...))
}

// Warn prints a warning on standard error.
func Warn(ios *iostreams.IOStreams, format string, args ...any) {
	cs := ios.ErrColorScheme()
	fmt.Fprintf(ios.ErrOut, "%s %s\n", cs.Yellow("warning:"), fmt.Sprintf(format, args...))
}

// MakeGroup makes cmd a command group: alone it prints its help, and an
// unknown subcommand is a usage error instead of cobra's silent help.
func MakeGroup(cmd *cobra.Command) {
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return FlagErrorf("unknown command %q for %q; see: %s --help", args[0], c.CommandPath(), c.CommandPath())
		}
		return nil
	}
	cmd.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
}
