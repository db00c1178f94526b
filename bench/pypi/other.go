//go:build !linux

package main

import (
	"fmt"
	"os"
)

// The benchmark reads memory figures from /proc and relies on Linux
// process-group and parent-death handling, so it only runs on Linux.
func main() {
	fmt.Fprintln(os.Stderr, "bench/pypi runs on Linux only")
	os.Exit(2)
}
