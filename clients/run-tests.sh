#!/usr/bin/env bash
# Tests of the client packages against a real server (cli/target/switchboard.jar):
#   clients/run-tests.sh js       the npm package: npm pack, install into a scratch project, tsc, use from Node.js
#   clients/run-tests.sh python   the Python client's pytest suite (PYTHON, default /usr/bin/python3)
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
  python)
    # Debian's python3-websockets and python3-pytest install for /usr/bin/python3, which need not be
    # the python3 first on PATH (pyenv, venvs).
    PYTHON="${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3 || echo python3)}"
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
      missing+=("Python 3.10+ (Debian: apt-get install -y python3)")
    elif ! "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10)' 2>/dev/null; then
      missing+=("Python 3.10+ (found $("$PYTHON" --version 2>&1))")
    else
      for module in websockets pytest; do
        if ! "$PYTHON" -c "import $module" 2>/dev/null; then
          missing+=("the $module module for $PYTHON (clients/python/install-deps.sh, i.e. apt-get install -y python3-websockets python3-pytest)")
        fi
      done
    fi
    ;;
  *)
    echo "usage: clients/run-tests.sh js|python" >&2
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
  python)
    cd python
    SWITCHBOARD_JAR="$E2E_SERVER_JAR" PYTHONDONTWRITEBYTECODE=1 exec "$PYTHON" -m pytest -p no:cacheprovider -v tests
    ;;
esac
