//go:build !linux

// Command nuget benchmarks drok's NuGet feed against nginx; it runs on
// Linux only.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bench/nuget runs on Linux only")
	os.Exit(1)
}
