package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra/doc"

	"github.com/drok-dev/drok/internal/cli/cmdutil"
	"github.com/drok-dev/drok/internal/cli/completion"
	"github.com/drok-dev/drok/internal/cli/iostreams"
)

// completionFiles maps each shell to the file name of its script in
// completions/.
var completionFiles = map[string]string{
	"bash":       "drok.bash",
	"zsh":        "drok.zsh",
	"fish":       "drok.fish",
	"powershell": "drok.ps1",
}

func docRoot() *cmdutil.Factory {
	ios, _, _, _ := iostreams.Test()
	return cmdutil.NewFactory(ios)
}

// GenerateDocs writes the CLI reference, one markdown file per command,
// into dir, replacing the generated files already there (README.md and
// other hand-written files are kept).
func GenerateDocs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("generate docs: %w", err)
	}
	old, err := filepath.Glob(filepath.Join(dir, "drok*.md"))
	if err != nil {
		return fmt.Errorf("generate docs: %w", err)
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("generate docs: %w", err)
		}
	}
	root := NewCmdRoot(docRoot())
	root.DisableAutoGenTag = true
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		return fmt.Errorf("generate docs: %w", err)
	}
	return nil
}

// GenerateCompletions writes the shell completion scripts into dir.
func GenerateCompletions(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("generate completions: %w", err)
	}
	root := NewCmdRoot(docRoot())
	for shell, name := range completionFiles {
		var buf bytes.Buffer
		if err := completion.Generate(root, shell, &buf); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("generate completions: %w", err)
		}
	}
	return nil
}
