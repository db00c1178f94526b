package benchkit

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// Main runs run with a context cancelled on SIGINT or SIGTERM. If run
// fails it prints "prefix: error" to stderr and exits with status 1.
func Main(prefix string, run func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, prefix+": "+err.Error())
		os.Exit(1)
	}
}

// ParseSizes parses a comma-separated list of strictly ascending positive
// integers such as "10,10000". It reports false if s is not one.
func ParseSizes(s string) ([]int, bool) {
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || (len(sizes) > 0 && n <= sizes[len(sizes)-1]) {
			return nil, false
		}
		sizes = append(sizes, n)
	}
	return sizes, true
}

// Median returns the median of v (the upper one for an even count); v is
// not modified. It panics on an empty slice.
func Median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// MiB converts a byte count to mebibytes.
func MiB(n int64) float64 { return float64(n) / (1 << 20) }

// MiBPerSecond is the throughput of a load run in response-body MiB per
// second.
func (r LoadResult) MiBPerSecond() float64 {
	return float64(r.Bytes) / (1 << 20) / r.Elapsed.Seconds()
}
