// Package iostreams holds the standard streams of one drok invocation, what
// is known about them (TTY or pipe), and the styles that go with that:
// colour and tables on a terminal, plain stable text on pipes.
package iostreams

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"
	"golang.org/x/term"
)

// IOStreams are the standard streams of a command.
type IOStreams struct {
	// In is standard input.
	In io.Reader
	// Out receives data.
	Out io.Writer
	// ErrOut receives hints, progress, warnings and errors.
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	colorEnabled                   bool

	// readPassword reads a line without echo; nil uses the terminal of In.
	readPassword func() ([]byte, error)
	outRenderer  *lipgloss.Renderer
	errRenderer  *lipgloss.Renderer
}

// System returns the streams of the process. DROK_FORCE_TTY=1 makes every
// stream count as a terminal (for tests and screenshots); NO_COLOR turns
// colour off.
func System() *IOStreams {
	s := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
	}
	if v := os.Getenv("DROK_FORCE_TTY"); v != "" && v != "0" && v != "false" {
		s.stdinTTY, s.stdoutTTY, s.stderrTTY = true, true, true
	}
	s.colorEnabled = os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	s.readPassword = func() ([]byte, error) {
		f, ok := s.In.(*os.File)
		if !ok {
			return nil, errors.New("standard input is not a terminal")
		}
		return term.ReadPassword(int(f.Fd()))
	}
	return s
}

// Test returns streams backed by buffers, all of them pipes.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	s = &IOStreams{In: in, Out: out, ErrOut: errOut}
	s.readPassword = func() ([]byte, error) {
		line, err := readLine(in)
		return []byte(line), err
	}
	return s, in, out, errOut
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// IsStdinTTY reports whether standard input is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether standard error is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY overrides TTY detection of standard input (tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides TTY detection of standard output (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v; s.outRenderer = nil }

// SetStderrTTY overrides TTY detection of standard error (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v; s.errRenderer = nil }

// SetColorEnabled turns colour on or off (it is only ever used on a TTY).
func (s *IOStreams) SetColorEnabled(v bool) {
	s.colorEnabled = v
	s.outRenderer, s.errRenderer = nil, nil
}

// CanPrompt reports whether the user can be asked questions: both
// standard input and standard error are terminals.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stderrTTY }

func (s *IOStreams) renderer(w io.Writer, tty bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(w)
	if tty && s.colorEnabled {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	return r
}

// OutRenderer is the lipgloss renderer for standard output: plain (no
// escape sequences) unless standard output is a colour terminal.
func (s *IOStreams) OutRenderer() *lipgloss.Renderer {
	if s.outRenderer == nil {
		s.outRenderer = s.renderer(s.Out, s.stdoutTTY)
	}
	return s.outRenderer
}

// ErrRenderer is the lipgloss renderer for standard error.
func (s *IOStreams) ErrRenderer() *lipgloss.Renderer {
	if s.errRenderer == nil {
		s.errRenderer = s.renderer(s.ErrOut, s.stderrTTY)
	}
	return s.errRenderer
}

// ReadPassword prints prompt on standard error and reads one line from the
// terminal without echo.
func (s *IOStreams) ReadPassword(prompt string) (string, error) {
	fmt.Fprint(s.ErrOut, prompt)
	b, err := s.readPassword()
	fmt.Fprintln(s.ErrOut)
	if err != nil {
		return "", fmt.Errorf("read from terminal: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Prompt prints prompt on standard error and reads one line of input.
func (s *IOStreams) Prompt(prompt string) (string, error) {
	fmt.Fprint(s.ErrOut, prompt)
	line, err := readLine(s.In)
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read answer: %w", err)
	}
	return strings.TrimSpace(line), nil
}

// readLine reads up to and excluding the next newline one byte at a time,
// so that nothing after the line is consumed from r.
func readLine(r io.Reader) (string, error) {
	var sb strings.Builder
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				return strings.TrimSuffix(sb.String(), "\r"), nil
			}
			sb.WriteByte(b[0])
		}
		if err != nil {
			return sb.String(), err
		}
	}
}
