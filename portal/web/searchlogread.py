"""The editors' lists from the counted search log, without summing the whole log on every page load.

A list is the most searched queries of a period (the last N days): per language and query the sum of its day
rows in the period. Summing every row of a 30-day period means aggregating up to 150,000 rows (350 ms on
SQLite at 1,000,000 logged searches). Instead the queries are read in an order in which the best come first,
a few hundred at a time, only their rows in the period are summed (one indexed look per query), and reading
stops as soon as no query not yet read can reach the list (Fagin's threshold algorithm):

* **long periods** read ``search_totals`` (sums over every day the log holds) from the highest: a query's sum
  in a period is at most its total, so when the last total read is below the list's last sum, no later query
  can reach the list;
* **short periods** (a week or less) read each day's rows from the most searched: a query not yet read in any
  day's list has at most, on each day, the count last read there, so when the sum of those is below the list's
  last sum, no later query can reach the list. (The totals say little about today: ranking today's searches by
  them read thousands of queries.)

Many queries tied at the list's end (a quiet log of single searches) could make either read much of the log:
past :data:`MAX_SCANNED` queries read, the period's rows are summed in one statement after all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

OTHER = ""  # as portal.web.searchlogtables.OTHER: the query of the rows past a day's cap, never listed
BATCH = 200  # queries read at a time (from the totals, or from each day's rows)
MAX_SCANNED = 4000  # queries read before the period's rows are summed in one go instead
SHORT_DAYS = 7  # periods of at most this many days are read day by day
_CHUNK = 500  # queries summed per statement
Run = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]  # runs one statement (? placeholders): its rows
Key = tuple[str, str]  # (lang, query)


@dataclass(frozen=True)
class Missing:
    """One redacted query in a period: how often it was searched, how often it found nothing, the most hits it
    ever had and when it was last searched."""

    query: str
    lang: str
    searches: int
    zero: int
    max_hits: int
    last: str


def order(rows: Iterable[Missing]) -> list[Missing]:
    """Most searched first; then the most recently searched; then by query and language."""
    ranked = sorted(rows, key=lambda m: (m.query, m.lang))
    ranked.sort(key=lambda m: m.last, reverse=True)
    ranked.sort(key=lambda m: m.searches, reverse=True)
    return ranked


_SUMS = ("SELECT c.query, c.lang, SUM(c.searches), SUM(c.zero), MAX(c.max_hits), MAX(c.last) FROM (VALUES {keys}) "
         "AS t JOIN search_counts c ON c.lang = t.column1 AND c.query = t.column2 AND c.day >= ? "
         "GROUP BY c.query, c.lang{having}")
_SUMMED = ("SELECT query, lang, SUM(searches) AS n, SUM(zero), MAX(max_hits), MAX(last) FROM search_counts "
           "WHERE day >= ? AND query <> ? GROUP BY query, lang {having}ORDER BY n DESC, MAX(last) DESC, query, lang "
           "LIMIT ?")
_TOTALS = ("SELECT searches, lang, query FROM search_totals WHERE query <> ?{zero}{after} "
           "ORDER BY searches DESC, lang DESC, query DESC LIMIT ?")
_DAY = ("SELECT searches, lang, query FROM search_counts WHERE day = ? AND query <> ?{after} "
        "ORDER BY searches DESC, lang DESC, query DESC LIMIT ?")
_AFTER = " AND (searches, lang, query) < (?, ?, ?)"
_HAVING = " HAVING SUM(c.zero) > 0"


def _missing(rows: Iterable[Sequence[Any]]) -> list[Missing]:
    return [Missing(q, lang, int(n), int(z), int(mx), last) for q, lang, n, z, mx, last in rows]


def period_sums(run: Run, keys: Sequence[Key], first: str, zero_only: bool) -> list[Missing]:
    """The sums from day *first* on of the queries *keys* (those with a search in the period; with *zero_only*,
    those that found nothing at least once)."""
    out: list[Missing] = []
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        sql = _SUMS.format(keys=", ".join(["(?, ?)"] * len(chunk)), having=_HAVING if zero_only else "")
        out += _missing(run(sql, [*(v for key in chunk for v in key), first]))
    return out


def summed(run: Run, first: str, limit: int, zero_only: bool) -> list[Missing]:
    """The list by summing every day row of the period in one statement."""
    sql = _SUMMED.format(having="HAVING SUM(zero) > 0 " if zero_only else "")
    return _missing(run(sql, (first, OTHER, limit)))


class _Totals:
    """The queries by their totals, highest first."""

    def __init__(self, run: Run, zero_only: bool):
        self.run, self.zero_only, self.after = run, zero_only, ()

    def next(self) -> tuple[list[Key], float, bool]:
        """The next queries, the highest sum in the period any later one can have, whether there are more."""
        sql = _TOTALS.format(zero=" AND zero > 0" if self.zero_only else "", after=_AFTER if self.after else "")
        rows = self.run(sql, (OTHER, *self.after, BATCH))
        if rows:
            self.after = tuple(rows[-1])
        return [(lang, q) for _n, lang, q in rows], float(rows[-1][0]) if rows else 0.0, len(rows) == BATCH


class _Days:
    """The queries by each day's counts in the period, highest first, all days side by side."""

    def __init__(self, run: Run, days: list[str]):
        self.run = run
        self.after: dict[str, tuple[Any, ...]] = {day: () for day in days}  # where each unfinished day's list is

    def next(self) -> tuple[list[Key], float, bool]:
        """The next queries of every day, the highest sum in the period any later one can have, whether there
        are more."""
        keys: list[Key] = []
        bound = 0.0
        for day, after in list(self.after.items()):
            rows = self.run(_DAY.format(after=_AFTER if after else ""), (day, OTHER, *after, BATCH))
            keys += [(lang, q) for _n, lang, q in rows]
            if len(rows) < BATCH:
                del self.after[day]  # read to its end: a query not read there has no search that day
            else:
                self.after[day] = tuple(rows[-1])
                bound += float(rows[-1][0])
        return keys, bound, bool(self.after)


def top(run: Run, first: str, today: str, limit: int, zero_only: bool = False) -> list[Missing]:
    """The *limit* most searched queries from day *first* to *today* (ISO dates); with *zero_only*, of those
    that found nothing at least once."""
    d0, d1 = dt.date.fromisoformat(first), dt.date.fromisoformat(today)
    days = [(d0 + dt.timedelta(days=n)).isoformat() for n in range((d1 - d0).days + 1)]
    source = _Days(run, days) if len(days) <= SHORT_DAYS else _Totals(run, zero_only)
    best: list[Missing] = []
    seen: set[Key] = set()
    scanned = 0
    while scanned < MAX_SCANNED:
        keys, bound, more = source.next()
        new = [k for k in dict.fromkeys(keys) if k not in seen]
        seen.update(new)
        scanned += len(keys)
        if new:
            best = order([*best, *period_sums(run, new, first, zero_only)])[:limit]
        # Every query not read yet has at most *bound* searches in the period; one with as many might still come
        # first by its last search.
        if not more or (len(best) >= limit and bound < best[-1].searches):
            return best
    return summed(run, first, limit, zero_only)
