#!/usr/bin/env bash
# Runs the OCI benchmark (drok vs distribution/distribution v3.1.2,
# filesystem storage, loopback) from the repository root: installs the
# pinned registry and crane when missing, then `go run ./bench/oci`.
# Extra arguments are passed to the Go program (see `go run ./bench/oci -h`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# Benchmarks measure speed, not plans: drok's orgs get the enterprise plan,
# which without custom limits has none (the free plan's 5 GB of monthly
# bandwidth would refuse a 256 MiB download loop within seconds).
export DROK_DEFAULT_PLAN="${DROK_DEFAULT_PLAN:-enterprise}"
gobin="$(go env GOPATH)/bin"
export PATH="$gobin:$PATH"
if ! command -v registry >/dev/null 2>&1; then
	echo "installing the distribution registry v3.1.2"
	go install github.com/distribution/distribution/v3/cmd/registry@v3.1.2
fi
if ! command -v crane >/dev/null 2>&1; then
	go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
fi
exec go run ./bench/oci "$@"
