"""The editors' pages over a search log of 1,000,000 low-result searches, on SQLite and on PostgreSQL.

Usage::

    python bench/searchlog_bench.py [--searches 1000000] [--queries 50000] [--days 30] [--loads 20]
                                    [--backends sqlite,postgresql] [--json bench/out/searchlog.json]

For each backend: an app over the sample content (``articles/``, its index built first) with an empty data
folder (PostgreSQL: a throw-away server, Debian's, as the tests start it: tests/pgserver.py); then
``--searches`` low-result searches logged in bulk through the store's API (``SearchLog.record_many``, one call
a day): ``--queries`` distinct queries made of the municipal vocabulary of bench/vocab.py, drawn with a Zipf
distribution (the n-th most common query n times rarer than the first), spread over the last ``--days`` days at
random times, 85 % Swedish, 15 % English, two in three with no hit. Then an editor logs in through the Flask
test client and loads each page that reads the log ``--loads`` times after one unmeasured load: the searches
report (its default 30 days; 7 days, 1 day and 90 days), the content report and the feedback figures.
Printed: the time to log, the rows the log holds, the searches counted in the other rows (past a day's cap),
and per page the median and p95 (nearest rank) in milliseconds. Target: ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import vocab  # noqa: E402
from portal.web.searchlog import SearchLog  # noqa: E402

PAGES = {"searches (30 days)": "/agent/reports/searches", "searches (7 days)": "/agent/reports/searches?days=7",
         "searches (1 day)": "/agent/reports/searches?days=1", "searches (90 days)": "/agent/reports/searches?days=90",
         "content report": "/agent/reports/content", "feedback figures": "/agent/reports/feedback"}
TARGET_MS = 100.0
EDITOR = ("erik", "erik-password-1")


def make_queries(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """*n* distinct (query, language) pairs as people type them: errand words, compounds, verbs, places."""
    nouns = sorted({*vocab.COMPOUNDS, *(head + link + tail for head, link in vocab.HEADS for tail in vocab.TAILS)})
    forms = ["{noun}", "{verb} {noun}", "{noun} {place}", "hur {verb} jag {noun}", "{noun} för {who}",
             "{noun} {noun2}", "{noun} vid {event}", "vad kostar {noun}", "{noun} {noun2} {place}"]
    en_forms = ["{noun}", "how to {verb} {noun}", "{noun} fee", "{noun} for {who}", "{noun} {noun2}"]
    en_verbs = ["apply for", "book", "cancel", "pay", "renew", "change", "report"]
    seen: dict[str, str] = {}
    while len(seen) < n:
        lang = "en" if rng.random() < 0.15 else "sv"
        if lang == "sv":
            text = rng.choice(forms).format(noun=rng.choice(nouns), noun2=rng.choice(nouns),
                                            verb=rng.choice(vocab.VERBS_INF), place=rng.choice(vocab.PLACES),
                                            who=rng.choice(vocab.WHO), event=rng.choice(vocab.EVENTS))
        else:
            text = rng.choice(en_forms).format(noun=rng.choice(vocab.EN_NOUNS), noun2=rng.choice(vocab.EN_NOUNS),
                                               verb=rng.choice(en_verbs), who=rng.choice(vocab.EN_WHO))
        seen.setdefault(text, lang)
    return list(seen.items())


def zipf_draws(total: int, n: int, rng: random.Random) -> list[int]:
    """*total* ranks in 0..n-1 drawn with probability proportional to 1/(rank+1)."""
    weights = [1.0 / (r + 1) for r in range(n)]
    return rng.choices(range(n), cum_weights=list(_cumulative(weights)), k=total)


def _cumulative(values: list[float]) -> Iterator[float]:
    acc = 0.0
    for v in values:
        acc += v
        yield acc


def fill(log: SearchLog, args: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    """Log the searches, one bulk call a day; what it took."""
    queries = make_queries(args.queries, rng)
    draws = zipf_draws(args.searches, len(queries), rng)
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    per_day = math.ceil(args.searches / args.days)
    t0 = time.perf_counter()
    for day in range(args.days):
        start = today - dt.timedelta(days=day)
        batch = [(*queries[r], 0 if rng.random() < 2 / 3 else rng.choice((1, 2)),
                  start + dt.timedelta(seconds=rng.randrange(86_400 if day else 3_600)))
                 for r in draws[day * per_day:(day + 1) * per_day]]
        log.record_many(batch)
    seconds = time.perf_counter() - t0
    return {"searches": args.searches, "distinct_queries": len(queries), "days": args.days,
            "log_s": round(seconds, 1), "searches_per_s": round(args.searches / seconds),
            "rows": log.count(), "uncounted": log.uncounted(args.days)}


def time_pages(app: Any, loads: int) -> dict[str, dict[str, float]]:
    """Each page loaded *loads* times by a logged-in editor (after one unmeasured load): median and p95."""
    from tests.test_auth import login

    client = app.test_client()
    assert login(client, *EDITOR).status_code == 302
    out = {}
    for name, url in PAGES.items():
        assert client.get(url).status_code == 200, url
        times = []
        for _ in range(loads):
            t0 = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, url
        times.sort()
        out[name] = {"median_ms": round(statistics.median(times), 1),
                     "p95_ms": round(times[math.ceil(0.95 * len(times)) - 1], 1), "max_ms": round(times[-1], 1)}
    return out


def run_backend(backend: str, args: argparse.Namespace, index_dir: Path) -> dict[str, Any]:
    """Fill a fresh log on *backend* and time the pages."""
    from werkzeug.security import generate_password_hash

    from portal import create_app
    from portal.web import searchlog

    rng = random.Random(args.seed)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = None
        if backend == "postgresql":
            from tests.pgserver import postgres_server

            folder.chmod(0o755)  # the server's own user must reach its folder inside
            url = stack.enter_context(postgres_server(folder / "pg"))
        users = {EDITOR[0]: {"role": "editor", "hash": generate_password_hash(EDITOR[1], method="pbkdf2:sha256:1")}}
        app = create_app({"ARTICLES_DIR": ROOT / "articles", "INDEX_DIR": index_dir, "DATA_DIR": folder / "data",
                          "SECRET_KEY": "bench", "USERS": users, "DATABASE_URL": url})
        with app.app_context():
            log = searchlog.current_log()
            result = {"backend": backend, **fill(log, args, rng)}
        print(f"{backend}: {result['searches']:,} searches logged in {result['log_s']} s "
              f"({result['searches_per_s']:,}/s): {result['rows']:,} rows, {result['uncounted']:,} searches "
              f"in the other rows", flush=True)
        result["pages"] = time_pages(app, args.loads)
        for name, figures in result["pages"].items():
            print(f"  {name:20} median {figures['median_ms']:7.1f} ms   p95 {figures['p95_ms']:7.1f} ms", flush=True)
        return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--searches", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=50_000, help="distinct queries")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--loads", type=int, default=20, help="timed loads of each page")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None, help="write every figure here")
    args = ap.parse_args()
    from portal.build.stages import index_content

    os.environ.setdefault("PORTAL_EMBEDDING_CACHE", str(ROOT / ".portal" / "test-embeddings"))
    results = []
    with tempfile.TemporaryDirectory() as folder:
        index_dir = Path(folder) / "index"
        index_content(ROOT / "articles", index_dir, cache=False)
        for backend in args.backends.split(","):
            results.append(run_backend(backend.strip(), args, index_dir))
    worst = max(f["p95_ms"] for r in results for f in r["pages"].values())
    print(f"worst p95 {worst:.1f} ms: {'within' if worst <= TARGET_MS else 'OVER'} the {TARGET_MS:.0f} ms target")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)}, "results": results},
                                        indent=1, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()
