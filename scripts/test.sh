#!/usr/bin/env bash
# Sets up everything the tests need, then runs the linter and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check portal tests bench
# Two workers, a test file each (its module fixtures built once): the suite waits on servers, browsers and builds
# as much as it computes, so a second process keeps both cores busy. PORTAL_TEST_WORKERS=0 runs it in one.
exec .venv/bin/python -m pytest -q -n "${PORTAL_TEST_WORKERS:-2}" --dist loadfile "$@"
