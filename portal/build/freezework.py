"""Frozen-Flask over a list of URLs: in this process, or split across forked worker processes.

Each worker runs its own Freezer over its share of the URLs (the app and the loaded corpus are
inherited through ``fork``, never pickled) and writes into the same folder; no two shares hold the
same URL. While writing, every page's local links are collected for the broken-link check. The
freeze is as strict in parallel as alone: an answer other than 200, a Frozen-Flask warning, an
exception or a worker that dies fails the whole freeze.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any
from unicodedata import normalize

from flask_frozen import Freezer, FrozenFlaskWarning, MissingURLGeneratorWarning

from portal.build.linkcheck import Links
from portal.exceptions import BuildError

Progress = Callable[[int], None]
REPORT_EVERY = 25  # pages between progress messages from a worker
PARALLEL_FROM = 400  # fewer URLs than this freeze in one process (forking costs more than it saves)


@dataclass
class Frozen:
    """What a freeze wrote: every file (relative posix paths), the HTML page count, their local links."""

    written: set[str] = field(default_factory=set)
    html_pages: int = 0
    links: Links = field(default_factory=Links)

    def merge(self, other: Frozen) -> None:
        """Add another worker's result."""
        self.written |= other.written
        self.html_pages += other.html_pages
        self.links.merge(other.links)


def split_urls(urls: list[str], n: int) -> list[list[str]]:
    """*urls* dealt round-robin into *n* shares (neighbouring URLs cost alike, so the shares balance)."""
    return [urls[i::n] for i in range(n)]


def default_workers(n_urls: int) -> int:
    """How many processes to freeze *n_urls* with: one per usable core, one for small sites."""
    if n_urls < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def freeze_share(app: Any, root: Path, urls: list[str], report: Progress | None = None,
                 stop: Callable[[], bool] | None = None) -> Frozen:
    """Freeze *urls* (site paths) of *app* into *root* with Frozen-Flask; raise BuildError on any failure."""
    freezer = Freezer(app, with_static_files=False, with_no_argument_rules=False, log_url_for=False)

    def generate() -> Iterator[str]:
        for url in urls:
            # Frozen-Flask rewrites a file in place; a file here may be a hard link into the
            # previous build (incremental freezing), which must never be written through.
            (root / normalize("NFC", freezer.urlpath_to_filepath(url))).unlink(missing_ok=True)
            yield url

    freezer.register_generator(generate)
    result = Frozen()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FrozenFlaskWarning)
        # Only the public site is frozen; the agent app and the API are never part of it.
        warnings.simplefilter("ignore", MissingURLGeneratorWarning)
        try:
            for n, page in enumerate(freezer.freeze_yield(), 1):
                rel = page.path.as_posix()
                result.written.add(rel)
                if rel.endswith(".html"):
                    result.html_pages += 1
                    result.links.add_page(rel, (root / page.path).read_text("utf-8"))
                if report and n % REPORT_EVERY == 0:
                    report(REPORT_EVERY)
                if stop and stop():
                    raise BuildError("the build was stopped")
        except (ValueError, FrozenFlaskWarning) as exc:
            raise BuildError(f"the public site could not be frozen: {exc}") from exc
    if report:
        report(len(result.written) % REPORT_EVERY)
    return result


def _worker(app: Any, root: Path, urls: list[str], conn: Connection, parent: int) -> None:
    try:
        result = freeze_share(app, root, urls, report=lambda n: conn.send(("progress", n)),
                              stop=lambda: os.getppid() != parent)  # the build was killed: stop too
        conn.send(("done", result))
    except BaseException as exc:  # every failure, even an interrupt, must reach the parent
        detail = str(exc) if isinstance(exc, BuildError) else traceback.format_exc(limit=8)
        conn.send(("error", detail))
    finally:
        conn.close()


def freeze_urls(app: Any, root: Path, urls: list[str], workers: int = 1,
                progress: Progress | None = None) -> Frozen:
    """Freeze *urls* into *root* with *workers* processes; BuildError if any page or worker fails."""
    urls = list(dict.fromkeys(urls))  # a URL in two shares would be written twice at once
    if workers <= 1 or len(urls) < 2:
        return freeze_share(app, root, urls, report=progress)
    ctx = multiprocessing.get_context("fork")
    procs, conns = [], []
    for n, share in enumerate(split_urls(urls, workers), 1):
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_worker, args=(app, root, share, send, os.getpid()),
                           name=f"freeze-worker-{n}", daemon=True)
        proc.start()
        send.close()
        procs.append(proc)
        conns.append(receive)
    result, errors = Frozen(), []
    open_conns = {c: n for n, c in enumerate(conns, 1)}
    try:
        while open_conns:
            for conn in wait(list(open_conns)):
                n = open_conns[conn]  # type: ignore[index]
                try:
                    kind, value = conn.recv()  # type: ignore[union-attr]
                except EOFError:
                    errors.append(f"worker {n} of {workers} stopped without an answer")
                    del open_conns[conn]  # type: ignore[arg-type]
                    continue
                if kind == "progress" and progress:
                    progress(value)
                elif kind == "done":
                    result.merge(value)
                    del open_conns[conn]  # type: ignore[arg-type]
                elif kind == "error":
                    errors.append(f"worker {n} of {workers}: {value}")
                    del open_conns[conn]  # type: ignore[arg-type]
            if errors:
                break  # one failure fails the build: do not wait for the others
    finally:
        for proc in procs:
            if proc.is_alive() and errors:
                proc.terminate()
            proc.join()
        for conn in conns:
            conn.close()
    if errors:
        raise BuildError("; ".join(errors))
    return result
