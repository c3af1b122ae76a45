"""What citizens and agents said about the content, in the order an editor should act on it.

One row per article that got anything back in the period (answers to "Did this answer your question?",
comments, e-service starts from the public site and from agents' copied links, open error reports) and one
row per search that found nothing. Each row has a *score* so the list can be sorted by what to fix first:

* an article: 5 per open error report (an agent saw something wrong), 2 per "no" answer, 1 per comment;
* a search that found nothing: 1 per time it was searched without a hit (content that is missing).

The same rows feed ``portal report feedback`` (a table with a bar chart drawn in text) and the editors'
page in the agent app (a table and an SVG chart); :func:`article_revision` is what an error report
remembers of its article, so a report closes by itself when the article changes in git.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from portal.content.catalogues import Messages
from portal.content.model import Article, Corpus
from portal.web.feedbackstore import Comment, Store, YesNo

REPORT_WEIGHT, NO_WEIGHT, COMMENT_WEIGHT = 5, 2, 1
BAR_WIDTH = 20


@dataclass
class Row(YesNo):
    """One line of the report: an article, or a search that found nothing."""

    kind: str  # "article" or "search"
    key: str  # the article id, or the (redacted) query
    title: str
    yes: int = 0
    no: int = 0
    comments: int = 0
    starts: dict[str, int] = field(default_factory=dict)  # channel (web, agent) -> count
    open_reports: int = 0
    searches: int = 0  # times searched with no hit (a search row)
    has_eservice: bool = False

    @property
    def score(self) -> int:
        """How urgent the row is (higher first); see the module's docstring."""
        if self.kind == "search":
            return self.searches
        return REPORT_WEIGHT * self.open_reports + NO_WEIGHT * self.no + COMMENT_WEIGHT * self.comments

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly form, with the derived figures."""
        return {**asdict(self), "answers": self.answers, "yes_share": self.yes_share, "score": self.score}


def article_revision(article: Article) -> str:
    """A short fingerprint of the article's files as they are now (every language version and the internal
    notes): it changes with any edit that reaches the content, committed in git or not."""
    digest = hashlib.sha256()
    paths = [v.path for v in article.versions.values()] + ([article.internal_path] if article.internal_path else [])
    for path in paths:
        try:
            digest.update(Path(path).read_bytes())
        except OSError:
            digest.update(b"(missing)")
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def close_changed_reports(store: Store, corpus: Corpus, article: str | None = None,
                          now: dt.datetime | None = None) -> int:
    """Close the open error reports (all, or one article's) whose article changed or is gone since they were
    made; only the files of articles with open reports are read."""
    wanted = [article] if article else store.reported_articles()
    revisions = {a: article_revision(corpus.articles[a]) for a in wanted if a in corpus.articles}
    return store.close_changed(revisions, now, article)


def feedback_rows(corpus: Corpus, store: Store, zero_results: list[tuple[str, int]], days: int | None = None,
                  now: dt.datetime | None = None) -> list[Row]:
    """The report's rows, most urgent first (articles by id where scores tie, searches after)."""
    rows: list[Row] = []
    for article_id, figures in store.figures(days, now).items():
        article = corpus.articles.get(article_id)
        rows.append(Row("article", article_id, article.source.title if article else f"({article_id}: borttagen)",
                        figures.yes, figures.no, figures.comments, dict(figures.starts), figures.open_reports,
                        has_eservice=bool(article and article.self_service)))
    rows.extend(Row("search", query, query, searches=n) for query, n in zero_results)
    rows.sort(key=lambda r: (-r.score, r.kind != "article", -r.answers, r.key))
    return rows


def totals(rows: list[Row]) -> dict[str, Any]:
    """The period's sums: answers, yes share, e-service starts per channel, open reports."""
    articles = [r for r in rows if r.kind == "article"]
    yes, no = sum(r.yes for r in articles), sum(r.no for r in articles)
    starts = {channel: sum(r.starts.get(channel, 0) for r in articles) for channel in ("web", "agent")}
    return {"answers": yes + no, "yes": yes, "no": no, "yes_share": yes / (yes + no) if yes + no else None,
            "starts": starts, "open_reports": sum(r.open_reports for r in articles),
            "searches_without_hit": sum(r.searches for r in rows if r.kind == "search")}


def _share(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)} %"


def _bar(row: Row) -> str:
    """The yes/no answers as a text bar (█ yes, ░ no), BAR_WIDTH characters at most."""
    if not row.answers:
        return ""
    yes = round(BAR_WIDTH * row.yes / row.answers)
    return "█" * yes + "░" * (BAR_WIDTH - yes)


def format_text(rows: list[Row], days: int, limit: int = 50, messages: Messages | None = None) -> str:
    """The report as a table for the terminal, with a bar of the yes/no share per article, in the language of
    *messages* (English without)."""
    said = messages or Messages("en")
    t = totals(rows)
    lines = [said.gettext("What came back in the last %(days)s day(s), what to fix first at the top", days=days),
             "  " + said.gettext("answers %(answers)s (yes %(yes)s), e-service starts: web %(web)s, agents "
                                 "%(agents)s; open error reports %(reports)s; searches without a hit %(searches)s",
                                 answers=t["answers"], yes=_share(t["yes_share"]), web=t["starts"]["web"],
                                 agents=t["starts"]["agent"], reports=t["open_reports"],
                                 searches=t["searches_without_hit"]), ""]
    # column heads: gettext outside the f-string, where pybabel can see it
    cols = (said.gettext("score"), said.gettext("article or search"), said.gettext("yes"), said.gettext("no"),
            said.gettext("yes") + " %", said.gettext("comm"), said.gettext("web"), said.gettext("agent"),
            said.gettext("errors"), said.gettext("yes █ / no ░"))
    head = f"{cols[0]:>5}  {cols[1]:<40} {cols[2]:>4} {cols[3]:>4} {cols[4]:>6} {cols[5]:>4} {cols[6]:>4} " \
           f"{cols[7]:>5} {cols[8]:>6}  {cols[9]}"
    lines += [head, "-" * len(head)]
    for row in rows[:limit]:
        name = row.key if row.kind == "article" else said.gettext('search "%(query)s"', query=row.key)
        name = name if len(name) <= 40 else name[:39] + "…"
        if row.kind == "search":
            lines.append(f"{row.score:>5}  {name:<40} {'':>4} {'':>4} {'':>6} {'':>4} {'':>4} {'':>5} {'':>6}  "
                         + said.gettext("%(times)s time(s) without a hit", times=row.searches))
            continue
        web, agent = row.starts.get("web", 0), row.starts.get("agent", 0)
        lines.append(f"{row.score:>5}  {name:<40} {row.yes:>4} {row.no:>4} {_share(row.yes_share):>6} "
                     f"{row.comments:>4} {web:>4} {agent:>5} {row.open_reports:>6}  {_bar(row)}")
    if not rows:
        lines.append("  " + said.gettext("nothing came back in this period"))
    elif len(rows) > limit:
        lines.append("  " + said.gettext("… and %(more)s more (--limit)", more=len(rows) - limit))
    return "\n".join(lines) + "\n"


def format_comments(comments: list[Comment], messages: Messages | None = None) -> str:
    """The citizens' comments (as stored: redacted), newest first, for the terminal."""
    said = messages or Messages("en")
    lines = [said.gettext("Comments, newest first (%(count)s)", count=len(comments))]
    for c in comments:
        answer = said.gettext("yes") if c.helpful else said.gettext("no")
        lines.append(f"  {c.at[:16].replace('T', ' ')}  {c.article}  {c.lang}  {answer}: {' '.join(c.comment.split())}")
    if not comments:
        lines.append("  –")
    return "\n".join(lines) + "\n"


def chart(rows: list[Row], limit: int = 10, width: int = 220) -> list[dict[str, Any]]:
    """The bars of the editors' chart: the articles with the most answers, yes and no widths in pixels."""
    answered = sorted((r for r in rows if r.kind == "article" and r.answers),
                      key=lambda r: (-r.answers, r.key))[:limit]
    most = max((r.answers for r in answered), default=0)
    bars = []
    for i, row in enumerate(answered):
        total = round(width * row.answers / most)
        yes = round(total * row.yes / row.answers)
        bars.append({"row": row, "y": i * 28, "yes_w": yes, "no_w": total - yes})
    return bars
