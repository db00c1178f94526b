#!/usr/bin/env bash
# Runs the Maven benchmark (drok vs nginx serving the same files) from the
# repository root. Extra arguments go to the Go program (go run ./bench/maven -h).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# Benchmarks measure speed, not plans: drok's orgs get the enterprise plan,
# which without custom limits has none (the free plan's 5 GB of monthly
# bandwidth would refuse a 256 MiB download loop within seconds).
export DROK_DEFAULT_PLAN="${DROK_DEFAULT_PLAN:-enterprise}"
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
	echo "bench/maven: nginx is needed (apt-get install nginx-light)" >&2
	exit 1
fi
export PATH="$PATH:/usr/sbin"
exec go run ./bench/maven "$@"
