#!/usr/bin/env bash
# Runs the Cargo benchmark (drok's sparse index vs nginx serving the same
# file statically) from the repository root. Needs nginx (Debian package
# nginx-light). Extra arguments go to the Go program (go run ./bench/cargo -h).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# Benchmarks measure speed, not plans: drok's orgs get the enterprise plan,
# which without custom limits has none (the free plan's 5 GB of monthly
# bandwidth would refuse a 256 MiB download loop within seconds).
export DROK_DEFAULT_PLAN="${DROK_DEFAULT_PLAN:-enterprise}"

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
	echo "bench/cargo: nginx is needed (apt-get install nginx-light)" >&2
	exit 1
fi

exec go run ./bench/cargo "$@"
