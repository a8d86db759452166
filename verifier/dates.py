"""Date and period expressions: when a figure was reported, and what period it covers.

Two kinds matter for cross-checking and must not be confused. A *period* ("Q3 2026",
"fiscal 2025") says what a figure measures: two figures for different periods are
different quantities. A *point* ("as of March 3", "Tuesday") says when a running
figure was read: a death toll reported on two days may differ without contradiction.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from . import lexicon

MONTHS = lexicon.MONTHS
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)}
_MONTH_NAMES = lexicon.MONTH_NAMES
# Capitalised or in capitals ("FEB 11" on a wire), never in lower case ("may", "march" are words too)
_MONTH_RE = rf"(?:{_MONTH_NAMES}|{_MONTH_NAMES.upper()})\.?"
WEEKDAYS = lexicon.WEEKDAYS
_WEEKDAYS = "|".join(WEEKDAYS)
# the ordinals that number quarters ("third-quarter"): the first four of the lexicon's
QUARTER_ORDINALS = {word: n for word, n in lexicon.ORDINAL_WORDS.items() if n <= 4}
_QUARTER_ORDINALS = "|".join(QUARTER_ORDINALS)

DATE_PATTERN = (
    rf"{_MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+(?:19|20)\d\d)?|\d{{1,2}}\s+{_MONTH_RE}(?:,?\s+(?:19|20)\d\d)?"
    rf"|(?:19|20)\d\d-\d\d-\d\d|(?:{_WEEKDAYS})"
    rf"|Q[1-4](?:\s+(?:19|20)\d\d)?|{_MONTH_RE}\s+(?:19|20)\d\d|(?:19|20)\d\d"
)
_FULL_DATE = re.compile(
    rf"\b(?P<month>{_MONTH_RE})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d\d))?\b"
    rf"|\b(?P<day2>\d{{1,2}})\s+(?P<month2>{_MONTH_RE})(?:,?\s+(?P<year2>(?:19|20)\d\d))?\b"
    r"|\b(?P<iso>(?:19|20)\d\d-\d\d-\d\d)\b"
)
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)
_PERIOD = re.compile(
    r"\b(?:Q[1-4]|H[12]|FY)\s?'?(?:19|20)?\d\d\b"
    r"|\bQ[1-4]\b"
    rf"|\b(?:{_QUARTER_ORDINALS})[- ](?:quarter|half)\b(?:\s+(?:of\s+)?(?:19|20)\d\d)?"
    r"|\bfiscal(?:\s+year)?\s+(?:19|20)\d\d\b"
    rf"|\b{_MONTH_RE}\s+(?:19|20)\d\d\b"
    r"|\b(?:a|one|the)\s+year\s+(?:earlier|ago|before)\b|\b(?:last|previous|prior)\s+(?:year|quarter)\b"
    r"|\b(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_PUBLISHED = re.compile(
    rf"\b(?:{lexicon.PUBLICATION_WORDS})\b[^\n]{{0,30}}?(?P<date>"
    rf"{_MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d|\d{{1,2}}\s+{_MONTH_RE},?\s+(?:19|20)\d\d"
    r"|(?:19|20)\d\d-\d\d-\d\d)",
    re.IGNORECASE,
)


MONTH_PATTERN = _MONTH_RE
FULL_DATE = _FULL_DATE


def month_number(name: str) -> int:
    """'Sept.' -> 9."""
    return _MONTH_ABBR[name.lower()[:3]]


def normalize_date(match: re.Match[str]) -> str:
    """Render a matched calendar date as YYYY-MM-DD, or MM-DD when no year is given."""
    if match.group("iso"):
        return match.group("iso")
    month_name = match.group("month") or match.group("month2")
    day = match.group("day") or match.group("day2")
    year = match.group("year") or match.group("year2")
    month = _MONTH_ABBR[month_name.lower()[:3]]
    text = f"{month:02d}-{int(day):02d}"
    return f"{year}-{text}" if year else text


def document_date(text: str) -> str | None:
    """The date a document was published or last updated, when it says so.

    Only explicit markers count ("Published on", "Updated"), latest wins: the first date
    in an article is as often the event's date as the article's.
    """
    found = []
    for m in _PUBLISHED.finditer(text):
        inner = _FULL_DATE.search(m.group("date"))
        if inner:
            found.append(normalize_date(inner))
    return max(found) if found else None


def point_dates(text: str) -> list[str]:
    """Calendar dates and weekdays in `text`: the moments a running figure was read."""
    points = [normalize_date(m) for m in _FULL_DATE.finditer(text)]
    points += [m.group(1).lower() for m in _WEEKDAY.finditer(text)]
    return points


def periods(text: str) -> list[str]:
    """Periods a figure covers ("Q3 2026", "fiscal 2025", "a year earlier"), normalised."""
    found = []
    for m in _PERIOD.finditer(text):
        found.append(" ".join(m.group(0).lower().replace("'", "").split()))
    return found


def is_year(token: str) -> bool:
    """A bare four-digit year, which is a date, not a quantity."""
    return bool(re.fullmatch(r"(?:19|20)\d\d", token))


def date_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of dates and periods, so numbers inside them are not read as quantities."""
    spans = [(m.start(), m.end()) for m in _FULL_DATE.finditer(text)]
    spans += [(m.start(), m.end()) for m in _PERIOD.finditer(text)]
    return spans


# --- periods as values ---------------------------------------------------------------------------

_ORDINALS = QUARTER_ORDINALS
_PERIOD_VALUE = re.compile(
    r"\bQ(?P<q>[1-4])(?:\s?'?(?P<qy>(?:19|20)?\d\d))?\b"
    rf"|\b(?P<qo>{_QUARTER_ORDINALS})[- ]quarter(?:\s+(?:of\s+)?(?P<qoy>(?:19|20)\d\d))?"
    r"|\bH(?P<h>[12])(?:\s?'?(?P<hy>(?:19|20)?\d\d))?\b"
    r"|\b(?P<ho>first|second)[- ]half(?:\s+(?:of\s+)?(?P<hoy>(?:19|20)\d\d))?"
    r"|\b(?:FY\s?'?(?P<fy>(?:19|20)?\d\d)|fiscal(?:\s+year)?\s+(?P<fy2>(?:19|20)\d\d))\b"
    rf"|\b(?P<month>{_MONTH_RE})\s+(?P<my>(?:19|20)\d\d)\b"
    r"|\b(?P<prior>(?:a|one|the)\s+year\s+(?:earlier|ago|before)|year-ago|(?:last|previous|prior)\s+"
    r"(?:year|quarter)|same (?:quarter|period) (?:of )?last year)\b"
    r"|\b(?P<year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Period:
    """What a figure covers: a quarter, half, fiscal year, month or year; or 'prior' (a year earlier)."""

    kind: str
    index: int | None = None
    year: int | None = None


def _year(token: str | None) -> int | None:
    if not token:
        return None
    value = int(token)
    return value + 2000 if value < 100 else value


def parse_periods(text: str) -> list[Period]:
    """Periods stated in `text`, as values: 'third-quarter' and 'Q3' are one Period."""
    found = []
    for m in _PERIOD_VALUE.finditer(text):
        g = m.groupdict()
        if g["q"] or g["qo"]:
            index = int(g["q"]) if g["q"] else _ORDINALS[g["qo"].lower()]
            found.append(Period("quarter", index, _year(g["qy"] or g["qoy"])))
        elif g["h"] or g["ho"]:
            index = int(g["h"]) if g["h"] else _ORDINALS[g["ho"].lower()]
            found.append(Period("half", index, _year(g["hy"] or g["hoy"])))
        elif g["fy"] or g["fy2"]:
            found.append(Period("fiscal", None, _year(g["fy"] or g["fy2"])))
        elif g["month"]:
            found.append(Period("month", _MONTH_ABBR[g["month"].lower()[:3]], _year(g["my"])))
        elif g["prior"]:
            found.append(Period("prior"))
        elif g["year"]:
            found.append(Period("year", None, _year(g["year"])))
    return found


def periods_compatible(a: list[Period], b: list[Period], latest_year: int | None) -> bool:
    """Could two figures cover the same period? A figure with no period covers the latest one."""
    if not a and not b:
        return True  # both cover the latest period
    return _periods_compatible(tuple(a), tuple(b), latest_year)


@functools.lru_cache(maxsize=4096)
def _periods_compatible(a: tuple[Period, ...], b: tuple[Period, ...], latest_year: int | None) -> bool:
    """`periods_compatible`, kept: comparison asks it for every pair of figures of a question, and a batch
    states few distinct periods (a third of comparison's own work at 10,000 documents)."""
    left = [_fill(p, latest_year) for p in a] or [Period("current")]
    right = [_fill(p, latest_year) for p in b] or [Period("current")]
    return any(_same_period(x, y, latest_year) for x in left for y in right)


def _fill(p: Period, latest: int | None) -> Period:
    """'Q3' without a year is the latest Q3 the batch talks about."""
    if p.year is None and latest is not None and p.kind in ("quarter", "half", "month"):
        return Period(p.kind, p.index, latest)
    return p


def _same_period(x: Period, y: Period, latest: int | None) -> bool:
    kinds = {x.kind, y.kind}
    if kinds == {"current"} or kinds == {"prior"}:
        return True
    if "current" in kinds or "prior" in kinds:
        other = y if x.kind in ("current", "prior") else x
        if other.kind == "prior" or other.kind == "current":
            return False
        if other.year is None or latest is None:
            return "current" in kinds
        return (other.year == latest) == ("current" in kinds)
    if "year" in kinds:
        return x.year is None or y.year is None or x.year == y.year
    if x.kind != y.kind or (x.index and y.index and x.index != y.index):
        return False
    return x.year is None or y.year is None or x.year == y.year
