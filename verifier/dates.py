"""Date and period expressions: when a figure was reported, and what period it covers.

Two kinds matter for cross-checking and must not be confused. A *period* ("Q3 2026",
"fiscal 2025") says what a figure measures: two figures for different periods are
different quantities. A *point* ("as of March 3", "Tuesday") says when a running
figure was read: a death toll reported on two days may differ without contradiction.
"""

from __future__ import annotations

import re

MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)}
_MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

_FULL_DATE = re.compile(
    rf"\b(?P<month>{_MONTH_RE})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d\d))?\b"
    rf"|\b(?P<day2>\d{{1,2}})\s+(?P<month2>{_MONTH_RE})(?:,?\s+(?P<year2>(?:19|20)\d\d))?\b"
    r"|\b(?P<iso>(?:19|20)\d\d-\d\d-\d\d)\b"
)
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)
_PERIOD = re.compile(
    r"\b(?:Q[1-4]|H[12]|FY)\s?'?(?:19|20)?\d\d\b"
    r"|\bQ[1-4]\b"
    r"|\b(?:first|second|third|fourth)[- ](?:quarter|half)\b(?:\s+(?:of\s+)?(?:19|20)\d\d)?"
    r"|\bfiscal(?:\s+year)?\s+(?:19|20)\d\d\b"
    rf"|\b{_MONTH_RE}\s+(?:19|20)\d\d\b"
    r"|\b(?:a|one|the)\s+year\s+(?:earlier|ago|before)\b|\b(?:last|previous|prior)\s+(?:year|quarter)\b"
    r"|\b(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_PUBLISHED = re.compile(
    r"\b(?:published|updated|last updated|posted|dated)\b[^\n]{0,12}?(?P<date>"
    rf"{_MONTH_RE}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d|\d{{1,2}}\s+{_MONTH_RE},?\s+(?:19|20)\d\d"
    r"|(?:19|20)\d\d-\d\d-\d\d)",
    re.IGNORECASE,
)


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
