// Command gendocs writes drok's CLI reference (docs/cli) and shell
// completion scripts (completions/) from the cobra command tree. Run it
// with `go generate ./internal/cli`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/drok-dev/drok/internal/cli"
)

func main() {
	docs := flag.String("docs", "docs/cli", "directory of the markdown reference")
	completions := flag.String("completions", "completions", "directory of the completion scripts")
	flag.Parse()
	if err := cli.GenerateDocs(*docs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := cli.GenerateCompletions(*completions); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
