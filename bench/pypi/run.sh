#!/usr/bin/env bash
# Runs the PyPI benchmark (drok vs pypiserver) from the repository root.
# Needs pypiserver with its paste server and watchdog cache:
#   pip install 'pypiserver>=2' paste watchdog
# Extra arguments are passed to the Go program (see `go run ./bench/pypi -h`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# Benchmarks measure speed, not plans: drok's orgs get the enterprise plan,
# which without custom limits has none (the free plan's 5 GB of monthly
# bandwidth would refuse a 256 MiB download loop within seconds).
export DROK_DEFAULT_PLAN="${DROK_DEFAULT_PLAN:-enterprise}"

if ! command -v pypi-server >/dev/null 2>&1; then
	echo "bench/pypi: pypi-server not found: pip install 'pypiserver>=2' paste watchdog" >&2
	exit 1
fi
if ! python3 -c 'import paste, watchdog' >/dev/null 2>&1; then
	echo "bench/pypi: pypiserver's paste server and watchdog cache are needed: pip install paste watchdog" >&2
	exit 1
fi

exec go run ./bench/pypi "$@"
