#!/usr/bin/env bash
# Sets up everything the tests need, then runs the linter and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check portal tests bench
exec .venv/bin/python -m pytest -q "$@"
