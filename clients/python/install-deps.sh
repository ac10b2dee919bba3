#!/usr/bin/env bash
# Installs what the Python client's tests need: Debian's python3-websockets and python3-pytest (for
# /usr/bin/python3). Idempotent: does nothing when both modules import already. Needs root.
set -euo pipefail
if /usr/bin/python3 -c 'import websockets, pytest' 2>/dev/null; then
  echo "install-deps: websockets and pytest present for /usr/bin/python3"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends python3-websockets python3-pytest
