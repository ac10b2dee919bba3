#!/usr/bin/env bash
# Tests of the client packages against a real server (cli/target/switchboard.jar):
#   clients/run-tests.sh js       the npm package: npm pack, install into a scratch project, tsc, use from Node.js
# The clients Maven module runs each in the integration-test phase of ./mvnw verify.
#
# When a tool or the jar is missing: with CI set, fail saying what to install; otherwise skip with that
# message and succeed.
set -euo pipefail
cd "$(dirname "$0")"
REPO="$(cd .. && pwd)"
export E2E_SERVER_JAR="${E2E_SERVER_JAR:-$REPO/cli/target/switchboard.jar}"

which_client="${1:-}"
missing=()
case "$which_client" in
  js)
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
      missing+=("Node.js 20+ with npm (Debian: apt-get install -y nodejs npm)")
    elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
      missing+=("Node.js 20+ (found $(node --version))")
    fi
    ;;
  *)
    echo "usage: clients/run-tests.sh js" >&2
    exit 2
    ;;
esac
if [ ! -f "$E2E_SERVER_JAR" ]; then
  missing+=("the server jar $E2E_SERVER_JAR (./mvnw -q -pl cli -am package -DskipTests)")
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ -n "${CI:-}" ]; then
    echo "clients/$which_client: FAILED: CI is set and these are missing:" >&2
    printf '  - install %s\n' "${missing[@]}" >&2
    exit 1
  fi
  echo "clients/$which_client: SKIPPED: the client tests need:"
  printf '  - %s\n' "${missing[@]}"
  echo "clients/$which_client: install them (set CI=1 to make this a failure)."
  exit 0
fi

case "$which_client" in
  js)
    cd js
    npm ci --no-audit --no-fund --loglevel=error
    exec node --test --test-concurrency=1 --test-reporter=spec test/*.test.mjs
    ;;
esac
