"""When a claim holds: the document's date, and the time a claim states, resolved against it.

Figures that change over time (a toll, an area burned, a containment share, a vote count)
are read at moments, and two reports a day apart may both be right. So every claim gets
an `as_of`: a day or a range of days read from its conditions, then from its quote, with
relative expressions ("this morning", "on Monday", "last week", "by 5 p.m.") resolved
against the document's date; a claim that states no time takes the document's date and
is marked so. Comparison then tells an update from a contradiction.

The document's date comes from what the document says about itself, in this order: a
"Published"/"Updated" line, the HTML page's metadata, a dateline or byline with a year, a date
in the file name ("2026-03-04-report.txt"), then a dateline's month and day ("LONDON, March 3
-"), whose year comes from the batch's other documents or a full date in the first lines, never
from a year the story merely names (`settle_date`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from . import dates, lexicon, numbers
from .models import AsOf

_MONTH = dates.MONTH_PATTERN
_YEAR = r"(?:19|20)\d\d"

# --- the document's own date ------------------------------------------------------------------

_FILE_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)[-_.]?(?P<m>0[1-9]|1[0-2])[-_.]?(?P<d>0[1-9]|[12]\d|3[01])(?!\d)")
# What may stand before the date on a dateline or byline: names in capitals (a city, a country,
# an agency, a writer), initials, weekdays, the words of a byline, and punctuation.
_HEAD_PREFIX = re.compile(
    rf"(?:[A-Z][\w.'’&-]*|{lexicon.BYLINE_WORDS}"
    r"|[|·•,:/()—–-])",
)
# ...and what makes it a dateline or byline rather than a headline in title case ("Looking Back To
# March 3, 1998"): a place in capitals, a byline, a weekday, a publication word, or nothing at all
_HEAD_MARK = re.compile(rf"\b[A-Z]{{2,}}\b|\b(?:{lexicon.BYLINE_MARKS})\b|\b{lexicon.WEEKDAY_NAMES}\b")
# What may follow it: a year, a time of day with its zone, an agency in brackets, a wire's
# /SOURCE/ tag, then a break ('—', '-', ':', '|', ',') or the end of the line.
_HEAD_SUFFIX = re.compile(
    rf"\s*(?:,?\s*{_YEAR}\b)?"
    r"(?:\s*,?\s*(?:at\s+)?\d{1,2}[:.]\d\d(?:\s*[apAP]\.?[mM]\.?)?(?:\s*[A-Z]{2,5}\b)?)?"
    r"(?:\s*\([^()\n]{1,40}\))?(?:\s*/[^/\n]{1,40}/)?\s*(?:[-–—:|,·•]|$)",
)
HEAD_LINES = 6
HEAD_CHARS = 2000  # how far into a document its dateline and the dates near it are looked for


def head_of(text: str) -> str:
    """The part of a document's text that `settle_date` reads (its own dates are read from the whole)."""
    return text[:HEAD_CHARS]


@dataclass(frozen=True)
class DateReading:
    """A date a document gives for itself: 'YYYY-MM-DD', or 'MM-DD' from a dateline with no year."""

    day: str
    source: str


def head_date(text: str) -> DateReading | None:
    """The date of a dateline or byline among the first lines ('LONDON, Feb 11 (Reuters) -',
    'By Ann Lee, March 4', 'Tuesday, 3 March', 'Thursday 5 March 2026, 09:12'): a date that only
    names, weekdays and byline words stand before, and only a year, a time or a break follow."""
    lines = [line.strip() for line in text[:HEAD_CHARS].splitlines() if line.strip()][:HEAD_LINES]
    for line in lines:
        line = line[:200]
        for m in dates.FULL_DATE.finditer(line):
            prefix = line[:m.start()]
            if _HEAD_PREFIX.sub(" ", prefix).strip() or not _HEAD_SUFFIX.match(line[m.end():]):
                continue
            if prefix.strip() and not _HEAD_MARK.search(prefix):
                continue  # a headline in title case that names a date is no dateline
            day = dates.normalize_date(m)
            if len(day) == 5 or parse_day(day):
                return DateReading(day, "dateline")
    return None


def file_name_date(path: str) -> str | None:
    """A date in the file's name: 2026-03-04-report.txt, report_20260304.html."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    m = _FILE_DATE.search(name)
    if not m:
        return None
    try:
        return date(int(m.group("y")), int(m.group("m")), int(m.group("d"))).isoformat()
    except ValueError:
        return None


def date_readings(text: str, path: str = "", metadata: str | None = None) -> list[DateReading]:
    """Every date the document gives for itself, strongest first: a publication line, the page's
    metadata, a dateline or byline with a year, the file name, then a dateline's month and day."""
    readings = []
    published = dates.document_date(text)
    if published:
        readings.append(DateReading(published, "published"))
    if metadata:
        readings.append(DateReading(metadata, "metadata"))
    head = head_date(text)
    if head is not None and len(head.day) == 10:
        readings.append(head)
    named = file_name_date(path)
    if named:
        readings.append(DateReading(named, "filename"))
    if head is not None and len(head.day) == 5:
        readings.append(head)
    return readings


def document_date(text: str, path: str = "", metadata: str | None = None) -> tuple[str | None, str | None]:
    """(date, where it was read) from the document alone; a dateline without a year stays a
    month-day here (the batch may give it its year: `settle_date`)."""
    readings = date_readings(text, path, metadata)
    return (readings[0].day, readings[0].source) if readings else (None, None)


DISAGREEING_DAYS = 3


def settle_date(readings: list[DateReading], batch_days: list[date], text: str) -> tuple[str | None, str | None,
                                                                                          str | None]:
    """(date, source, a note when two of the document's own dates disagree by more than a few days).

    The strongest reading with a year stands. A dateline's month and day alone take their year
    from the batch (the year that puts them nearest the other documents' dates), else from the
    nearest full date in the document's first lines; never from a year the story merely names.
    """
    if not readings:
        return None, None, None
    full = [r for r in readings if len(r.day) == 10 and parse_day(r.day)]
    partial = next((r for r in readings if len(r.day) == 5), None)
    if full:
        best = full[0]
        note = _disagreement(best, [*full[1:], *([partial] if partial else [])])
        return best.day, best.source, note
    assert partial is not None
    completed = _year_from(partial.day, batch_days)
    if completed is not None:
        return completed.isoformat(), "batch", None
    completed = _year_from(partial.day, _nearby_days(partial.day, text))
    if completed is not None:
        return completed.isoformat(), "head", None
    return partial.day, partial.source, None


def _nearby_days(month_day: str, text: str) -> list[date]:
    """Full dates in the document's first lines that fall within a month of the dateline's month and
    day in their own year ("began on February 27, 2026" for "OSLO, March 3"): they give its year. A
    date further off (a record set on June 5, 1998; an opening on September 1, 2031) does not."""
    head = "\n".join(head_of(text).splitlines()[:HEAD_LINES * 2])
    found = []
    for m in dates.FULL_DATE.finditer(head):
        day = parse_day(dates.normalize_date(m))
        candidate = parse_day(f"{day.year}-{month_day}") if day is not None else None
        if day is not None and candidate is not None and abs((candidate - day).days) <= 31:
            found.append(day)
    return found


def _year_from(month_day: str, near: list[date]) -> date | None:
    """The month-day in the year that puts it nearest the middle of `near`, or None."""
    if not near:
        return None
    middle = sorted(near)[len(near) // 2]
    candidates = [parse_day(f"{year}-{month_day}") for year in (middle.year - 1, middle.year, middle.year + 1)]
    found = [d for d in candidates if d is not None]
    return min(found, key=lambda d: abs((d - middle).days)) if found else None


def _disagreement(best: DateReading, others: list[DateReading]) -> str | None:
    chosen = parse_day(best.day)
    for other in others:
        day = parse_day(other.day) if len(other.day) == 10 else _year_from(other.day, [chosen] if chosen else [])
        if chosen and day and abs((day - chosen).days) > DISAGREEING_DAYS:
            return (f"its {_SOURCE_WORDS[best.source]} says {best.day} but its {_SOURCE_WORDS[other.source]} says "
                    f"{other.day}; kept {best.day}")
    return None


_SOURCE_WORDS = lexicon.DATE_SOURCE_NAMES


# --- days and ranges ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A range of days; `label` alone when a weekday or month-day has no year to anchor it."""

    start: date | None
    end: date | None
    label: str = ""

    def as_of(self, source: str, text: str) -> AsOf:
        return AsOf(
            start=self.start.isoformat() if self.start else None,
            end=self.end.isoformat() if self.end else None,
            source="stated" if source == "stated" else "document", text=text,
            label=None if self.start else (self.label or None),
        )


def parse_day(text: str | None) -> date | None:
    """An ISO day, or None for anything else (a month-day label, nothing)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def span_of(as_of: AsOf | None) -> Span | None:
    """The range of days an AsOf covers, or its label when it has no calendar date."""
    if as_of is None:
        return None
    start, end = parse_day(as_of.start), parse_day(as_of.end)
    if start and end:
        return Span(start, end)
    return Span(None, None, (as_of.label or "").lower())


def disjoint(a: AsOf | None, b: AsOf | None) -> bool:
    """Two times that cannot be the same moment; unknown or unanchored against dated is not disjoint.

    A period one side states ("Q3 2026") against the other side's document date is not a
    change over time: a report dated after a quarter tells of that quarter.
    """
    x, y = span_of(a), span_of(b)
    if x is None or y is None or a is None or b is None:
        return False
    if x.start and x.end and y.start and y.end:
        if _period_against_date(a, x, b, y) or _period_against_date(b, y, a, x):
            return False
        return x.end < y.start or y.end < x.start
    if not x.start and not y.start and x.label and y.label:
        # "monday" and "wednesday" of one story's week; "02-14" and "02-15" of a year no one named;
        # a weekday against a month-day cannot be told apart
        alike = bool(_MONTH_DAY.fullmatch(x.label)) == bool(_MONTH_DAY.fullmatch(y.label))
        return alike and x.label != y.label
    return False


_MONTH_DAY = re.compile(r"\d\d-\d\d")


def _period_against_date(a: AsOf, x: Span, b: AsOf, y: Span) -> bool:
    """A period one side states against the other side's document date (not a change over time)."""
    return a.source == "stated" and x.start != x.end and b.source == "document"


def later(a: AsOf, b: AsOf) -> int:
    """1 when `a` is after `b`, -1 when before, 0 when it cannot be told."""
    x, y = span_of(a), span_of(b)
    if x and y and x.start and y.start and x.end and y.end:
        return 1 if x.start > y.end else -1 if x.end < y.start else 0
    return 0  # weekdays with no date may fall in two weeks ("Saturday", then "Monday"): no order


_WEEKDAY_INDEX = {d: i for i, d in enumerate(dates.WEEKDAYS)}


def describe(as_of: AsOf) -> str:
    """A time in words: '2026-04-09', '2026-04-01 to 2026-04-30', or the weekday it names."""
    if as_of.start is None:
        return as_of.label or as_of.text
    return as_of.start if as_of.start == as_of.end else f"{as_of.start} to {as_of.end}"


def order_key(as_of: AsOf | None) -> tuple[int, str]:
    """Sort key of times: dated ones by day, weekdays of an undated week by weekday, unknown last."""
    span = span_of(as_of)
    if span is None:
        return (2, "")
    if span.start:
        return (0, span.start.isoformat())
    if _MONTH_DAY.fullmatch(span.label):
        return (1, f"0{span.label}")
    return (1, f"{_WEEKDAY_INDEX.get(span.label, 9)}{span.label}")


# --- times stated in a claim ---------------------------------------------------------------------

_RELATIVE = re.compile(lexicon.RELATIVE_TIMES, re.IGNORECASE)
_SMALL = {word: int(n) for word, n in lexicon.SMALL_NUMBERS.items() if 2 <= n <= 7}
_SEASON = re.compile(rf"\b(?P<part>{lexicon.PARTS_OF_A_YEAR})[-\s]+(?P<year>{_YEAR})\b", re.I)
_QUARTER = re.compile(
    rf"\b(?:Q(?P<q>[1-4])|(?P<qo>{'|'.join(dates.QUARTER_ORDINALS)})[-\s]quarter(?:\s+of)?)\s+(?P<year>{_YEAR})\b",
    re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH})\s+(?:of\s+)?(?P<year>{_YEAR})\b", re.IGNORECASE)
_BARE_YEAR = re.compile(rf"\b(?P<year>{_YEAR})\b")
# a time that opens a span rather than dates a reading: "since it opened on Friday"
_STARTS = re.compile(rf"\b(?:{lexicon.SPAN_OPENERS})\b[^,;.]{{0,30}}$", re.I)
# A time attached to a reporting verb ("officials said on Tuesday", "figures released on Sunday
# morning", "told the Courier last night") dates the report; a time attached to the figure's own
# verb ("visited on Saturday") dates the figure, and wins when both are there.
REPORTED = re.compile(rf"\b(?:{lexicon.REPORTING_WORDS})\b[^.;:!?]{{0,45}}$", re.I)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _relative(m: re.Match[str], reference: date | None, month_day: str | None = None) -> Span | None:
    """A relative expression as days, counted back from the document's date; against a document
    dated by month and day alone (`month_day`), a day counted back is a month-day label too."""
    g = m.groupdict()
    if month_day is not None and not g["weekday"]:
        return _relative_month_day(g, month_day)
    if g["weekday"]:
        name = g["weekday"].lower()
        if reference is None:
            return Span(None, None, name)
        back = (reference.weekday() - _WEEKDAY_INDEX[name]) % 7
        day = reference - timedelta(days=back)
        return Span(day, day)
    if reference is None:
        return None
    if g["today"] or g["clock"]:
        return Span(reference, reference)
    if g["yesterday"]:
        day = reference - timedelta(days=1)
        return Span(day, day)
    monday = reference - timedelta(days=reference.weekday())
    if g["lastweek"]:
        return Span(monday - timedelta(days=7), monday - timedelta(days=1))
    if g["thisweek"]:
        return Span(monday, reference)
    if g["lastmonth"]:
        last = reference.replace(day=1) - timedelta(days=1)
        return Span(last.replace(day=1), last)
    if g["thismonth"]:
        return Span(reference.replace(day=1), reference)
    if g["lastyear"]:
        return Span(date(reference.year - 1, 1, 1), date(reference.year - 1, 12, 31))
    if g["thisyear"]:
        return Span(date(reference.year, 1, 1), reference)
    if g["ago"]:
        n = int(g["ago"]) if g["ago"].isdigit() else _SMALL[g["ago"].lower()]
        days = n * (7 if g["unit"].lower() == "week" else 1)
        day = reference - timedelta(days=days)
        return Span(day, day)
    return None


def _relative_month_day(g: dict[str, str | None], month_day: str) -> Span | None:
    """Today, yesterday, overnight and days ago against a month-day with no year: counted in a leap
    year (any 29 February stays possible), kept as a month-day label; weeks, months and years
    need a year and are not read."""
    proxy = parse_day(f"2000-{month_day}")
    if proxy is None:
        return None
    back = 0 if g["today"] or g["clock"] else 1 if g["yesterday"] else None
    if g["ago"] and g["unit"] and g["unit"].lower() == "day":
        back = int(g["ago"]) if g["ago"].isdigit() else _SMALL[g["ago"].lower()]
    if back is None:
        return None
    return Span(None, None, (proxy - timedelta(days=back)).strftime("%m-%d"))


def _calendar_day(m: re.Match[str], reference: date | None) -> Span:
    day = dates.normalize_date(m)
    if len(day) == 5 and reference is not None:
        candidate = parse_day(f"{reference.year}-{day}")
        if candidate and candidate > reference + timedelta(days=31):
            candidate = parse_day(f"{reference.year - 1}-{day}")  # "Dec 30" in a January report
        if candidate:
            return Span(candidate, candidate)
    parsed = parse_day(day)
    return Span(parsed, parsed) if parsed else Span(None, None, day)


def _period(text: str) -> Span | None:
    """Quarters, months of a year, parts of a year ('early 2026') and bare years as ranges."""
    m = _QUARTER.search(text)
    if m:
        q = int(m.group("q")) if m.group("q") else dates.QUARTER_ORDINALS[m.group("qo").lower()]
        year = int(m.group("year"))
        return Span(date(year, 3 * q - 2, 1), _month_end(year, 3 * q))
    m = _MONTH_YEAR.search(text)
    if m:
        year, month = int(m.group("year")), dates.month_number(m.group("month"))
        return Span(date(year, month, 1), _month_end(year, month))
    m = _SEASON.search(text)
    if m:
        year, part = int(m.group("year")), " ".join(m.group("part").lower().split())
        months = {"early": (1, 4), "the start of": (1, 3), "mid": (5, 8), "late": (9, 12), "the end of": (10, 12)}[part]
        return Span(date(year, months[0], 1), _month_end(year, months[1]))
    m = _BARE_YEAR.search(text)
    if m:
        year = int(m.group("year"))
        return Span(date(year, 1, 1), date(year, 12, 31))
    return None


def _reported(text: str, start: int) -> bool:
    return bool(REPORTED.search(text[max(0, start - 60):start]))


def stated_time(text: str, reference: date | None, periods: bool = True,
                month_day: str | None = None) -> tuple[Span, str] | None:
    """The time one piece of text states: the last dated reading in it, with the words it came from.

    Calendar dates come first, then relative expressions, then (when `periods`) quarters,
    months and years. A time that opens a span ("since it opened on Friday") is not when
    the figure was read; a time of the report ("officials said on Tuesday") counts only when
    the text states no other.
    """
    text = text[:2000]
    readings: list[tuple[bool, int, Span, str]] = []
    for m in dates.FULL_DATE.finditer(text):
        if not _STARTS.search(text[max(0, m.start() - 40):m.start()]):
            readings.append((_reported(text, m.start()), m.start(), _calendar_day(m, reference), m.group(0)))
    if not readings:
        for m in _RELATIVE.finditer(text):
            if _STARTS.search(text[max(0, m.start() - 40):m.start()]):
                continue
            found = _relative(m, reference, month_day)
            if found is not None:
                readings.append((_reported(text, m.start()), m.start(), found, m.group(0)))
    own = [r for r in readings if not r[0]] or readings
    if own:
        _, _, span, words = own[-1]
        return span, words
    period = _period(text) if periods else None
    return (period, text.strip()[:80]) if period else None


# a cheap first look: most quotes name no time, and need not be parsed for one
_MAY_STATE_A_TIME = re.compile(
    rf"\b(?:{_MONTH}|{lexicon.TIME_WORDS})\b"
    r"|\d\s?(?:a\.?m|p\.?m)|\d{4}-\d\d-\d\d",
    re.IGNORECASE,
)


def _around_value(quote: str, value: str) -> str:
    """The part of a quote that speaks of the claim's own figure: between the figures before and
    after it ("rose to $610 million, compared with $540 million a year ago": the year ago is the
    $540 million's). Without a figure, the quote with the value itself taken out."""
    quote = quote[:2000]
    own = numbers.own_quantity(quote, value)
    if own is not None:
        mine, found = own
        begin = max((q.end for q in found if q.end <= mine.start), default=0)
        end = min((q.start for q in found if q.start >= mine.end), default=len(quote))
        return quote[begin:mine.start] + " " + quote[mine.end:end]
    return quote.replace(value, " ") if value.strip() else quote


_SET_OFF = re.compile(lexicon.SET_OFF_RELATIVE, re.IGNORECASE)  # "the plant, which opened in 1974, produced"


def _aside_before(quote: str, value: str) -> str:
    """The relative clauses set off by commas that close before the claim's figure, lower-cased:
    they speak of something else ("The plant, which opened in 1974, produced 240,000 gearboxes").
    A figure inside such a clause ("The bank, which reported $2 billion in 2025, said") is not
    aside from its own words: the clause has not closed when the figure comes."""
    own = numbers.own_quantity(quote[:2000], value)
    if own is None:
        return ""
    mine, found = own
    begin = max((q.end for q in found if q.end <= mine.start), default=0)
    return " ".join(m.group(0) for m in _SET_OFF.finditer(quote[begin:mine.start])).lower()


def claim_as_of(value: str, conditions: list[str], quote: str, document_date: str | None) -> AsOf | None:
    """When a claim holds: stated in its conditions, else in its quote, else the document's date.

    A time that is the claim's value ("launch date: April 8") says what is claimed, not when
    the claim holds, so it is taken out first. Quarters, months and years count only in
    the conditions: in running text they are as often what a figure is about ("a contract
    until 2030") as when it was read.
    """
    reference = parse_day(document_date)
    month_day = document_date if document_date and len(document_date) == 5 else None
    aside = _aside_before(quote, value)
    texts = [(c, True) for c in conditions if c.strip().lower() != value.strip().lower()
             and not (c.strip() and c.strip().lower() in aside)]  # not "the plant, which opened in 1974,"
    if _MAY_STATE_A_TIME.search(quote[:2000]):
        texts.append((_around_value(quote, value), False))
    for text, periods in texts:
        found = stated_time(text, reference, periods, month_day)
        if found is not None:
            span, words = found
            return span.as_of("stated", words)
    if document_date:
        day = parse_day(document_date)
        span = Span(day, day) if day else Span(None, None, document_date)
        return span.as_of("document", "the document's date")
    return None
