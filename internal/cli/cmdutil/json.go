package cmdutil

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/spf13/cobra"

	"github.com/drok-dev/drok/internal/cli/iostreams"
)

// AddJSONFlag adds --json to a command that prints data.
func AddJSONFlag(cmd *cobra.Command, target *bool) {
	cmd.Flags().BoolVar(target, "json", false, "Print the result as JSON")
}

// PrintJSON writes v as indented JSON to standard output. A nil slice is
// written as an empty array.
func PrintJSON(ios *iostreams.IOStreams, v any) error {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.IsNil() {
		v = []any{}
	}
	enc := json.NewEncoder(ios.Out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}
