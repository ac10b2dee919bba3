#!/usr/bin/env bash
# Installs what the browser tests need and the machine may lack: Debian's chromium (never a
# downloaded browser). Idempotent: does nothing when /usr/bin/chromium exists. Needs root.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "install-deps: /usr/bin/chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium
/usr/bin/chromium --version
