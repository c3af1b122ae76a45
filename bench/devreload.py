"""One changed article in the running app (``portal serve --dev``): how long until search finds the change.

Usage::

    python bench/devreload.py CONTENT INDEX [--repeat 3]

CONTENT must be a throw-away copy (an article is edited) with a built INDEX. The app is created as
``portal serve --dev`` creates it (content reloading on) and answers one search, so the content and the
index are loaded. Then, *repeat* times: one article's Swedish text gets a new, unique word, and the
seconds are measured from saving the file to the first answer of ``/api/v1/search`` that finds it (that
request notices the change, re-reads and re-renders the article, and updates the index atomically).
A request with nothing changed is timed too: dev mode looks at every folder's files on each request.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("kvastfenomen", "snöflingeavgift", "lyktstolpsregister", "tallkottsbidrag", "igelkottstaxa")


def edit(content: Path, article_id: str, word: str) -> None:
    """Append a sentence with *word* to the article's Swedish text."""
    path = content / article_id / "sv.md"
    path.write_text(path.read_text("utf-8").rstrip("\n") + f" Läs om {word} här.\n", "utf-8")


def measure(content: Path, index: Path, repeat: int) -> dict[str, object]:
    """Seconds from saving one changed article to a search that finds it, per run; an idle request."""
    from portal import create_app

    data = Path(tempfile.mkdtemp(prefix="devreload-"))
    app = create_app({"ARTICLES_DIR": content, "INDEX_DIR": index, "DATA_DIR": data, "SECRET_KEY": "bench",
                      "RELOAD_CONTENT": True})
    client = app.test_client()
    t0 = time.perf_counter()
    assert client.get("/api/v1/search?q=avgift").status_code == 200
    startup = time.perf_counter() - t0
    idle = []
    for _ in range(5):
        t0 = time.perf_counter()
        client.get("/api/v1/search?q=avgift")
        idle.append(time.perf_counter() - t0)
    article_id = min(p.name for p in content.iterdir() if (p / "sv.md").is_file())
    runs = []
    for word in WORDS[:repeat]:
        edit(content, article_id, word)
        t0 = time.perf_counter()
        hits = client.get(f"/api/v1/search?q={word}").get_json()["hits"]
        runs.append(time.perf_counter() - t0)
        if not hits or hits[0]["id"] != article_id:
            raise RuntimeError(f"the changed article {article_id} was not found by its new word {word!r}")
    return {"article": article_id, "startup_s": round(startup, 2), "idle_request_s": round(statistics.median(idle), 3),
            "change_visible_s": [round(r, 2) for r in runs], "median_s": round(statistics.median(runs), 2)}


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("content", type=Path)
    ap.add_argument("index", type=Path)
    ap.add_argument("--repeat", type=int, default=3, choices=range(1, len(WORDS) + 1))
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.content, args.index, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
