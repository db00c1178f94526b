package iostreams

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
)

// TablePrinter prints rows of data to standard output: a lipgloss table
// with a header on a terminal, and on pipes one line per row with the
// fields separated by tabs, no header, in the column order given.
type TablePrinter struct {
	ios     *IOStreams
	headers []string
	rows    [][]string
}

// NewTablePrinter returns a printer for the given column headers.
func NewTablePrinter(ios *IOStreams, headers ...string) *TablePrinter {
	return &TablePrinter{ios: ios, headers: headers}
}

// AddRow adds one row; it must have one field per header.
func (t *TablePrinter) AddRow(fields ...string) {
	row := make([]string, len(fields))
	for i, f := range fields {
		row[i] = sanitize(f)
	}
	t.rows = append(t.rows, row)
}

// Render writes the table.
func (t *TablePrinter) Render() error {
	if !t.ios.IsStdoutTTY() {
		for _, row := range t.rows {
			if _, err := fmt.Fprintln(t.ios.Out, strings.Join(row, "\t")); err != nil {
				return err
			}
		}
		return nil
	}
	r := t.ios.OutRenderer()
	header := r.NewStyle().Bold(true).PaddingRight(2)
	cell := r.NewStyle().PaddingRight(2)
	tbl := table.New().
		Border(lipgloss.HiddenBorder()).
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).
		BorderColumn(false).BorderHeader(false).
		Headers(t.headers...).
		Rows(t.rows...).
		StyleFunc(func(row, _ int) lipgloss.Style {
			if row == table.HeaderRow {
				return header
			}
			return cell
		})
	out := tbl.String()
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := fmt.Fprintln(t.ios.Out, strings.Join(lines, "\n"))
	return err
}

// Field is one labelled value of a detail view.
type Field struct {
	Label string
	Value string
	// More are further columns of a repeated row (a member and their
	// role): tab-separated on pipes, space-separated on a terminal.
	More []string
}

// Row returns a Field with several columns.
func Row(label string, columns ...string) Field {
	f := Field{Label: label}
	if len(columns) > 0 {
		f.Value, f.More = columns[0], columns[1:]
	}
	return f
}

func (f Field) columns(sep string, clean func(string) string) string {
	cols := make([]string, 0, 1+len(f.More))
	for _, c := range append([]string{f.Value}, f.More...) {
		cols = append(cols, clean(c))
	}
	return strings.Join(cols, sep)
}

// PrintFields writes a detail view: on a terminal bold aligned labels
// (empty values left out), on pipes one "label:\tvalue" line per field with
// lower-case labels, empty values included so that the lines are stable.
func PrintFields(ios *IOStreams, fields []Field) error {
	w := ios.Out
	if !ios.IsStdoutTTY() {
		for _, f := range fields {
			label := strings.ReplaceAll(strings.ToLower(f.Label), " ", "_")
			if _, err := fmt.Fprintf(w, "%s:\t%s\n", label, f.columns("\t", sanitize)); err != nil {
				return err
			}
		}
		return nil
	}
	shown := fields[:0:0]
	for _, f := range fields {
		if f.Value != "" || len(f.More) > 0 {
			shown = append(shown, f)
		}
	}
	fields = shown
	width := 0
	for _, f := range fields {
		width = max(width, len(f.Label)+1)
	}
	cs := ios.ColorScheme()
	for _, f := range fields {
		label := fmt.Sprintf("%-*s", width, f.Label+":")
		if _, err := fmt.Fprintf(w, "%s  %s\n", cs.Bold(label), f.columns(" ", func(s string) string { return s })); err != nil {
			return err
		}
	}
	return nil
}

func sanitize(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}
