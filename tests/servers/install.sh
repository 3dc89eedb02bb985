#!/usr/bin/env bash
# Installs the real third-party MCP servers the end-to-end tests drive, under .test-servers/.
# Each npm server gets its own folder and each PyPI server its own virtual environment, so their
# dependencies (some pin mcp 1.x) never meet policytui's. Safe to run again: present ones are kept.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="${POLICYTUI_TEST_SERVERS:-$root/.test-servers}"
mkdir -p "$dest"

npm_server() {  # folder, package
  local dir="$dest/$1"
  if [ -x "$dir/node_modules/.bin/$3" ]; then return; fi
  mkdir -p "$dir"
  (cd "$dir" && npm init -y >/dev/null && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error "$2" >/dev/null)
  echo "installed $2"
}

pypi_server() {  # folder, pip arguments...
  local dir="$dest/$1"; shift
  if [ -f "$dir/.installed" ]; then return; fi
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
  touch "$dir/.installed"
  echo "installed $*"
}

pids=()
# Installs run side by side; each one's failure still fails the script (checked below).
npm_server everything @modelcontextprotocol/server-everything mcp-server-everything & pids+=($!)
npm_server filesystem @modelcontextprotocol/server-filesystem mcp-server-filesystem & pids+=($!)
npm_server memory @modelcontextprotocol/server-memory mcp-server-memory & pids+=($!)
# The Kestra server as repackaged on PyPI (an older release, 29 tools; its console script is
# broken, so tests start it with python -c, see tests/servers/README.md).
pypi_server kestra iflow-mcp-mcp-server-python==0.1.2 & pids+=($!)
pypi_server time mcp-server-time & pids+=($!)
# mcp-server-sqlite crashes at start when it meets mcp 2.x: a real "server dies at start" case.
pypi_server sqlite-crash mcp-server-sqlite 'mcp>=2' & pids+=($!)
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
# Each further service the tests need (a system package, a server in its own environment) has
# its own script in install.d/, run in name order with the same destination folder.
for extra in "$(dirname "$0")"/install.d/*.sh; do
  [ -e "$extra" ] || continue
  POLICYTUI_TEST_SERVERS="$dest" bash "$extra" || failed=1
done
if [ "$failed" -ne 0 ]; then echo "installing a test server failed" >&2; exit 1; fi
echo "test servers ready in $dest"
