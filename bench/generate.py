"""Generate a realistic synthetic content folder in the SPEC format, for benchmarks.

Usage::

    python bench/generate.py OUT --articles 1000 --seed 1 [--en-share 0.3] [--internal-share 0.2] [--force]

Every article gets a Swedish ``sv.md`` of about 400 words built from real municipal vocabulary and
Swedish compounds (``parkeringstillstånd``, ``bygglovsansökan``, generated ``avfallstaxa``-style
compounds), with keywords, routing, an e-service for some, links to related articles, and a PDF form
beside about 3 %. A share of the articles gets an English translation (``en.md``, default 30 %) and agent-only notes
(``internal.md``, default 20 %); about 2 % are internal articles. ``site.yml`` is shaped like the sample
municipality's, with two published languages (sv, en). The output is deterministic for a given
``--articles`` and ``--seed`` and passes ``portal check``.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vocab as V

CATEGORIES = {
    "barn-utbildning": ("Barn och utbildning", "Children and education"),
    "bygga-bo-miljo": ("Bygga, bo och miljö", "Building, housing and environment"),
    "omsorg-stod": ("Omsorg och stöd", "Care and support"),
    "trafik-gator": ("Trafik och gator", "Traffic and streets"),
    "kultur-fritid": ("Kultur och fritid", "Culture and leisure"),
    "familj-samhalle": ("Familj och samhälle", "Family and society"),
    "naringsliv-arbete": ("Näringsliv och arbete", "Business and work"),
}
ANSWER_GROUPS = {
    "bas": ("Basnivå", "Base level"),
    "bbmt": ("Bygga, bo, miljö och tillstånd", "Building, housing, environment and permits"),
    "assf": ("Äldreomsorg, stöd och sociala frågor", "Elderly care, support and social issues"),
    "bsu": ("Barnomsorg, skola och utbildning", "Childcare, school and education"),
}
DEPARTMENTS = {
    "kommunledningsforvaltningen": ("Kommunledningsförvaltningen", "Municipal Executive Office"),
    "stadsbyggnadsforvaltningen": ("Stadsbyggnadsförvaltningen", "Urban Planning and Building Department"),
    "miljoforvaltningen": ("Miljöförvaltningen", "Environment Department"),
    "tekniska-forvaltningen": ("Tekniska förvaltningen", "Technical Services Department"),
    "socialforvaltningen": ("Socialförvaltningen", "Social Services Department"),
    "barn-och-utbildningsforvaltningen": ("Barn- och utbildningsförvaltningen", "Children and Education Department"),
}
ROSA = ("information", "radgivning", "vidarebefordran", "forenklad-myndighetsutovning")
OWNERS = ("anna.lind", "karin.berg", "johan.ek", "sara.holm", "ali.hassan", "maria.nyberg", "erik.sund")
PDF = ("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       "2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
SYNONYMS = [["sophämtning", "avfallshämtning", "soptunna"], ["bygglov", "byggnadslov", "byggtillstånd"],
            ["förskola", "dagis"], ["färdtjänst", "sjukresa"], ["ekonomiskt bistånd", "försörjningsstöd", "soc"]]


def site_config() -> dict[str, Any]:
    """The ``site.yml`` of the synthetic municipality (Exempelstad): two languages, like a large city."""
    return {
        "site": {"name": "Exempelstads kommun", "base_url": "https://www.exempelstad.se"},
        "source_language": "sv",
        "languages": [{"code": "sv", "name": "Svenska", "dir": "ltr"}, {"code": "en", "name": "English", "dir": "ltr"}],
        "categories": {k: {"sv": sv, "en": en} for k, (sv, en) in CATEGORIES.items()},
        "answer_groups": {k: {"sv": sv, "en": en} for k, (sv, en) in ANSWER_GROUPS.items()},
        "departments": {k: {"sv": sv, "en": en} for k, (sv, en) in DEPARTMENTS.items()},
        "contact": {"name": "Kontaktcenter", "phone": "042-10 50 00", "email": "kontaktcenter@exempelstad.se",
                    "address": "Stortorget 1, 252 20 Exempelstad",
                    "hours": {"monday": "08:00-17:00", "tuesday": "08:00-17:00", "wednesday": "08:00-17:00",
                              "thursday": "08:00-18:00", "friday": "08:00-17:00", "saturday": "closed",
                              "sunday": "closed"}},
    }


def slug(text: str) -> str:
    """A folder-name-safe id fragment: ``Ansöka om bygglov`` → ``ansoka-om-bygglov``."""
    text = text.lower().translate(str.maketrans("åäöéü", "aaoeu"))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


class Writer:
    """Fills sentence templates from the word lists with one seeded random generator."""

    def __init__(self, rng: random.Random, share_en: float = 0.3, share_internal: float = 0.2):
        self.rng, self.share_en, self.share_internal = rng, share_en, share_internal
        self.generated = [f"{h}{link}{t}" for h, link in V.HEADS for t in V.TAILS]

    def noun(self) -> str:
        """An errand noun: a real compound two times in five, else a generated one."""
        return self.rng.choice(V.COMPOUNDS if self.rng.random() < 0.4 else self.generated)

    def fill(self, template: str, topic: str, en: bool = False, title: bool = False) -> str:
        """*template* with its {placeholders} filled; {noun} is the article's topic (most of the time in
        the body, always in a title)."""
        r = self.rng
        pick_noun = (lambda: r.choice(V.EN_NOUNS)) if en else self.noun
        values = {
            "noun": topic if title or r.random() < 0.6 else pick_noun(), "noun2": pick_noun(),
            "verb": r.choice(V.VERBS_INF), "who": r.choice(V.EN_WHO if en else V.WHO), "place": r.choice(V.PLACES),
            "event": r.choice(V.EVENTS), "filler": r.choice(V.FILLER_NOUNS), "filler2": r.choice(V.FILLER_NOUNS),
            "adj": r.choice(V.ADJ), "num": f"{r.randint(1, 40) * 250:,}".replace(",", " "),
            "small": str(r.randint(2, 12)),
        }
        values.update({k.capitalize(): v[:1].upper() + v[1:] for k, v in list(values.items())})
        return template.format(**values)

    def paragraph(self, topic: str, n: int, en: bool = False) -> str:
        """*n* sentences about *topic*."""
        pool = V.EN_SENTENCES if en else V.SENTENCES
        return " ".join(self.fill(self.rng.choice(pool), topic, en) for _ in range(n))

    def body(self, topic: str, links: list[tuple[str, str]], en: bool = False, words: int = 400) -> str:
        """A Markdown body of about *words* words: an introduction and sections with lists."""
        r = self.rng
        parts = [self.paragraph(topic, 3, en)]
        if links:
            text, target = links[0]
            parts[0] += f" Läs också om [{text}](article:{target})." if not en else \
                f" Read also about [{text}](article:{target})."
        headings = list(V.EN_HEADINGS if en else V.HEADINGS)
        r.shuffle(headings)
        for heading in headings:
            if sum(len(p.split()) for p in parts) >= words:
                break
            parts.append(f"## {heading}")
            kind = r.random()
            if kind < 0.3:
                parts.append("\n".join(f"- {self.fill(r.choice(V.EN_SENTENCES if en else V.SENTENCES), topic, en)}"
                                       for _ in range(r.randint(3, 5))))
            elif kind < 0.5:
                parts.append("\n".join(f"{i}. {self.fill(r.choice(V.EN_SENTENCES if en else V.SENTENCES), topic, en)}"
                                       for i in range(1, r.randint(3, 6))))
            else:
                parts.append(self.paragraph(topic, r.randint(4, 7), en))
        return "\n\n".join(parts) + "\n"


def _front(data: dict[str, Any], body: str) -> str:
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000) + "---\n\n" + body


def make_article(w: Writer, n: int, public_ids: list[str]) -> tuple[str, dict[str, str], bool]:
    """One article: its id, its files (name → text) and whether it is public."""
    r = w.rng
    topic = w.noun()
    title = w.fill(r.choice(V.TITLE_TEMPLATES), topic, title=True)
    title = title[:1].upper() + title[1:]
    article_id = f"{slug(title)[:48].strip('-')}-{n}"
    public = r.random() >= 0.02
    related = r.sample(public_ids, k=min(len(public_ids), r.randint(0, 3)))
    links = [(f"relaterad information {i}", rid) for i, rid in enumerate(related[:1])]
    group = r.choice(list(ANSWER_GROUPS))
    meta: dict[str, Any] = {
        "title": title,
        "summary": w.paragraph(topic, 2)[:390],
        "category": r.choice(list(CATEGORIES)),
        "audience": "public" if public else "internal",
        "answer_group": group,
        "department": r.choice(list(DEPARTMENTS)),
        "rosa": r.choice(ROSA),
    }
    eservice = r.random() < 0.4
    if eservice:
        meta["self_service"] = {"url": f"https://e-tjanster.exempelstad.se/{article_id}",
                                "label": f"{r.choice(['Ansök om', 'Anmäl', 'Boka', 'Beställ'])} {topic}",
                                "login": r.choice([["bankid", "freja"], ["bankid"], "none"]),
                                "needs": r.sample(V.NEEDS, k=r.randint(1, 3))}
    meta["keywords"] = sorted({topic, *(w.noun() for _ in range(r.randint(2, 7)))})
    if related:
        meta["related"] = related
    meta["owner"] = f"{r.choice(OWNERS)}@exempelstad.se"
    meta["review_by"] = f"{r.randint(2030, 2032)}-{r.randint(1, 12):02d}-28"
    body = w.body(topic, links)
    if n == 1 or r.random() < 0.03:  # attachments published beside the article, as in the sample
        body += "\nFyll i [blanketten (pdf)](blankett.pdf) om du inte kan använda e-tjänsten.\n"
    files = {"sv.md": _front(meta, body)}
    if "blankett.pdf" in body:
        files["blankett.pdf"] = PDF
    if public and r.random() < w.share_en:
        en_topic = r.choice(V.EN_NOUNS)
        en_title = w.fill(r.choice(V.EN_TITLES), en_topic, en=True, title=True)
        en_meta: dict[str, Any] = {"title": en_title[:1].upper() + en_title[1:],
                                   "summary": w.paragraph(en_topic, 2, en=True)[:390],
                                   "keywords": [en_topic, topic]}
        if eservice:
            en_meta["self_service"] = {"label": f"Apply for {en_topic}"}
        files["en.md"] = _front(en_meta, w.body(en_topic, links, en=True))
    if r.random() < w.share_internal:
        notes = [f"## {r.choice(['Det här svarar kontaktcenter på', 'Lämna över', 'Säg aldrig'])}"]
        notes += [f"- {w.fill(r.choice(V.INTERNAL_SENTENCES), topic)}" for _ in range(r.randint(3, 8))]
        files["internal.md"] = "\n".join(notes) + "\n"
    return article_id, files, public


def generate(out: Path, articles: int, seed: int = 1, en_share: float = 0.3, internal_share: float = 0.2,
             force: bool = False) -> dict[str, int]:
    """Write *articles* synthetic articles and a ``site.yml`` into *out*; return counts of what was written."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"{out} is not empty; pass --force to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "site.yml").write_text(yaml.safe_dump(site_config(), allow_unicode=True, sort_keys=False), "utf-8")
    (out / "synonyms.yml").write_text(yaml.safe_dump(SYNONYMS, allow_unicode=True), "utf-8")
    w = Writer(random.Random(seed), en_share, internal_share)
    public_ids: list[str] = []
    counts = {"articles": 0, "public": 0, "en": 0, "internal_notes": 0, "words_sv": 0}
    for n in range(1, articles + 1):
        article_id, files, public = make_article(w, n, public_ids)
        folder = out / article_id
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, "utf-8")
        if public:
            public_ids.append(article_id)
        counts["articles"] += 1
        counts["public"] += public
        counts["en"] += "en.md" in files
        counts["internal_notes"] += "internal.md" in files
        counts["words_sv"] += len(files["sv.md"].split("---\n", 2)[2].split())
    return counts


def change_article(root: Path, article_id: str | None = None) -> str:
    """Edit one article's Swedish text (append a sentence); return its id (the first article by default)."""
    root = Path(root)
    if article_id is None:
        article_id = min(p.name for p in root.iterdir() if (p / "sv.md").is_file())
    path = root / article_id / "sv.md"
    text = path.read_text("utf-8")
    path.write_text(text.rstrip("\n") + " Uppdaterad information om öppettider i kontaktcenter.\n", "utf-8")
    return article_id


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python bench/generate.py OUT --articles N --seed S``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--en-share", type=float, default=0.3)
    ap.add_argument("--internal-share", type=float, default=0.2)
    ap.add_argument("--force", action="store_true", help="replace OUT when it is not empty")
    args = ap.parse_args(argv)
    counts = generate(args.out, args.articles, args.seed, args.en_share, args.internal_share, args.force)
    avg = counts["words_sv"] // max(1, counts["articles"])
    print(f"wrote {counts['articles']} articles ({counts['public']} public, {counts['en']} with en.md, "
          f"{counts['internal_notes']} with internal.md, ~{avg} words each) into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
