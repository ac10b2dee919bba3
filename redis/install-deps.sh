#!/usr/bin/env bash
# Installs what the Redis tests need and the machine may lack: Debian's redis-server (the tests start their
# own servers on free loopback ports). Idempotent: does nothing when redis-server is on the PATH. Needs root.
# With CI set, the Redis tests fail instead of skipping when redis-server is missing, so CI must run this.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  echo "install-deps: redis-server present ($(redis-server --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends redis-server
# Debian starts a service on 6379 when it can; the tests never use it, they start their own on free ports.
redis-server --version
