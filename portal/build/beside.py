"""One piece of work run in a forked child process beside the caller's own (the second core's share).

An incremental build after one edit has two independent jobs once the content is loaded: bringing the
search index up to date and re-rendering the pages. One after the other they took 0.5 s + 0.9 s at
10,000 articles; side by side, on a 2-core machine, the longer of the two. The child inherits the loaded
content through ``fork`` (nothing is pickled but its small result) and answers through a pipe; where
there is no ``fork`` the work simply runs first, in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from portal.exceptions import PortalError


class Beside:
    """*work* started in a child process now; :meth:`result` waits for its answer."""

    def __init__(self, work: Callable[[], Any], name: str):
        self.name = name
        self._answer: tuple[str, Any, float] | None = None
        self._proc: Any = None
        self._conn: Connection | None = None
        if "fork" not in multiprocessing.get_all_start_methods():
            self._answer = _run(work)
            return
        sys.stdout.flush()
        sys.stderr.flush()  # else what is buffered now would be written twice, once by the child
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, args=(work, send), name=name, daemon=True)
        self._proc.start()
        send.close()
        self._conn = receive

    def done(self) -> bool:
        """Has the work finished (without waiting)?"""
        return self._answer is not None or (self._conn is not None and self._conn.poll())

    def result(self) -> tuple[Any, float]:
        """The work's value and the ``time.perf_counter()`` at which it finished (the clock is the same
        in both processes); PortalError with the child's message when it failed or died."""
        if self._answer is None:
            assert self._conn is not None
            try:
                self._answer = self._conn.recv()
            except EOFError:
                self._answer = ("error", f"the {self.name} process stopped without an answer", time.perf_counter())
            finally:
                self._conn.close()
                self._proc.join()
        kind, value, finished = self._answer
        if kind == "error":
            raise PortalError(value)
        return value, finished


def _run(work: Callable[[], Any]) -> tuple[str, Any, float]:
    try:
        return "done", work(), time.perf_counter()
    except PortalError as exc:
        return "error", str(exc), time.perf_counter()
    except BaseException as exc:  # every failure, even an interrupt, must reach the parent as a message
        # Worded as the command line words an unexpected error (portal.cli.main.main), details on request.
        detail = f"\n{traceback.format_exc(limit=8)}" if os.environ.get("PORTAL_DEBUG") else ""
        return "error", f"unexpected {type(exc).__name__}: {exc}{detail}", time.perf_counter()


def _child(work: Callable[[], Any], conn: Connection) -> None:
    try:
        conn.send(_run(work))
    finally:
        conn.close()
