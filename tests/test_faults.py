"""Faults: a process killed halfway leaves the last good index in place (a real SIGKILL)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from portal.build.spare import spare_path
from portal.search.index import IndexHandle, current_generation
from portal.search.searcher import Searcher
from portal.site.freeze import broken_links

SAMPLE = Path(__file__).resolve().parents[1] / "articles"
PORTAL = [sys.executable, "-c", "from portal.cli.main import main; main()"]


def start(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([*PORTAL, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> bool:
    """SIGKILL *proc* as soon as ready() is true; False if it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if ready():
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("the process neither finished nor reached the point to kill it")


def test_killed_indexing_leaves_the_last_good_index(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    shutil.copytree(SAMPLE, root)
    index_dir = tmp_path / "index"
    assert subprocess.run([*PORTAL, "index", "--articles", str(root), "--index", str(index_dir)],
                          capture_output=True, check=False).returncode == 0
    good = current_generation(index_dir)
    killed = 0
    for _ in range(3):
        # --full: with nothing changed, a plain `portal index` has nothing to write (and nothing to kill).
        proc = start("index", "--full", "--articles", str(root), "--index", str(index_dir), cwd=tmp_path)
        killed += kill_when(proc, lambda: any(index_dir.glob("gen-*.tmp/*")))
        assert current_generation(index_dir) == good
        hits = Searcher(IndexHandle(index_dir)).search("bygglov", "sv").hits
        assert hits and hits[0].id == "bygglov"
    assert killed, "no run was killed while writing"
    # The next run succeeds and leaves a complete generation.
    assert subprocess.run([*PORTAL, "index", "--full", "--articles", str(root), "--index", str(index_dir)],
                          capture_output=True, check=False).returncode == 0
    assert current_generation(index_dir) != good


def tree_digest(folder: Path) -> dict[str, int]:
    """Every file below *folder* with its size and a checksum of its bytes."""
    import zlib

    return {str(p.relative_to(folder)): zlib.crc32(p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_killed_build_leaves_the_last_good_site_and_index(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    shutil.copytree(SAMPLE, root)
    site, index_dir = tmp_path / "site", tmp_path / "index"
    work = spare_path(site).parent  # where a build makes its trees
    build = [*PORTAL, "build", "--articles", str(root), "--index", str(index_dir), "--out", str(site)]
    assert subprocess.run(build, capture_output=True, check=False).returncode == 0
    good_site = tree_digest(site)
    assert (site / "sv" / "bygglov" / "index.html").is_file()
    # Change the content, then kill builds at three moments: while indexing, while freezing pages,
    # and while Pagefind indexes the frozen site.
    (root / "bygglov" / "sv.md").write_text(
        (root / "bygglov" / "sv.md").read_text("utf-8").replace("title: Ansöka om bygglov", "title: Bygglov NY"))
    moments = [
        lambda: any(index_dir.glob("gen-*.tmp/*")),
        lambda: any(p.is_dir() and any(p.rglob("*.html")) for p in work.glob("new-*")),
        lambda: any(p.is_dir() and (p / "pagefind").exists() for p in work.glob("new-*")),
    ]
    killed = 0
    for ready in moments:
        proc = start(*build[len(PORTAL):], cwd=tmp_path)
        killed += kill_when(proc, ready, timeout=300)
        assert tree_digest(site) == good_site
        # The index is the last complete one: the old, or the new if indexing had finished.
        assert not current_generation(index_dir).name.endswith(".tmp")
        assert Searcher(IndexHandle(index_dir)).search("bygglov", "sv").hits[0].id == "bygglov"
        assert "Bygglov NY" not in (site / "sv" / "bygglov" / "index.html").read_text("utf-8")
    assert killed >= 2, "the builds finished before they could be killed"
    assert subprocess.run(build, capture_output=True, check=False).returncode == 0
    assert "Bygglov NY" in (site / "sv" / "bygglov" / "index.html").read_text("utf-8")


def test_killed_incremental_builds_leave_a_whole_site_and_the_next_one_is_right(tmp_path: Path) -> None:
    from tests.test_incremental import comparable

    root = tmp_path / "articles"
    shutil.copytree(SAMPLE, root)
    site, index_dir = tmp_path / "site", tmp_path / "index"
    spare = spare_path(site)
    build = [*PORTAL, "build", "--articles", str(root), "--index", str(index_dir), "--out", str(site), "--incremental"]
    page = site / "sv" / "bygglov" / "index.html"
    sv = root / "bygglov" / "sv.md"

    def retitle(new: str) -> None:
        sv.write_text(re.sub(r"^title: .*$", f"title: {new}", sv.read_text("utf-8"), count=1, flags=re.MULTILINE),
                      "utf-8")

    for title in (None, "Bygglov ett"):  # a full build, then an incremental one: now there is a spare
        if title:
            retitle(title)
        assert subprocess.run(build, capture_output=True, check=False).returncode == 0
    assert spare.is_dir()
    moments = [
        # while the spare is being patched or its pages rendered (its build record is gone until the end)
        lambda: spare.is_dir() and not (spare / "_build.json").exists(),
        # while Pagefind writes the new search bundle beside the published site
        lambda: any(spare.parent.glob("search-*/*")),
    ]
    killed = 0
    for n, ready in enumerate(moments):
        bundle = (site / "pagefind" / "pagefind-entry.json").read_bytes()
        retitle(f"Bygglov NY {n}")
        proc = start(*build[len(PORTAL):], cwd=tmp_path)
        killed += kill_when(proc, ready, timeout=300)
        # Whole: the previous pages or the new ones, always with a complete search bundle and no broken link.
        assert broken_links(site) == []
        assert (site / "pagefind" / "pagefind.js").is_file() and (site / "pagefind" / "full" / "pagefind.js").is_file()
        if f"Bygglov NY {n}" not in page.read_text("utf-8"):
            assert (site / "pagefind" / "pagefind-entry.json").read_bytes() == bundle
    assert killed == 2, "the builds finished before they could be killed"
    assert subprocess.run(build, capture_output=True, check=False).returncode == 0
    assert "Bygglov NY 1" in page.read_text("utf-8")
    full = tmp_path / "full"
    assert subprocess.run([*PORTAL, "build", "--articles", str(root), "--index", str(index_dir), "--out", str(full)],
                          capture_output=True, check=False).returncode == 0
    built, expected = comparable(site), comparable(full)
    assert [p for p in expected if built.get(p) != expected[p]] == [] and built.keys() == expected.keys()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == [spare.parent.name]
    assert sorted(p.name for p in spare.parent.iterdir()) == [".gitignore", "spare"]  # no stray trees
