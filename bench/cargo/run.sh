#!/usr/bin/env bash
# Runs the Cargo benchmark (drok's sparse index vs nginx serving the same
# file statically) from the repository root. Needs nginx (Debian package
# nginx-light). Extra arguments go to the Go program (go run ./bench/cargo -h).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
	echo "bench/cargo: nginx is needed (apt-get install nginx-light)" >&2
	exit 1
fi

exec go run ./bench/cargo "$@"
