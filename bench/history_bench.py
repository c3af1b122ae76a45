"""The agents' history pages at 10,000 articles with thousands of commits (issue 29).

Usage::

    .venv/bin/python bench/history_bench.py WORKDIR [--articles 10000] [--commits 3000] [--requests 40] [--reuse]

Generates the content (``bench/generate.py``) into WORKDIR/content, commits it, then adds a history with
``git fast-import``: *--commits* commits over the last 60 days by seven authors, each changing one to three
articles (their Swedish text, sometimes the English one or the internal notes), so the content ends as the last
commit left it. Then it measures:

* reading the history: the one ``git log`` a build or a worker makes for a commit (cold), loading it from the
  cache ``portal index`` keeps (warm), the cache's size, and reading it after one more commit (only that commit is
  read from git, the rest comes from the cache);
* through the app in-process (Flask's test client, logged in as an agent, no index needed): the article view with
  its latest changes, the history page, two versions compared, "Nytt och ändrat" for 7 and 30 days (all answer
  groups, and one), p50/p95 over *--requests* requests each, after one warm-up request;
* the git processes started during those requests (there must be none).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import generate  # noqa: E402

AUTHORS = ("Anna Lind", "Karin Berg", "Johan Ek", "Sara Holm", "Ali Hassan", "Maria Nyberg", "Erik Sund")
SENTENCES = ("Avgiften har ändrats från den 1 januari.", "Nya öppettider gäller i sommar.",
             "E-tjänsten har fått en ny adress.", "Handläggningstiden är nu fyra veckor.",
             "Ring kontaktcenter om du har frågor.")
DAY = 86_400


def git(repo: Path, *args: str, stdin: bytes | None = None, when: int | None = None) -> str:
    """Run git in *repo* (at the time *when*, seconds since 1970, for a commit) and return what it printed."""
    env = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.se", "GIT_COMMITTER_NAME": "Bench",
           "GIT_COMMITTER_EMAIL": "bench@example.se", "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{when} +0100"
    done = subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=True, env=env)
    return done.stdout.decode()


def make_history(content: Path, commits: int, seed: int = 1) -> dict[str, Any]:
    """Commit *content*, then *commits* more over 60 days with git fast-import; return what was made."""
    now = int(time.time())
    git(content, "init", "-q", "-b", "main")
    git(content, "add", "-A")
    git(content, "commit", "-q", "-m", "Innehållet", when=now - 90 * DAY)
    head = git(content, "rev-parse", "HEAD").strip()
    rng = random.Random(seed)
    ids = sorted(p.name for p in content.iterdir() if (p / "sv.md").is_file())
    texts: dict[str, str] = {}
    stream = bytearray()
    for n in range(commits):
        when = now - 60 * DAY + (60 * DAY * n) // commits
        author = AUTHORS[n % len(AUTHORS)]
        email = author.lower().replace(" ", ".") + "@exempelstad.se"
        message = f"{rng.choice(('Uppdatera', 'Rätta', 'Förtydliga'))} {n}".encode()
        stream += (f"commit refs/heads/main\nauthor {author} <{email}> {when} +0100\n"
                   f"committer {author} <{email}> {when} +0100\ndata {len(message)}\n").encode() + message + b"\n"
        if n == 0:
            stream += f"from {head}\n".encode()
        for aid in rng.sample(ids, rng.randint(1, 3)):
            name = rng.choice(("sv.md", "sv.md", "sv.md", "en.md", "internal.md"))
            path = f"{aid}/{name}"
            if path not in texts:
                if not (content / path).is_file():
                    path = f"{aid}/sv.md"
                texts.setdefault(path, (content / path).read_text("utf-8"))
            texts[path] = texts[path].rstrip("\n") + " " + rng.choice(SENTENCES) + "\n"
            data = texts[path].encode()
            stream += f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
    git(content, "fast-import", "--quiet", stdin=bytes(stream))
    for path, text in texts.items():  # the working tree as the last commit left it
        (content / path).write_text(text, "utf-8")
    git(content, "read-tree", "HEAD")  # fast-import moved the branch, not the index
    assert not git(content, "status", "--porcelain"), "the working tree differs from the last commit"
    return {"commits": commits + 1, "files_changed": len(texts)}


def timed(fn: Any, repeat: int = 3) -> float:
    """The median seconds of *repeat* calls of *fn*."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def percentiles(samples: list[float]) -> dict[str, float]:
    """The median, 95th percentile and largest of *samples* (seconds), in milliseconds."""
    ordered = sorted(samples)
    return {"p50_ms": round(1000 * statistics.median(ordered), 2),
            "p95_ms": round(1000 * ordered[max(0, round(0.95 * len(ordered)) - 1)], 2),
            "max_ms": round(1000 * ordered[-1], 2)}


def measure_app(content: Path, work: Path, requests: int, seed: int = 1) -> dict[str, Any]:
    """Requests through the app in-process; the git processes they start."""
    from werkzeug.security import generate_password_hash

    from portal import create_app
    from portal.build.stages import cache_dir_for
    from portal.content.changelog import keep_changelog, read_changelog

    keep_changelog(content, cache_dir_for(work / "index"))  # as `portal index` does
    app = create_app({"TESTING": True, "ARTICLES_DIR": content, "INDEX_DIR": work / "index",
                      "SECRET_KEY": "bench", "DATA_DIR": work / "data"})
    app.config["USERS"] = {"anna": {"role": "agent", "hash": generate_password_hash("pw", "pbkdf2:sha256:1000")}}
    client = app.test_client()
    page = client.get("/agent/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/agent/login", data={"username": "anna", "password": "pw", "csrf_token": token}).status_code \
        == 302
    log = read_changelog(content)
    rng = random.Random(seed)
    changed = [name for name, entries in log.folders.items() if len(entries) > 1]
    pairs = []
    for name in rng.sample(changed, min(requests, len(changed))):
        entries = log.folders[name]
        pairs.append((name, log.commits[entries[1][0]].sha, log.commits[entries[0][0]].sha))
    routes = {
        "article view": lambda i: f"/agent/article/{pairs[i % len(pairs)][0]}",
        "history page": lambda i: f"/agent/article/{pairs[i % len(pairs)][0]}/history",
        "two versions compared": lambda i: "/agent/article/{}/diff?from={}&to={}".format(*pairs[i % len(pairs)]),
        "what's new, 7 days": lambda i: "/agent/changes?days=7",
        "what's new, 30 days": lambda i: "/agent/changes?days=30",
        "what's new, 30 days, one answer group": lambda i: "/agent/changes?days=30&answer_group=bbmt",
    }
    spawned: list[list[str]] = []
    real_popen_init = subprocess.Popen.__init__

    def counting_init(self: Any, args: Any, *a: Any, **kw: Any) -> None:
        spawned.append(list(args) if isinstance(args, list | tuple) else [str(args)])
        real_popen_init(self, args, *a, **kw)

    out: dict[str, Any] = {}
    t = time.perf_counter()
    first = client.get(routes["article view"](0))  # the worker loads the content and the history's cache
    out["first article view_s (content and history loaded)"] = round(time.perf_counter() - t, 2)
    assert first.status_code == 200
    subprocess.Popen.__init__ = counting_init  # type: ignore[method-assign]
    try:
        for name, url in routes.items():
            client.get(url(0)).close()  # warm
            samples = []
            for i in range(requests):
                t = time.perf_counter()
                r = client.get(url(i))
                samples.append(time.perf_counter() - t)
                assert r.status_code == 200, (url(i), r.status_code)
                r.close()
            out[name] = percentiles(samples)
    finally:
        subprocess.Popen.__init__ = real_popen_init  # type: ignore[method-assign]
    out["git processes during the requests"] = sum(1 for args in spawned if args and "git" in Path(args[0]).name)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--commits", type=int, default=3_000)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reuse", action="store_true", help="keep WORKDIR/content (and its history) from a run before")
    args = ap.parse_args(argv)
    from portal.content.changelog import CACHE_FILE, read_changelog

    content, cache = args.workdir / "content", args.workdir / "cache"
    res: dict[str, Any] = {"articles": args.articles}
    if args.reuse and (content / ".git").is_dir():
        res["history"] = {"commits": int(git(content, "rev-list", "--count", "HEAD"))}
    else:
        t = time.perf_counter()
        generate(content, args.articles, args.seed, force=True)
        res["history"] = make_history(content, args.commits, args.seed)
        res["generate_s"] = round(time.perf_counter() - t, 1)
    res["read git log (cold)_s"] = round(timed(lambda: read_changelog(content)), 3)
    (cache / CACHE_FILE).unlink(missing_ok=True)
    read_changelog(content, cache)
    res["load from the cache (warm)_s"] = round(timed(lambda: read_changelog(content, cache)), 3)
    res["cache_MB"] = round((cache / CACHE_FILE).stat().st_size / 1e6, 2)
    path = content / sorted(p.name for p in content.iterdir() if (p / "sv.md").is_file())[0] / "sv.md"
    path.write_text(path.read_text("utf-8") + "\nEn mening till.\n", "utf-8")
    git(content, "commit", "-q", "-am", "En ändring till")
    t = time.perf_counter()
    after = read_changelog(content, cache)
    res["read after one more commit (the new commit only)_s"] = round(time.perf_counter() - t, 3)
    assert len(after.commits) == res["history"]["commits"] + 1
    res["app"] = measure_app(content, args.workdir, args.requests, args.seed)
    print(json.dumps(res, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
