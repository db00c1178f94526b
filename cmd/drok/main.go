// Command drok is a self-hostable package registry and its CLI.
package main

import (
	"os"

	"github.com/drok-dev/drok/internal/cli"
)

func main() { os.Exit(cli.Main()) }
