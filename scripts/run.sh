#!/usr/bin/env bash
# Sets up, checks and indexes the sample content, builds the static site, then serves the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/portal check
.venv/bin/portal build
exec .venv/bin/portal serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
