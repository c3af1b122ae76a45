"""The static build as a web server running as another user can serve it, and a checkout left clean.

Every folder of the built site is created as the umask says (0755 and files 0644 under umask 022, 0750 and
0640 under 027): after `portal build`, `portal build --incremental` (whose search bundle is rebuilt beside the
site and exchanged in) and with `--out DIR` whose folder does not exist yet. The previous site an incremental
build keeps for the next one, its marks and its temporary trees stay out of `git status` in a checkout.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from portal.build import spare as spare_mod
from tests.conftest import CORPUS, git_init

SAMPLE = Path(__file__).resolve().parents[1] / "articles"
PORTAL = [sys.executable, "-c", "from portal.cli.main import main; main()"]
# What a content repository's .gitignore lists (docs/editors.md): the build output and the portal's own folder.
CONTENT_GITIGNORE = "/build/\n.portal/\n"
GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.se", "GIT_COMMITTER_NAME": "Test",
           "GIT_COMMITTER_EMAIL": "t@example.se", "PATH": "/usr/bin:/bin"}


def portal(*args: str, cwd: Path, umask: int = 0o022) -> None:
    """Run the `portal` command in *cwd* under *umask*; fail the test with its output when it fails."""
    done = subprocess.run([*PORTAL, *args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False,
                          preexec_fn=lambda: os.umask(umask))
    assert done.returncode == 0, done.stderr


def git(folder: Path, *args: str) -> str:
    """A git command in *folder*; its output."""
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True,
                          env={**GIT_ENV, "HOME": str(folder)}).stdout


def modes(root: Path) -> dict[str, set[str]]:
    """The permission bits found under *root* (itself included), and where: {"dir 0755": {paths}, …}."""
    found: dict[str, set[str]] = {}
    for path in [root, *root.rglob("*")]:
        st = path.lstat()
        kind = "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"
        found.setdefault(f"{kind} {stat.S_IMODE(st.st_mode):04o}", set()).add(str(path.relative_to(root.parent)))
    return found


def assert_modes(root: Path, umask: int) -> None:
    """Every folder under *root* is 0777 and every file 0666 less the *umask*, nothing else."""
    found = modes(root)
    wanted = {f"dir {0o777 & ~umask:04o}", f"file {0o666 & ~umask:04o}"}
    odd = {mode: sorted(paths)[:5] for mode, paths in found.items() if mode not in wanted}
    assert not odd, f"under umask {umask:03o}: {odd}"
    assert wanted <= set(found)


def retitle(sv: Path, title: str) -> None:
    """Give the article *sv* another title."""
    sv.write_text(re.sub(r"^title: .*$", f"title: {title}", sv.read_text("utf-8"), count=1, flags=re.MULTILINE),
                  "utf-8")


@pytest.mark.parametrize("umask", [0o022, 0o027], ids=["umask022", "umask027"])
def test_built_sites_follow_the_umask(tmp_path: Path, umask: int) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(CORPUS, articles)
    git_init(articles)
    portal("build", "--articles", "articles", cwd=tmp_path, umask=umask)
    assert_modes(tmp_path / "build", umask)
    # An incremental build: the changed pages in a tree exchanged with the site, then a new search bundle.
    retitle(articles / "bygglov" / "sv.md", "Bygglov, nu ändrat")
    git(articles, "commit", "-qam", "edit")
    portal("build", "--articles", "articles", "--incremental", cwd=tmp_path, umask=umask)
    assert "nu ändrat" in (tmp_path / "build" / "sv" / "bygglov" / "index.html").read_text("utf-8")
    assert_modes(tmp_path / "build", umask)
    retitle(articles / "bygglov" / "sv.md", "Bygglov, ändrat igen")
    git(articles, "commit", "-qam", "edit again")
    portal("build", "--articles", "articles", "--incremental", cwd=tmp_path, umask=umask)  # the spare patched
    assert_modes(tmp_path / "build", umask)
    # --out DIR whose folder (and the folder above it) do not exist yet.
    portal("build", "--articles", "articles", "--out", "www/site", cwd=tmp_path, umask=umask)
    assert_modes(tmp_path / "www", umask)


def test_a_checkout_stays_clean_after_builds(tmp_path: Path) -> None:
    """The sample content in a repository of its own (as a municipality keeps it), cloned fresh, built in full
    and incrementally, also into --out DIR inside the checkout: git sees nothing new."""
    origin = tmp_path / "origin"
    shutil.copytree(SAMPLE, origin / "articles")
    (origin / ".gitignore").write_text(CONTENT_GITIGNORE, "utf-8")
    git_init(origin)
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(origin), str(checkout)], check=True, capture_output=True)
    portal("build", "--articles", "articles", cwd=checkout)
    assert git(checkout, "status", "--porcelain", "--ignored=no") == ""
    retitle(checkout / "articles" / "bygglov" / "sv.md", "Bygglov, nu ändrat")
    git(checkout, "commit", "-qam", "edit")
    portal("build", "--articles", "articles", "--incremental", cwd=checkout)
    assert "nu ändrat" in (checkout / "build" / "sv" / "bygglov" / "index.html").read_text("utf-8")
    spare = spare_mod.spare_path(checkout / "build")
    assert spare.is_dir(), "the previous site is kept for the next incremental build"
    assert git(checkout, "status", "--porcelain", "--ignored=no") == ""
    assert not (checkout / ".build.spare").exists()
    # The previous site, never part of the published one.
    assert not spare.resolve().is_relative_to((checkout / "build").resolve())


def test_an_old_spare_beside_the_site_is_moved_out_of_the_checkout(tmp_path: Path, corpus_dir: Path) -> None:
    """A site built by an older version left ``.build.spare`` and ``.build.pending-search`` beside it: the next
    build takes them into the new place (the spare still saves the next incremental build its work)."""
    out = tmp_path / "build"
    portal("build", "--articles", str(corpus_dir), "--index", str(tmp_path / "index"), "--out", str(out),
           cwd=tmp_path)
    old_spare, old_mark = tmp_path / ".build.spare", tmp_path / ".build.pending-search"
    shutil.copytree(out, old_spare, copy_function=os.link)
    old_mark.touch()
    (tmp_path / ".build.new-abc123").mkdir()  # a stray of a killed build
    portal("build", "--articles", str(corpus_dir), "--index", str(tmp_path / "index"), "--out", str(out),
           "--incremental", cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".build")) == \
        [spare_mod.work_dir(out).name]
    assert not spare_mod.search_pending(out).exists()  # the pending search bundle was rebuilt
