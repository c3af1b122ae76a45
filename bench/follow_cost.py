"""What the first request after `portal index` costs a running worker (issue 27, finding 4).

Usage::

    python bench/follow_cost.py CONTENT INDEX [--rounds 5] [--json OUT]

The app runs in this process in production mode (``create_app`` over CONTENT and INDEX, which must be a
throw-away copy: an article in it is edited). Each round appends a new word to one article, runs ``portal index``
in a child process (timed), then times the first request (an API search for the new word: the worker opens the
new generation and brings its content to it), checks that the hit and the article's API page both have the
word, times the next request, and counts the index generations still alive in the worker (one is right: the
previous ones must be freed).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path


def rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("content", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from portal import create_app

    t0 = time.perf_counter()
    app = create_app({"ARTICLES_DIR": args.content, "INDEX_DIR": args.index, "SECRET_KEY": "bench",
                      "DATA_DIR": Path(tempfile.mkdtemp(prefix="follow-data-"))})
    client = app.test_client()
    out: dict = {"create_app_s": round(time.perf_counter() - t0, 2)}
    t0 = time.perf_counter()
    assert client.get("/api/v1/search?q=bygglov&mode=lexical").status_code == 200
    out["first_request_s"], out["rss_mb"], out["rounds"] = round(time.perf_counter() - t0, 2), rss_mb(), []
    names = sorted(p.name for p in args.content.iterdir() if p.is_dir() and not p.name.startswith("."))
    victim = names[len(names) // 2]
    alive: list[weakref.ref] = []
    for n in range(args.rounds):
        word = f"kvastolinx{n}x{int(time.time())}"
        source = args.content / victim / "sv.md"
        source.write_text(source.read_text("utf-8") + f"\nOrdet {word} finns här.\n", "utf-8")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from portal.cli.main import main; main()", "index", "--articles",
                        str(args.content), "--index", str(args.index)], check=True, capture_output=True)
        indexed = time.perf_counter() - t0
        t0 = time.perf_counter()
        hits = [h["id"] for h in client.get(f"/api/v1/search?q={word}&mode=lexical").get_json()["hits"]]
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        page = client.get(f"/api/v1/articles/{victim}").get_json()["html"]
        after = time.perf_counter() - t0
        alive.append(weakref.ref(app.extensions["portal"].view().generation))
        gc.collect()
        row = {"portal_index_s": round(indexed, 2), "first_request_s": round(first, 2),
               "next_request_ms": round(after * 1000, 1), "found": hits[:1] == [victim], "page_has_it": word in page,
               "generations_alive": sum(r() is not None for r in alive), "rss_mb": rss_mb()}
        out["rounds"].append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), "utf-8")
    print(json.dumps({k: v for k, v in out.items() if k != "rounds"}))


if __name__ == "__main__":
    main()
