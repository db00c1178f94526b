package iostreams

import (
	"github.com/charmbracelet/lipgloss"
)

// ColorScheme styles text for one stream; every method returns the text
// unchanged when that stream is not a colour terminal.
type ColorScheme struct {
	r *lipgloss.Renderer
}

// ColorScheme styles text written to standard output.
func (s *IOStreams) ColorScheme() *ColorScheme { return &ColorScheme{r: s.OutRenderer()} }

// ErrColorScheme styles text written to standard error.
func (s *IOStreams) ErrColorScheme() *ColorScheme { return &ColorScheme{r: s.ErrRenderer()} }

func (c *ColorScheme) fg(color, text string) string {
	return c.r.NewStyle().Foreground(lipgloss.Color(color)).Render(text)
}

// Bold renders text in bold.
func (c *ColorScheme) Bold(text string) string { return c.r.NewStyle().Bold(true).Render(text) }

// Green renders text in green.
func (c *ColorScheme) Green(text string) string { return c.fg("2", text) }

// Yellow renders text in yellow.
func (c *ColorScheme) Yellow(text string) string { return c.fg("3", text) }

// Red renders text in red.
func (c *ColorScheme) Red(text string) string { return c.fg("1", text) }

// Muted renders text in grey.
func (c *ColorScheme) Muted(text string) string { return c.fg("8", text) }

// SuccessIcon is a green check mark.
func (c *ColorScheme) SuccessIcon() string { return c.Green("✓") }

// WarningIcon is a yellow exclamation mark.
func (c *ColorScheme) WarningIcon() string { return c.Yellow("!") }

// FailureIcon is a red cross.
func (c *ColorScheme) FailureIcon() string { return c.Red("X") }
