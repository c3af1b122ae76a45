"""The documented translation workflow loses no UI string: a fresh extraction equals the committed template,
and every catalogue translates every message in it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"


def _documented_extract_command() -> list[str]:
    """The ``pybabel extract`` command exactly as docs/translations.md tells a translator to run it."""
    text = (ROOT / "docs" / "translations.md").read_text(encoding="utf-8")
    match = re.search(r"^\s*(pybabel extract .*?)\n\s*```", text, re.S | re.M)
    assert match, "docs/translations.md no longer shows the pybabel extract command"
    return shlex.split(match.group(1).replace("\\\n", " "))


def _ids(path: Path) -> set[object]:
    with path.open("rb") as fh:
        catalog = read_po(fh)
    return {(message.id, message.context) for message in catalog if message.id}


def test_fresh_extraction_equals_committed_template(tmp_path, monkeypatch):
    argv = _documented_extract_command()
    out = argv.index("-o")
    assert argv[out + 1] == "translations/messages.pot"
    argv[out + 1] = str(tmp_path / "fresh.pot")
    monkeypatch.chdir(ROOT)
    CommandLineInterface().run([argv[0], "--quiet", *argv[1:]])
    fresh, committed = _ids(tmp_path / "fresh.pot"), _ids(TRANSLATIONS / "messages.pot")
    assert fresh - committed == set(), "strings in the code that messages.pot lacks: re-extract"
    assert committed - fresh == set(), "messages.pot holds strings a fresh extraction drops (lost in the workflow)"


# The agent app and its content report are in Swedish: their messages need sv (and en, the ids); every other
# language needs what the public site shows, extracted from these sources.
PUBLIC_SOURCES = "[python: portal/web/public.py]\n[python: portal/web/pages.py]\n" \
                 "[python: portal/web/publiclists.py]\n[python: portal/site/freeze.py]\n" \
                 "[python: portal/render/localize.py]\n[jinja2: templates/public/**.html]\n"


@pytest.fixture(scope="module")
def public_ids(tmp_path_factory) -> set[object]:
    tmp = tmp_path_factory.mktemp("public-pot")
    (tmp / "public.cfg").write_text(PUBLIC_SOURCES, encoding="utf-8")
    argv = _documented_extract_command()
    argv[argv.index("-F") + 1] = str(tmp / "public.cfg")
    argv[argv.index("-o") + 1] = str(tmp / "public.pot")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        CommandLineInterface().run([argv[0], "--quiet", *argv[1:]])
    ids = _ids(tmp / "public.pot")
    assert len(ids) > 50
    return ids


@pytest.mark.parametrize("lang", sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES").is_dir()))
def test_every_catalogue_translates_every_message_its_readers_see(lang, public_ids):
    with (TRANSLATIONS / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    missing = []
    for message in template:
        if not message.id or (lang not in ("sv", "en") and (message.id, message.context) not in public_ids):
            continue
        found = catalog.get(message.id, message.context)
        strings = found.string if found and isinstance(found.string, tuple) else [found and found.string]
        if not found or found.fuzzy or not all(strings):
            missing.append(message.id)
    assert missing == [], f"{lang}: untranslated messages"


@pytest.mark.parametrize("marked", ["Closed", "not translated", "translation may be out of date"])
def test_strings_translated_through_a_variable_are_extracted(marked):
    assert any(message_id == marked for message_id, _ in _ids(TRANSLATIONS / "messages.pot"))
