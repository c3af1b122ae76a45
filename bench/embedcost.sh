#!/usr/bin/env bash
# What embedding costs `portal index` (bench/RESULTS.md, command 13): N generated articles from nothing, again
# with nothing changed (--full), and after one edited and committed title. Usage: bash bench/embedcost.sh N [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:?number of articles}; W=${2:-/tmp/embedcost-$N}
rm -rf "$W"; mkdir -p "$W"
.venv/bin/python bench/generate.py "$W/content" --articles "$N" --seed 1 > /dev/null
git -C "$W/content" init -q -b main && git -C "$W/content" add -A
git -C "$W/content" -c user.name=Bench -c user.email=bench@example.se commit -q -m content
unset PORTAL_EMBEDDING_CACHE  # only the previous generation may spare work
echo "== from nothing, $N articles"
/usr/bin/time -f "wall %e s, peak %M KB" .venv/bin/portal index --articles "$W/content" --index "$W/index" 2>&1 | grep -v "^  [0-9]"
echo "== nothing changed (--full)"
/usr/bin/time -f "wall %e s" .venv/bin/portal index --full --articles "$W/content" --index "$W/index" 2>&1 | grep -v "^  [0-9]"
first=$(find "$W/content" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | sort | head -1)
sed -i "0,/^title: /s//title: Ändrad /" "$first/sv.md"
git -C "$W/content" -c user.name=Bench -c user.email=bench@example.se commit -qam edit
echo "== one changed article ($(basename "$first"))"
/usr/bin/time -f "wall %e s" .venv/bin/portal index --articles "$W/content" --index "$W/index" 2>&1 | grep -v "^  [0-9]"
