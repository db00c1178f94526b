//go:build !linux

package main

import (
	"fmt"
	"os"
)

// The benchmark relies on Linux process-group and parent-death handling,
// so it only runs on Linux.
func main() {
	fmt.Fprintln(os.Stderr, "bench/maven runs on Linux only")
	os.Exit(2)
}
