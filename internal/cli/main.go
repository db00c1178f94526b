// Package cli implements the drok command line.
package cli

// Main runs the drok command line and returns the process exit code.
func Main() int { return 0 }
