#!/usr/bin/env bash
# Runs the NuGet benchmark (drok vs nginx serving the same bytes) from the
# repository root. Needs nginx (Debian: nginx-light). Extra arguments go to
# the Go program (see `go run ./bench/nuget -h`).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# Benchmarks measure speed, not plans: drok's orgs get the enterprise plan,
# which without custom limits has none (the free plan's 5 GB of monthly
# bandwidth would refuse a 256 MiB download loop within seconds).
export DROK_DEFAULT_PLAN="${DROK_DEFAULT_PLAN:-enterprise}"
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
	echo "bench/nuget: nginx is needed (apt-get install nginx-light)" >&2
	exit 1
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
exec go run ./bench/nuget -nginx "$nginx_bin" "$@"
