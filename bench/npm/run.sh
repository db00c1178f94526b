#!/usr/bin/env bash
# Runs the npm benchmark (drok vs Verdaccio 6.8.0) from the repository
# root: installs the pinned Verdaccio if needed, then `go run ./bench/npm`.
# Extra arguments are passed to the Go program (see `go run ./bench/npm -h`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# Benchmarks measure speed, not plans: drok's orgs get the enterprise plan,
# which without custom limits has none (the free plan's 5 GB of monthly
# bandwidth would refuse a 256 MiB download loop within seconds).
export DROK_DEFAULT_PLAN="${DROK_DEFAULT_PLAN:-enterprise}"

vdir=bench/npm/verdaccio
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "bench/npm: node and npm are needed to run Verdaccio" >&2
	exit 1
fi
if [ ! -x "$vdir/node_modules/verdaccio/bin/verdaccio" ] && [ ! -f "$vdir/node_modules/verdaccio/bin/verdaccio" ]; then
	echo "installing Verdaccio into $vdir/node_modules (npm ci)"
	(cd "$vdir" && npm ci --no-audit --no-fund)
fi

exec go run ./bench/npm "$@"
