#!/usr/bin/env bash
# Debian's Chromium for the browser tests of `policytui serve` (tests/test_serve_browser.py).
# Playwright for Python (the `test` extra) drives it as /usr/bin/chromium; no browser is downloaded.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
echo "installed chromium"
