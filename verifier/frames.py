"""A figure's frame: the moment or period it holds for, its status and its basis.

Two documents may both be right about "the same" figure when they speak of it in different
frames: a count with 60% of sites in against the final count, an overnight toll against the
next evening's, February's index against January's, a move in early trading against the
close, an analysts' expectation against the result, 1,200 a week against 62,400 a year. Code
reads the frame from the claim's conditions first (an extractor's own reading of them), then
from the words next to the claim's own figure in its quote (between the figures before and
after it, nearest first), and comparison flags only figures whose frames match.

Everything here is language: words for status (forecast, provisional, final), for parts of a
day or a trading session, for rates and totals. No list names the things of one topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import cast

from . import dates, lexicon, numbers, timing
from .models import Frame, Status

# --- the words next to a figure ------------------------------------------------------------------


@dataclass(frozen=True)
class Near:
    """The words of a quote on either side of a claim's own figure, up to the next figure or clause
    break on each side: what the figure's frame is read from."""

    before: str
    after: str
    sentence: str = ""

    def around(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        """Every match on either side, nearest first on each."""
        return [*reversed(list(pattern.finditer(self.before))), *pattern.finditer(self.after)]

    def last_before(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        """The match closest to the figure before it."""
        found = None
        for m in pattern.finditer(self.before):
            found = m
        return found

    def nearest(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        """The match closest to the figure: the last one before it or the first after it."""
        last_before = None
        for m in pattern.finditer(self.before):
            last_before = m
        first_after = pattern.search(self.after)
        if last_before is None:
            return first_after
        if first_after is None:
            return last_before
        return last_before if len(self.before) - last_before.end() <= first_after.start() else first_after


_CLAUSE_END = re.compile(lexicon.CLAUSE_END)
# A fronted clause of concession or contrast, or a relative clause set off by commas, speaks of
# something else: "Despite forecasts of rain, 30,000 attended"; "The bank, which had forecast a
# loss, reported a profit of $2 billion".
_FRONTED = re.compile(rf"^\s*(?:{lexicon.FRONTED})\b[^,]*,", re.IGNORECASE)
_RELATIVE = re.compile(lexicon.SET_OFF_RELATIVE, re.IGNORECASE)
# After a figure, a subordinate clause tells of something else: "1.4% higher after surrendering a
# morning rally", "0.8% as meteorologists said the front expected next week would pass".
_SUBORDINATE = re.compile(rf"\b(?:{lexicon.SUBORDINATE})\b", re.IGNORECASE)
# After a figure, a comparison opens words about what it is compared with, not about the figure:
# "6.8, lower than the institute's initial estimate"; "in line with what analysts had pencilled in".
_COMPARISON = re.compile(rf"\b(?:{lexicon.COMPARISON})\b")
# Between two figures, words after one of these belong to the later figure, words before to the
# earlier: "rose 7% in early trading, closing down 4%"; "0.4% in February, after 0.2% a month before".
_SHARED_BREAK = re.compile(lexicon.SHARED_BREAK)


def near_figure(quote: str, value: str) -> Near:
    """The words around the claim's figure in its quote, cut at the neighbouring figures and at
    clause breaks: in 'fell 9% in early trading before closing down 4%', the early trading is
    the 9%'s and the close the 4%'s. Without a figure, the quote with the value taken out."""
    quote = quote[:2000]
    own = numbers.own_quantity(quote, value)
    if own is not None:
        mine, found = own
        previous = max((q.end for q in found if q.end <= mine.start), default=None)
        following = min((q.start for q in found if q.start >= mine.end), default=None)
        before = quote[previous if previous is not None else 0:mine.start]
        after = quote[mine.end:following if following is not None else len(quote)]
        if previous is None:
            before = _RELATIVE.sub(", ", _FRONTED.sub("", before))
        breaks = list((_SHARED_BREAK if previous is not None else _CLAUSE_END).finditer(before))
        before = before[breaks[-1].end():] if breaks else before
        ends = (_SHARED_BREAK if following is not None else _CLAUSE_END, _COMPARISON, _SUBORDINATE)
        cuts = [m.start() for pattern in ends for m in [pattern.search(after)] if m]
        after = after[:min(cuts)] if cuts else after
        return Near(" " + before, after + " ", quote)
    index = quote.lower().find(value.strip().lower()) if value.strip() else -1
    if index >= 0:
        return Near(" " + quote[:index], quote[index + len(value.strip()):] + " ", quote)
    return Near(" " + quote, " ", quote)


# --- status -----------------------------------------------------------------------------------------

# A comparison with an expectation is not the figure's own status: "rose 5%, more than expected".
_COMPARED = re.compile(lexicon.COMPARED, re.IGNORECASE)
# How much of a count is in: "with 60% of sites counted", "with two thirds of ballots counted",
# "with most precincts reporting". A count's coverage is said once for its whole sentence.
_COVERAGE = lexicon.COVERAGE
_STATUS_WORDS = cast(tuple[tuple[Status, str], ...], lexicon.STATUS_WORDS)
# Verbs of a future or an intention say so of the figure they govern, which follows them: "expects
# 1.2 million visitors", "will hire 40 teachers", not "which has 1.2 million members, expects to publish".
_STATUS_VERBS = cast(tuple[tuple[Status, str], ...], lexicon.STATUS_VERBS)
_STATUS = tuple((status, re.compile(pattern, re.IGNORECASE)) for status, pattern in _STATUS_WORDS)
_VERBS = tuple((status, re.compile(pattern, re.IGNORECASE)) for status, pattern in _STATUS_VERBS)
_COUNTED = re.compile(_COVERAGE, re.IGNORECASE)


def read_status(texts: list[str], near: Near) -> tuple[Status, str | None, str]:
    """(status, how much a partial count covers, the words read): conditions first, then the
    quote's words nearest the figure; the first status in the order above wins within each."""
    for text in texts:
        for status, pattern in (*_STATUS, *_VERBS):
            m = pattern.search(text)
            if m and not _COMPARED.search(text[:m.start()]):
                return status, _counted(text) if status == "partial" else None, m.group(0)
    best: tuple[int, Status, re.Match[str], str] | None = None
    candidates = [(status, near.nearest(pattern)) for status, pattern in _STATUS]
    candidates += [(status, near.last_before(pattern)) for status, pattern in _VERBS]
    for status, m in candidates:
        if m is None:
            continue
        side = near.before if m.string is near.before else near.after
        if _COMPARED.search(side[:m.start()]):
            continue
        distance = len(near.before) - m.end() if m.string is near.before else m.start()
        if best is None or (distance, _rank(status)) < (best[0], _rank(best[1])):
            best = (distance, status, m, side)
    if best is None:
        whole = near.sentence
        m = _COUNTED.search(whole)  # "With 60% of ballots counted, A had 52.1% and B 47.9%": every figure's
        return ("partial", _counted(whole), m.group(0)) if m else ("reported", None, "")
    _, status, m, side = best
    return status, _counted(side) if status == "partial" else None, m.group(0)


_RANK = {status: n for n, (status, _) in enumerate((*_STATUS_WORDS, *_STATUS_VERBS))}


def _rank(status: Status) -> int:
    """Of two statuses read at one distance, the one listed first wins (a partial count over a final)."""
    return _RANK[status]


def _counted(text: str) -> str | None:
    """How much of a count is in, as the text says it: '74% of precincts reporting'."""
    m = _COUNTED.search(text)
    return re.sub(r"^with\s+", "", " ".join(m.group(0).split()), flags=re.IGNORECASE) if m else None


# --- moment within a day -----------------------------------------------------------------------------

_MOMENT_WORDS = lexicon.MOMENT_WORDS
_MOMENTS = tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _MOMENT_WORDS)
# the order of a day: a reading later in it may differ from an earlier one without contradiction
MOMENT_ORDER = lexicon.MOMENT_ORDER


def read_moment(texts: list[str], near: Near) -> tuple[str | None, str]:
    """The part of a day or trading session a figure was read at, and the words it came from."""
    for text in texts:
        for name, pattern in _MOMENTS:
            m = pattern.search(text)
            if m:
                return name, m.group(0)
    best: tuple[int, str, str] | None = None
    for name, pattern in _MOMENTS:
        for m in near.around(pattern):
            if timing.REPORTED.search(m.string[max(0, m.start() - 60):m.start()]):
                continue  # "figures released on Sunday morning": the report's time, not the figure's
            distance = len(near.before) - m.end() if m.string is near.before else m.start()
            if best is None or distance < best[0]:
                best = (distance, name, m.group(0))
    return (best[1], best[2]) if best else (None, "")


# --- basis ---------------------------------------------------------------------------------------------

_PER_TIME = lexicon.PER_TIME
_ADVERBS = lexicon.RATE_ADVERBS
_RATE = re.compile(lexicon.RATE, re.IGNORECASE)
_SLASH = lexicon.RATE_ABBREVIATIONS
_PER_UNIT = re.compile(lexicon.PER_UNIT, re.IGNORECASE)
_CAPITA = lexicon.PER_PERSON
_CUMULATIVE = re.compile(rf"\b(?:{lexicon.TOTAL_SO_FAR}|since\s+(?:{lexicon.COUNTED_FROM}|"
                         rf"(?:early|late|mid-?)?(?:{dates.MONTH_PATTERN})))\b", re.IGNORECASE)


def read_basis(texts: list[str], near: Near) -> tuple[str | None, str]:
    """'per week', 'per share', 'per capita', 'cumulative', or None for a figure of its own period."""
    for source in [*texts, near.before + " " + near.after]:
        m = _RATE.search(source)
        if m:
            return "per " + _rate_unit(m), m.group(0)
        m = _PER_UNIT.search(source)
        if m:
            noun = m.group("noun").lower()
            return ("per capita" if noun in _CAPITA else f"per {noun}"), m.group(0)
        m = _CUMULATIVE.search(source)
        if m:
            return "cumulative", m.group(0)
    return None, ""


def _rate_unit(m: re.Match[str]) -> str:
    """The period of a matched rate: 'week' of 'a week', '/wk' or 'weekly'."""
    if m.group("unit"):
        unit = m.group("unit").lower()
        return "year" if unit == "annum" else unit
    if m.group("slash"):
        unit = m.group("slash").lower()
        return _SLASH.get(unit, unit)
    if m.group("adverb"):
        return _ADVERBS[m.group("adverb").lower()]
    return "year"  # p.a., a-year


def per_year(basis: str | None) -> float | None:
    """How many times a rate per its period fits in a year ('per week' -> 52.18); None for other bases."""
    if basis is None or not basis.startswith("per "):
        return None
    return _PER_TIME.get(basis[4:])


# --- period ----------------------------------------------------------------------------------------------

_MONTH_NAMES = lexicon.FULL_MONTHS
_IN_PERIOD = re.compile(lexicon.IN_PERIOD)
# a period after one of these is what a change is measured against, not what the figure covers:
# "up 3.1% from a year earlier", "against the same month a year before"
_BASE = re.compile(lexicon.BASE, re.IGNORECASE)
_BEFORE_SPAN = re.compile(rf"\b(?:{lexicon.BEFORE_SPAN})\s+$", re.IGNORECASE)


def read_period(texts: list[str], near: Near, reference: date | None, ahead: bool = False) -> tuple[str | None, str]:
    """The period a figure covers ('February 2026', 'Q3 2026', '2025'), from a preposition and a
    month, quarter, half or year next to it (or, failing that, the one period its sentence names);
    relative ones ('last month') resolved against the document's date. Conditions may name the
    period bare ('Q2 2026'). A period a change is measured against is not the figure's."""
    stated = [(text, found[0]) for text in texts if (found := dates.parse_periods(text))]
    if stated:  # of several, the one in the figure's own clause: not "the plant, which opened in 1974,"
        text, period = next((s for s in stated if _in_clause(s[0], near)), stated[0])
        return _period_text(period, text, reference), text.strip()
    own = [m for m in near.around(_IN_PERIOD) if _is_period(m)]
    if not own:  # "rose 0.6% in March, ..., taking the average price to £287,450": March's too
        whole = {(_describe_period(m, reference, ahead), m.group(0)) for m in _IN_PERIOD.finditer(near.sentence)
                 if _is_period(m) and _within_the_year(m) and not _RELATIVE_CLAUSE.search(
                     near.sentence[max(0, m.start() - 40):m.start()])}
        if len({p for p, _ in whole}) != 1:
            return None, ""
        return next(iter(whole))
    m = min(own, key=lambda m: len(near.before) - m.end() if m.string is near.before else m.start())
    if m.group("relative") and _ANCHORED.search(m.group("relative")):
        anchor = _anchor(near.sentence, reference)
        if anchor is not None:  # "0.7% in October, after 0.4% the month before": September's
            return _previous(anchor), m.group(0)
    return _describe_period(m, reference, ahead), m.group(0)


_ANCHORED = re.compile(rf"\b(?:{lexicon.ANCHORED})\b", re.IGNORECASE)


def _in_clause(text: str, near: Near) -> bool:
    """Whether a condition's words stand in the figure's own clause, as `near_figure` cut it."""
    words = text.strip().lower()
    return bool(words) and (words in near.before.lower() or words in near.after.lower())


def _anchor(sentence: str, reference: date | None) -> tuple[str, int | None, int | None] | None:
    """The month or quarter a sentence names, which 'the month before' counts back from."""
    for m in _IN_PERIOD.finditer(sentence):
        if not m.group("relative") and _is_period(m) and _within_the_year(m):
            return _period_key(_describe_period(m, reference))
    return None


def _previous(key: tuple[str, int | None, int | None]) -> str:
    """The period before a month, quarter or half, in words: 'September 2026' before October."""
    kind, index, year = key
    if kind == "month" and index:
        month, year = (12, year - 1 if year else None) if index == 1 else (index - 1, year)
        name = dates.MONTHS[month - 1].capitalize()
        return f"{name} {year}" if year else name
    if kind in ("quarter", "half") and index:
        last = 4 if kind == "quarter" else 2
        letter = "Q" if kind == "quarter" else "H"
        number, year = (last, year - 1 if year else None) if index == 1 else (index - 1, year)
        return f"{letter}{number} {year}" if year else f"{letter}{number}"
    return str(year - 1) if year else "the previous year"


_RELATIVE_CLAUSE = re.compile(rf"\b(?:{lexicon.RELATIVE_CLAUSE})\b[^,;]*$", re.IGNORECASE)


def _within_the_year(m: re.Match[str]) -> bool:
    """A month, quarter or half: what a sentence's other figures may share (a year they seldom do)."""
    if m.group("month") or m.group("named") or m.group("owned"):
        return True
    return bool(re.match(rf"(?:{'|'.join(dates.QUARTER_ORDINALS)}|Q|H)", m.group("what") or "", re.IGNORECASE))


def _is_period(m: re.Match[str]) -> bool:
    """Not a base a change is measured against, and a month named alone not the start of a span."""
    before = m.string[max(0, m.start() - 40):m.start()]
    return not (_BASE.search(before) or ((m.group("named") or m.group("owned")) and _BEFORE_SPAN.search(before)))


def _describe_period(m: re.Match[str], reference: date | None, ahead: bool = False) -> str:
    """A matched period in words, resolved against the document's date (forwards for a forecast)."""
    if m.group("relative"):
        return _relative_period(m.group("relative"), reference)
    if m.group("span"):
        span = " ".join(m.group("span").lower().split()).replace("financial year", "full year")
        return f"the {span}" + (f" to {m.group('to')}" if m.group("to") else "")
    month_name = m.group("month") or m.group("named") or m.group("owned")
    what = m.group("what") or month_name
    if month_name and not re.search(r"(?:19|20)\d\d", what):
        year = _year_of_month(dates.month_number(month_name), reference, ahead)
        return f"{month_name} {year}" if year else month_name
    found = dates.parse_periods(what)
    return _period_text(found[0], what, reference) if found else what


def _period_text(period: dates.Period, text: str, reference: date | None) -> str:
    if period.kind == "prior":
        return _relative_period(text, reference)
    if period.kind == "month" and period.index:
        name = dates.MONTHS[period.index - 1].capitalize()
        year = period.year or _year_of_month(period.index, reference)
        return f"{name} {year}" if year else name
    if period.kind == "quarter" and period.index:
        return f"Q{period.index} {period.year}" if period.year else f"Q{period.index}"
    if period.kind == "half" and period.index:
        return f"H{period.index} {period.year}" if period.year else f"H{period.index}"
    if period.kind == "fiscal":
        return f"fiscal {period.year}" if period.year else "fiscal year"
    return str(period.year) if period.year else " ".join(text.split())[:40]


def _year_of_month(month: int, reference: date | None, ahead: bool = False) -> int | None:
    """A month named without a year is the latest such month up to a month after the document's date;
    for a forecast or a plan (`ahead`), the next such month from it."""
    if reference is None:
        return None
    if ahead:
        return reference.year if month >= reference.month else reference.year + 1
    return reference.year if month <= reference.month + 1 else reference.year - 1


def _relative_period(text: str, reference: date | None) -> str:
    words = " ".join(text.lower().split())
    unit = next((u for u in ("month", "quarter", "year") if u in words), "year")
    back = 0 if words.startswith("this") else 1
    label = f"{'the previous' if back else 'this'} {unit}"
    if reference is None:
        return label
    if unit == "year":
        return str(reference.year - back)
    if unit == "month":
        month, year = reference.month - back, reference.year
        if month == 0:
            month, year = 12, year - 1
        return f"{dates.MONTHS[month - 1].capitalize()} {year}"
    quarter = (reference.month - 1) // 3 + 1 - back
    year = reference.year
    if quarter == 0:
        quarter, year = 4, year - 1
    return f"Q{quarter} {year}"


# --- the frame -------------------------------------------------------------------------------------------


def read_frame(value: str, attribute: str, conditions: list[str], quote: str, document_date: str | None) -> Frame:
    """A claim's frame: conditions (and the attribute's own words) first, then its quote near the figure."""
    near = near_figure(quote, value)
    texts = [c for c in conditions if c.strip()] + [attribute]
    reference = timing.parse_day(document_date)
    status, counted, status_words = read_status(texts, near)
    moment, moment_words = read_moment(conditions, near)
    basis, basis_words = read_basis([*texts, value], near)
    period, period_words = read_period(conditions, near, reference, ahead=status in PROSPECTIVE)
    words = [w for w in (status_words, counted or "", moment_words, basis_words, period_words) if w]
    return Frame(moment=moment, period=period, status=status, counted=counted, basis=basis,
                 words=list(dict.fromkeys(" ".join(w.split()) for w in words)))


# --- frames side by side ----------------------------------------------------------------------------------

# statuses that say the figure is not (yet) the outcome: against an outcome they explain a difference
PROSPECTIVE = frozenset({"forecast", "expectation", "target", "plan"})
INCOMPLETE = frozenset({"partial", "provisional"})
# two statuses one figure may be given under by different writers: a reported figure is often an
# estimate or the final one without saying so, and a body's forecast, plan and target are one intention
_ONE_FRAME = (frozenset({"reported", "estimate"}), frozenset({"reported", "final"}),
              frozenset({"forecast", "plan", "target"}))


def status_difference(a: Frame, b: Frame) -> str | None:
    """Why two statuses may differ without contradiction, or None when they are one status."""
    pair = frozenset({a.status, b.status})
    if len(pair) == 1:
        if a.status == "partial" and a.counted and b.counted and a.counted != b.counted:
            return f"partial counts at different stages ({a.counted} vs {b.counted})"
        return None
    if any(pair <= group for group in _ONE_FRAME):
        return None
    prospective = [f for f in (a, b) if f.status in PROSPECTIVE]
    incomplete = [f for f in (a, b) if f.status in INCOMPLETE]
    if len(prospective) == 1:
        return f"{_a(prospective[0].status)} against an outcome"
    if len(incomplete) == 1:
        return f"{_a(incomplete[0].status)} against a later or fuller one"
    if "revised" in pair:
        return "a revised figure against an earlier one"
    return f"{_a(a.status)} against {_a(b.status)}"


def _a(status: Status) -> str:
    """A status with its article: 'a partial count', 'an expectation'."""
    word = {"partial": "partial count", "provisional": "provisional figure", "reported": "reported figure",
            "final": "final figure", "revised": "revised figure"}.get(
        status, status)
    return ("an " if word[0] in "aeiou" else "a ") + word


def basis_difference(a: Frame, b: Frame, percent: bool = False) -> str | None:
    """Why two bases may differ without contradiction. Rates of time compare once converted (1,200 a
    week and 62,400 a year), and a rate against a total over a stated period (62,400 in 2025); a
    percentage change per quarter is not one per year, a figure per share or per person is not a
    total, and a running total is not one period's."""
    if a.basis == b.basis:
        return None
    if a.basis is not None and b.basis is not None:
        if per_year(a.basis) is not None and per_year(b.basis) is not None and not percent:
            return None
        return f"{a.basis} against {b.basis}"
    stated, other = (a, b) if a.basis is not None else (b, a)
    basis = stated.basis or ""
    if basis == "cumulative":
        return f"a running total against {other.period}" if other.period else None
    if per_year(basis) is not None and not percent and years_of(other.period) is not None:
        return None
    return f"{basis} against a figure with no basis stated"


def years_of(period: str | None) -> float | None:
    """How much of a year a stated period covers: a year 1, a half 0.5, a quarter 0.25, a month 1/12."""
    if not period:
        return None
    key = _period_key(period)
    if key is not None:
        return {"year": 1.0, "half": 0.5, "quarter": 0.25, "month": 1 / 12}[key[0]]
    words = period.lower()
    for word, share in (("year", 1.0), ("half", 0.5), ("quarter", 0.25), ("month", 1 / 12), ("fiscal", 1.0)):
        if word in words and not re.search(r"\bto\b", words):
            return share
    return None


def moment_difference(a: Frame, b: Frame) -> str | None:
    """Two parts of one day (early trading and the close, overnight and the evening)."""
    if a.moment is None or b.moment is None or a.moment == b.moment:
        return None
    if MOMENT_ORDER.get(a.moment) == MOMENT_ORDER.get(b.moment):
        return None
    return f"{a.moment} against {b.moment}"


def period_difference(a: Frame, b: Frame) -> str | None:
    """Two different periods ('February 2026' against 'January 2026'); a month, quarter or half
    named without a year is the same period as one named with it."""
    if a.period is None or b.period is None or a.period == b.period:
        return None
    x, y = _period_key(a.period), _period_key(b.period)
    if x is not None and y is not None and x[0] == y[0] and all(p is None or q is None or p == q
                                                                 for p, q in zip(x[1:], y[1:], strict=True)):
        return None
    return f"{a.period} against {b.period}"


def _period_key(text: str) -> tuple[str, int | None, int | None] | None:
    """('month', 2, 2026) for 'February 2026', ('quarter', 3, None) for 'Q3', ('year', None, None) for
    'the full year', None for anything else (a span to a month, a season: compared as written)."""
    spans = {"the year": ("year", None), "the full year": ("year", None), "the whole year": ("year", None),
             "the calendar year": ("year", None), "the fiscal year": ("year", None), "the quarter": ("quarter", None),
             "the month": ("month", None), "the first half": ("half", 1), "the second half": ("half", 2),
             "the half year": ("half", None), "the half-year": ("half", None)}
    if text in spans:
        kind, index = spans[text]
        return kind, index, None
    m = re.fullmatch(rf"({_MONTH_NAMES})(?:\s+((?:19|20)\d\d))?", text)
    if m:
        return "month", dates.month_number(m.group(1)), int(m.group(2)) if m.group(2) else None
    m = re.fullmatch(r"([QH])([1-4])(?:\s+((?:19|20)\d\d))?", text)
    if m:
        return ("quarter" if m.group(1) == "Q" else "half"), int(m.group(2)), int(m.group(3)) if m.group(3) else None
    m = re.fullmatch(r"((?:19|20)\d\d)", text)
    return ("year", None, int(m.group(1))) if m else None


def on_one_basis(quantity: numbers.Quantity, frame: Frame | None, other: Frame | None) -> numbers.Quantity:
    """A rate of time restated per year when the other side is a rate of another period, or over the
    other side's stated period when that side states a total for one (never a percentage)."""
    if frame is None or other is None or frame.basis == other.basis or quantity.dimension == "percent":
        return quantity
    mine, theirs = per_year(frame.basis), per_year(other.basis)
    if mine is None:
        return quantity
    if theirs is not None:
        return numbers.scaled(quantity, mine, f"{quantity.stated} {frame.basis} (×{mine:g} a year)")
    span = years_of(other.period)
    if other.basis is None and span is not None:
        factor = mine * span
        return numbers.scaled(quantity, factor, f"{quantity.stated} {frame.basis} (×{factor:g} over {other.period})")
    return quantity
