"""The preview's search (`portal serve --dev`): the published site's own search over the content as it is now.

The search page of the preview runs the static site's search script (portal/static/public/search.js) over a
Pagefind bundle built the way `portal build` builds it: the public site of the current content frozen into a
folder of its own (``.portal/preview/site`` beside the index) and indexed by Pagefind, so an editor finds what
citizens will find, with the same ranking and the same "Menade du". The first bundle is built when the server
starts; after a file is saved the bundle is brought up to date in the background (an incremental build: only
the pages the changed articles can show), and the previous one answers meanwhile.

Content with errors is built as far as it can be (the articles that can be used), as the preview shows it.
The app asks for the bundle through the ``PREVIEW_SEARCH`` setting (portal.web.preview), which `portal serve
--dev` sets to a :class:`PreviewSearch`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path

from portal.build.stages import load
from portal.exceptions import PortalError
from portal.site.freeze import freeze_site

log = logging.getLogger("portal")


class PreviewSearch:
    """The preview's Pagefind bundle of the content folder *root*, built below *folder*."""

    def __init__(self, root: Path, folder: Path, index_dir: Path, today: dt.date | None = None):
        self.root, self.folder, self.index_dir, self.today = root, folder, index_dir, today
        self.site = folder / "site"
        self._lock = threading.Lock()
        self._built = threading.Event()  # set once the first build is over (well or not)
        self._wanted = 0  # the content generation last asked for
        self._done = -1  # the generation the bundle shows
        self._thread: threading.Thread | None = None
        self.error: str | None = None  # why the last build failed, for the log and the tests

    def bundle(self, wait: float = 0.0) -> Path | None:
        """The bundle's folder (``site/pagefind``) once one is built, waiting up to *wait* seconds for the first."""
        if wait:
            self._built.wait(wait)
        folder = self.site / "pagefind"
        return folder if (folder / "pagefind.js").is_file() else None

    def refresh(self, generation: int) -> None:
        """Bring the bundle to content *generation* (the app's count of content changes) in the background."""
        with self._lock:
            self._wanted = max(self._wanted, generation)
            if self._done >= self._wanted or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._run, name="preview-search", daemon=True)
            self._thread.start()

    def wait(self, timeout: float) -> bool:
        """Wait until no build is running and the bundle shows the generation asked for (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            thread = self._thread
            if thread is not None:
                thread.join(0.05)
            with self._lock:
                if self._done >= self._wanted and self._thread is None:
                    return True
            if thread is None:
                time.sleep(0.05)
        return False

    def _run(self) -> None:
        while True:
            with self._lock:
                target = self._wanted
            try:
                self._build()
                self.error = None
            except Exception as exc:  # a background thread: whatever failed is logged, the last bundle stays
                self.error = str(exc) if isinstance(exc, PortalError | OSError) else f"{type(exc).__name__}: {exc}"
                log.warning("the preview's search index could not be built: %s", self.error)
            finally:
                self._built.set()
            with self._lock:
                self._done = target
                if self._done >= self._wanted:
                    self._thread = None
                    return

    def _build(self) -> None:
        today = self.today or dt.date.today()
        corpus, _problems = load(self.root, today, cache_dir=self.folder / "cache")
        if corpus is None:  # site.yml cannot be read: nothing to build; the preview shows the problem
            return
        freeze_site(corpus, self.site, self.index_dir, today=today, incremental=True)
