#!/usr/bin/env bash
# Installs what the NATS tests need and the machine may lack: Debian's nats-server (the tests start their
# own servers on free loopback ports). Idempotent: does nothing when nats-server is on the PATH. Needs root.
# With CI set, the NATS tests fail instead of skipping when nats-server is missing, so CI must run this.
set -euo pipefail
if command -v nats-server >/dev/null 2>&1; then
  echo "install-deps: nats-server present ($(nats-server --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends nats-server
nats-server --version
