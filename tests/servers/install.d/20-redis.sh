#!/usr/bin/env bash
# redis-server from the system's package manager, for the tests of a gateway state store shared
# by several gateway processes. The tests start their own server on a free loopback port.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing and there is no apt-get to install it" >&2
  exit 1
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo -n); fi
# Package lists may be missing or old on a fresh machine: refresh them once, before installing.
"${as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -o DPkg::Lock::Timeout=300 -y -qq --no-install-recommends redis-server >/dev/null
# The package starts a system-wide server on port 6379 where an init system runs; the tests
# never use it and start their own.
command -v redis-server >/dev/null
echo "installed redis-server"
