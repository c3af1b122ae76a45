#!/usr/bin/env bash
# Sets up everything the product needs in .venv (idempotent). With --test, also what the tests need:
# Debian's Chromium, linkchecker and PostgreSQL (the feedback store runs its tests on it), and the npm test tools (axe-core, the Nu HTML checker, Lighthouse).
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 or newer is needed (found: $("$python" --version 2>&1))." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
extras=serve
[ "$want_test" = 1 ] && extras="serve,test"
.venv/bin/python -m pip install --quiet --upgrade pip
# setuptools announces, on every editable install of a package whose folders are mapped (templates/ and
# translations/ ship inside portal), that it used an import hook: information, not a problem, so hidden.
PYTHONWARNINGS="ignore:Editable installation" .venv/bin/python -m pip install --quiet -e ".[${extras}]"

if [ "$want_test" = 1 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v linkchecker >/dev/null || missing+=(linkchecker)
  command -v java >/dev/null || missing+=(default-jre-headless)
  command -v npm >/dev/null || missing+=(npm)
  command -v git >/dev/null || missing+=(git)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)  # the feedback store's tests
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx-light)  # the two-machine topology test
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing Debian packages: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # Lighthouse (the accessibility score beside axe's, tests/browser/test_lighthouse_browser.py) is pinned to 12.2.3:
  # 13 needs Node 22, Debian's is 20.
  if [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -f node_modules/vnu-jar/build/dist/vnu.jar ] \
     || [ ! -f node_modules/lighthouse/package.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
