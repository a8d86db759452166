"""Quantities: parse them from text and compare them, without an LLM.

Numbers are where documents disagree most often and where a model is least to be
trusted, so every figure in a finding comes from here: the text is parsed, units and
scale words are normalised ("$4,200 million" equals "$4.2 billion"), and equality allows
for the precision the text states ("3 billion" covers 3.3 billion; 80.5 and 80.4 differ).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from . import dates, lexicon

Bound = Literal["exact", "approx", "at_least", "at_most"]

SCALES = lexicon.SCALES
_WORD_SCALES = lexicon.WORD_SCALES
# a currency by its symbol, ISO code or name, lower-cased: what `cur` and `cur2` below matched
CURRENCIES = {**{symbol.lower(): code for symbol, code in lexicon.CURRENCY_SYMBOLS.items()},
              **{code.lower(): code for code in lexicon.CURRENCY_CODES}, **lexicon.CURRENCY_NAMES}
UNITS = {**lexicon.UNITS, **lexicon.MORE_UNITS}

_APPROX = lexicon.APPROXIMATORS
_LOWER = lexicon.LOWER_BOUNDS
_UPPER = lexicon.UPPER_BOUNDS
_NEARLY = lexicon.NEARLY

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_UNIT_WORDS = sorted(UNITS, key=len, reverse=True)
_LONG_UNITS = "|".join(re.escape(u) for u in _UNIT_WORDS if u not in ("%", "°"))
# "24C", "75F", "5.6 Mt", "300 kt": in this case only, and not the start of a longer token ("F-35")
_CASED_UNITS = "|".join(sorted(lexicon.CASED_UNITS, key=len, reverse=True))
_SYMBOLS = "|".join(re.escape(s) for s in sorted(lexicon.CURRENCY_SYMBOLS, key=len, reverse=True))
_CODES = "|".join(sorted(lexicon.CURRENCY_CODES - lexicon.CURRENCY_CODES_ANY_CASE))
_ANY_CASE = "|".join(sorted(lexicon.CURRENCY_CODES_ANY_CASE))
_NAMES = "|".join(sorted(lexicon.CURRENCY_NAMES, key=len, reverse=True))
_QUANTITY = re.compile(
    rf"(?P<cur>(?:{_SYMBOLS})\s?|\b(?:{_ANY_CASE}|(?-i:{_CODES}))\s?)?"
    rf"(?P<num>{_NUM})"
    rf"(?:\s?(?:-|–|—|to)\s?(?:US\$|[$€£¥])?(?P<num2>{_NUM}))?"
    rf"(?P<scale>\s?(?:{'|'.join(sorted(_WORD_SCALES, key=len, reverse=True))})\b|(?:bn|mn|[kKmMbBtT])\b)?"
    rf"(?P<unit>\s?(?:%|°(?![cf]\b)|(?:{_LONG_UNITS})\b|(?-i:{_CASED_UNITS})(?![\w‑-]))"
    rf"|-(?:{_LONG_UNITS})\b(?!-old))?"  # "29-year-old" is an age
    rf"(?P<cur2>\s(?:{_NAMES})\b|\s(?-i:{_CODES}|{_ANY_CASE})\b)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    """A number as the text states it, normalised: value in canonical units, with precision."""

    value: float
    high: float | None
    unit: str
    dimension: str
    step: float
    bound: Bound
    start: int
    end: int
    text: str
    qualifier: str = ""
    rounding: float = 1.0

    @property
    def stated(self) -> str:
        """The figure as the text states it, with its qualifier: 'more than 1,200 people'."""
        return f"{self.qualifier} {self.text}".strip()

    @property
    def low(self) -> float:
        return self.value

    @property
    def top(self) -> float:
        return self.high if self.high is not None else self.value


def _to_float(token: str) -> float:
    return float(token.replace(",", ""))


def _step(token: str, approximate: bool) -> float:
    """One unit in the last stated place: 80.5 -> 0.1; about 1,200 -> 100; 1,200 -> 1."""
    token = token.replace(",", "")
    if "." in token:
        return 10.0 ** -len(token.split(".")[1])
    if approximate:
        stripped = token.rstrip("0")
        return 10.0 ** (len(token) - len(stripped)) if stripped else 1.0
    return 1.0


def _rounding(token: str) -> float:
    """How much a round figure may have been rounded: '1,200' -> 100, '1,234' or '12.5' -> 1."""
    token = token.replace(",", "")
    if "." in token:
        return 10.0 ** -len(token.split(".")[1])
    zeros = len(token) - len(token.rstrip("0"))
    return 10.0 ** zeros if zeros >= 2 and token.rstrip("0") else 1.0


# A negated comparative turns the bound round: "no more than 100" is at most 100, "not fewer than
# 40" at least 40. Read before the plain comparatives, which these phrases contain.

_NOT_ABOVE = lexicon.NOT_ABOVE
_NOT_BELOW = lexicon.NOT_BELOW


def _bound_before(text: str, start: int) -> tuple[Bound, bool, str]:
    """Read qualifiers such as 'more than' or 'about' just before a number: (bound, approximate, words)."""
    before = text[max(0, start - 30):start]
    qualifiers: tuple[tuple[str, Bound, bool], ...] = (
        (_NOT_ABOVE, "at_most", False), (_NOT_BELOW, "at_least", False),
        (_LOWER, "at_least", False), (_UPPER, "at_most", False), (_NEARLY, "at_most", True), (_APPROX, "approx", True),
    )
    for pattern, bound, approximate in qualifiers:
        m = re.search(rf"(?:\b|(?<=\s)|^)({pattern})\s*$", before, re.IGNORECASE)
        if m:
            return bound, approximate, m.group(1)
    return "exact", False, ""


def _is_name_part(text: str, start: int, end: int, has_unit: bool) -> bool:
    """Version numbers and names ('GPT-5.4', 'Claude 3.5 Sonnet', 'MATH-500', 'GPT-4o')."""
    if has_unit:
        return False
    before = text[max(0, start - 25):start]
    after = text[end:end + 2]
    if re.search(r"[A-Za-z][-‑]$", before) or re.match(r"[A-Za-z]", after):
        return True
    if re.search(r"[.\d]$|\d:$", before) or re.match(r"\s?(?:[ap]\.?m\.?\b|:\d)", text[end:end + 5], re.I):
        return True  # part of a longer token, or a time of day ("7:24 pm")
    if re.search(rf"\b(?:{_ORDINAL_NOUNS})\s$", before, re.IGNORECASE):
        return True  # "phase 3", "stage 2", "article 5"
    # a capitalised word right before ("Llama 4", "Gemini 3.1")
    m = re.search(r"(?:^|[\s(])([A-Z][\w+]*)\s$", before)
    return m is not None and m.group(1).lower() not in _NOT_NAMES



_ORDINAL_NOUNS = lexicon.ORDINAL_NOUNS
_NOT_NAMES = lexicon.NOT_NAMES


def parse_quantities(text: str, words: bool = True) -> list[Quantity]:
    """Every quantity in `text`, with dates, years and version numbers left out.

    `words=False` reads as the parser did before numbers written in words (cardinals, ordinal
    ranks, "three in ten", "a fifth"), clock durations and compound durations were read: the llm
    backend's recorded cassettes were made with that reading (see ground.py).
    Quotes are parsed when grounded and again when their time is read: short texts are cached.
    """
    return list(_parse_cached(text, words)) if len(text) <= 2000 else _parse(text, words)


@functools.lru_cache(maxsize=32768)
def _parse_cached(text: str, words: bool) -> tuple[Quantity, ...]:
    return tuple(_parse(text, words))


def _parse(text: str, words: bool = True) -> list[Quantity]:
    skip = dates.date_spans(text)
    first = _ratios(text) + _clock_durations(text, skip) if words else []
    found: list[Quantity] = list(first)
    for m in _QUANTITY.finditer(text):
        if any(s <= m.start("num") < e for s, e in skip) or any(q.start <= m.start("num") < q.end for q in first):
            continue
        quantity = _quantity_from_match(text, m)
        if quantity is not None:
            found.append(quantity)
    found += [q for q in _scale_words(text) if not any(f.start < q.end and q.start < f.end for f in found)]
    found += [q for q in _word_quantities(text, words) if not any(f.start < q.end and q.start < f.end for f in found)]
    found += [q for q in _ranks(text, words) if not any(f.start < q.end and q.start < f.end for f in found)]
    if not words:
        return _join_between(text, sorted(found, key=lambda q: q.start))
    found += [q for q in _cardinal_words(text) if not any(f.start < q.end and q.start < f.end for f in found)]
    return _join_durations(text, _join_between(text, sorted(found, key=lambda q: q.start)))


# A rank: an ordinal with a noun or verb of ranking beside it ("48th place", "ranked 12th", "finished
# third"); other ordinals are dates, periods or names ("March 1st", "the 21st century", "4th quarter").
_ORDINAL_UNITS = {word: value for word, value in lexicon.ORDINAL_WORDS.items() if value < 10}
_ORDINAL_VALUES: dict[str, int] = {
    **lexicon.ORDINAL_WORDS, **lexicon.MORE_ORDINAL_WORDS,
    **{f"{tens}{joint}{word}": tens_value + value for tens, tens_value in lexicon.CARDINAL_TENS.items()
       for word, value in _ORDINAL_UNITS.items() for joint in ("-", " ")},  # "twenty-first"
}
_ORDINAL = rf"(?:\d{{1,4}}(?:st|nd|rd|th)|{'|'.join(sorted(_ORDINAL_VALUES, key=len, reverse=True))})"
_RANK_VERBS = "|".join(sorted(lexicon.RANK_VERBS, key=len, reverse=True))
_RANK = re.compile(
    rf"\b(?:(?P<verb>{_RANK_VERBS})\s+(?:the\s+)?(?P<after_verb>{_ORDINAL})\b"
    rf"(?!\s+(?:{lexicon.NOT_A_RANK_AFTER})\b)"
    rf"|(?P<before_noun>{_ORDINAL})[\s-]+(?:{'|'.join(lexicon.RANK_NOUNS)})\b"
    # an ordinal before a superlative, after "the" or an owner: "the third-largest", "Britain's fifth biggest"
    rf"|(?:\bthe|\bits|\btheir|\bhis|\bher|['’]s)\s+(?P<before_superlative>{_ORDINAL})[\s-]+"
    rf"(?:(?:most|least)[\s-]+[a-z]+|(?P<superlative>[a-z]+))\b)",
    re.IGNORECASE,
)


def _is_superlative(word: str | None) -> bool:
    if word is None:
        return True  # "most" or "least" before an adjective
    word = word.lower()
    return word in lexicon.SUPERLATIVE_WORDS or (word.endswith("est") and word not in lexicon.NOT_SUPERLATIVES)


_RANK_ALONE = re.compile(rf"(?P<word>{_ORDINAL})", re.IGNORECASE)


def _ranks(text: str, words: bool = True) -> list[Quantity]:
    """Ranks: '48th place' is 48, in a dimension of its own (a rank is not a count); a claim's
    value 'third' stands alone (its quote said what ranks it)."""
    found = []
    whole = _RANK_ALONE.fullmatch(text.strip()) if words else None
    if whole is not None:
        word = whole.group("word")
        value = float(_ORDINAL_VALUES.get(" ".join(word.lower().split()), 0) or re.sub(r"\D", "", word))
        start = text.index(word)
        return [Quantity(value=value, high=None, unit="rank", dimension="rank", step=1.0, bound="exact",
                         start=start, end=start + len(word), text=word)]
    skip = dates.date_spans(text)
    for m in _RANK.finditer(text):
        group = next(g for g in ("after_verb", "before_noun", "before_superlative") if m.group(g))
        if group == "before_superlative" and not _is_superlative(m.group("superlative")):
            continue  # "the second test", "the third quest"
        word = m.group(group)
        if not words and (group == "before_superlative" or (" ".join(word.lower().split()) in _ORDINAL_VALUES
                          and word.lower() not in lexicon.ORDINAL_WORDS)):
            continue
        start, end = m.start(group), m.end(group)
        if any(s <= start < e for s, e in skip):
            continue
        value = float(_ORDINAL_VALUES.get(" ".join(word.lower().split()), 0) or re.sub(r"\D", "", word))
        found.append(Quantity(value=value, high=None, unit="rank", dimension="rank", step=1.0, bound="exact",
                              start=start, end=end, text=word))
    return found


# Shares and scores written in words, as ranges of percent: what the words commit to, no more.
_WORD_SHARES = {**lexicon.WORD_SHARES, **lexicon.MORE_WORD_SHARES}
_WORD_SHARE = re.compile(
    r"\b(?:" + "|".join(sorted((re.escape(w) for w in _WORD_SHARES), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_WORD_SHARE_CONTEXT = re.compile(
    rf"^\s+(?:of\b|(?:{lexicon.RESULT_NOUNS})\b)", re.IGNORECASE
)


def may_hold_quantity(text: str) -> bool:
    """A cheap test that skips most sentences without figures."""
    return (any(ch.isdigit() for ch in text) or bool(_WORD_SHARE.search(text)) or bool(_CARDINAL.search(text))
            or bool(_RANK.search(text)))


def _word_quantities(text: str, words: bool = True) -> list[Quantity]:
    """'near-perfect performance on X', 'half of the patients': shares in words, only where
    a share is what the words measure (followed by 'of' or by a word for a score)."""
    found = []
    alone = text.strip().lower()
    for m in _WORD_SHARE.finditer(text):
        if _ORDINAL_BEFORE.search(text[max(0, m.start() - 12):m.start()]):
            continue  # "the second half of 2031" is a period
        if _OF_A_SCALE.match(text[m.end():]):
            continue  # "a quarter of a million" is a figure with a scale, read by _scale_words
        if not _WORD_SHARE_CONTEXT.match(text[m.end():]) and alone != m.group(0).lower():
            continue  # a claim's value "near-perfect" stands alone; in running text the context decides
        if not words and m.group(0).lower() not in lexicon.WORD_SHARES:
            continue
        low, high = _WORD_SHARES[m.group(0).lower()]
        found.append(Quantity(
            value=low, high=high if high != low else None, unit="%", dimension="percent", step=0.1,
            bound="exact", start=m.start(), end=m.end(), text=m.group(0),
        ))
    return found


# Figures written with a word of scale: "a quarter of a million", "half a billion", "two million",
# "a thousand". A word figure is as precise as its words: a twentieth of its scale either way.
_SMALL_NUMBERS = lexicon.SMALL_NUMBERS
_FRACTIONS = lexicon.FRACTIONS
_SCALE_WORD = re.compile(
    r"\b(?P<amount>" + "|".join(sorted(map(re.escape, list(_FRACTIONS) + list(_SMALL_NUMBERS)), key=len, reverse=True))
    + rf")[\s-]+(?P<scale>{lexicon.SCALES_IN_WORDS})\b(?!\s+(?:of\s+)?(?:dollars?|euros?|pounds?)\b)?",
    re.IGNORECASE,
)


def _scale_words(text: str) -> list[Quantity]:
    """Figures written in words with a scale: 'a quarter of a million' is 250,000, give or take
    what such words commit to; 'two million' is 2,000,000 as precisely as '2 million'."""
    found = []
    for m in _SCALE_WORD.finditer(text):
        amount_word, scale_word = m.group("amount").lower(), m.group("scale").lower()
        scale = SCALES[scale_word]
        fraction = _FRACTIONS.get(amount_word)
        amount = fraction if fraction is not None else _SMALL_NUMBERS[amount_word]
        step = scale * (0.05 if fraction is not None else 1.0 if amount < 10 else 10.0)
        bound, _, qualifier = _bound_before(text, m.start())
        found.append(Quantity(
            value=amount * scale, high=None, unit="", dimension="number", step=step, bound=bound,
            start=m.start(), end=m.end(), text=m.group(0), qualifier=qualifier, rounding=step,
        ))
    return found


_ORDINAL_BEFORE = re.compile(rf"\b(?:{lexicon.ORDER_WORDS})[\s-]+$", re.IGNORECASE)
_OF_A_SCALE = re.compile(rf"^\s+(?:of\s+)?an?\s+(?:{lexicon.SCALES_IN_WORDS})\b", re.IGNORECASE)
_BETWEEN = re.compile(r"\bbetween\s*$", re.IGNORECASE)


def _join_between(text: str, found: list[Quantity]) -> list[Quantity]:
    """'between 1,000 and 1,500 people' is one range, not two figures."""
    joined: list[Quantity] = []
    i = 0
    while i < len(found):
        q = found[i]
        nxt = found[i + 1] if i + 1 < len(found) else None
        if nxt is not None and _BETWEEN.search(text[max(0, q.start - 12):q.start]) \
                and re.fullmatch(r"\s+and\s+", text[q.end:nxt.start]) and compatible(q, nxt) \
                and q.value <= nxt.value < q.value * 100:  # "between 4 and 5 billion" is not read as a range
            unit_q = q if q.unit else nxt
            joined.append(Quantity(
                value=q.value, high=nxt.top, unit=unit_q.unit, dimension=unit_q.dimension, step=max(q.step, nxt.step),
                bound="exact", start=q.start, end=nxt.end, text=text[q.start:nxt.end], qualifier="between",
                rounding=max(q.rounding, nxt.rounding),
            ))
            i += 2
            continue
        joined.append(q)
        i += 1
    return joined


_PHYSICAL_AFTER = re.compile(
    rf"\s*(?:{lexicon.EXTENT_WORDS})\b"
)


_MINUS_BEFORE = re.compile(r"(?:^|[\s(])(?:[-−–]|minus\s+)$", re.IGNORECASE)  # "-3C", "minus 3C"


def _quantity_from_match(text: str, m: re.Match[str]) -> Quantity | None:
    num, num2 = m.group("num"), m.group("num2")
    scale_word = (m.group("scale") or "").strip().lower()
    unit_word = " ".join((m.group("unit") or "").lower().lstrip("-").split())
    currency_token = (m.group("cur") or m.group("cur2") or "").strip().lower()
    currency = CURRENCIES.get(currency_token)
    if scale_word in ("m", "b", "t", "k") and not currency and not (m.group("scale") or "").strip():
        scale_word = ""
    if scale_word == "m" and not currency and unit_word == "" and _PHYSICAL_AFTER.match(text[m.end():]):
        # "10m deep" is metres; "1.2m people" is millions
        scale_word, unit_word = "", "meters"
    has_unit = bool(unit_word or currency or scale_word)
    if _is_name_part(text, m.start("num"), m.end("num") if not num2 else m.end("num2"), has_unit):
        return None
    if not has_unit and dates.is_year(num) and not num2:
        return None
    bound, approx, qualifier = _bound_before(text, m.start())
    scale = SCALES.get(scale_word, 1.0)
    if unit_word == "pounds" and (scale_word or currency):
        unit_word, currency = "", "GBP"  # "85 million pounds" is money; "200 pounds" a weight
    cased = " ".join((m.group("unit") or "").split())
    if cased in lexicon.CASED_UNITS:
        unit, dimension, factor = lexicon.CASED_UNITS[cased]
    elif unit_word in UNITS:
        unit, dimension, factor = UNITS[unit_word]
    elif currency:
        unit, dimension, factor = currency, "money", 1.0
    else:
        unit, dimension, factor = "", "number", 1.0
    approximate = approx or bool(scale_word and "." not in num)
    step = _step(num, approximate) * scale * factor
    offset = lexicon.CASED_UNIT_OFFSETS.get(cased, lexicon.UNIT_OFFSETS.get(unit_word, 0.0))  # °F from 32 below
    sign = -1.0 if dimension == "temperature" and _MINUS_BEFORE.search(text[max(0, m.start() - 8):m.start()]) else 1.0
    value = (sign * _to_float(num) + offset) * scale * factor
    high = (_to_float(num2) + offset) * scale * factor if num2 else None
    if high is not None and high < value:
        # "$115-135B" scale applies to both ends; "3-4" is a range; anything else is not
        return None
    return Quantity(
        value=value, high=high, unit=unit, dimension=dimension, step=step, bound=bound,
        start=m.start(), end=m.end(), text=("-" if sign < 0 else "") + m.group(0).strip(), qualifier=qualifier,
        rounding=_rounding(num) * scale * factor,
    )


def own_quantity(quote: str, value: str) -> tuple[Quantity, list[Quantity]] | None:
    """A claim's own figure in its quote (the one its value states, within their precision), with
    every figure of the quote; None when the value states no figure or the quote does not hold it.
    What is said next to a figure is read between it and its neighbours."""
    wanted = first_quantity(value) if value.strip() else None
    if wanted is None:
        return None
    found = parse_quantities(quote)
    mine = next((q for q in found if abs(q.value - wanted.value) <= max(q.step, wanted.step) / 2 + 1e-9), None)
    return (mine, found) if mine is not None else None


@functools.lru_cache(maxsize=65536)
def first_quantity(text: str, words: bool = True) -> Quantity | None:
    """The first quantity in a value string such as '$4.2 billion' or '58%' (values repeat: cached)."""
    found = parse_quantities(text, words)
    return found[0] if found else None


def scaled(q: Quantity, factor: float, text: str) -> Quantity:
    """A quantity multiplied by a factor of conversion (a rate per week restated per year); the
    conversion's own looseness (52 or 52.18 weeks) is allowed as a percent of the value."""
    step = max(q.step * factor, abs(q.value * factor) * 0.01)
    return Quantity(
        value=q.value * factor, high=q.high * factor if q.high is not None else None, unit=q.unit,
        dimension=q.dimension, step=step, bound=q.bound, start=q.start, end=q.end, text=text,
        qualifier="", rounding=max(q.rounding * factor, step),
    )


# --- comparison ----------------------------------------------------------------------------

Relation = Literal["agree", "differ", "incomparable"]


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing two quantities, with the reason a reviewer will read."""

    relation: Relation
    severity: Literal["major", "minor"] = "minor"
    rationale: str = ""


def compatible(a: Quantity, b: Quantity) -> bool:
    """Quantities in one dimension compare; a percentage and a bare score do too (80.5% vs 80.4)."""
    if a.dimension == b.dimension and a.unit == b.unit:
        return True
    scoreish = {"percent", "number"}
    return {a.dimension, b.dimension} <= scoreish


MINOR_RELATIVE_GAP = 0.02


def compare(a: Quantity, b: Quantity) -> Comparison:
    """Compare two figures for the same thing, allowing for stated precision and bounds."""
    if not compatible(a, b):
        return Comparison("incomparable", rationale=f"units differ ({a.unit or 'none'} vs {b.unit or 'none'})")
    tolerance = max(a.step, b.step) / 2 + 1e-9 * max(abs(a.value), abs(b.value), 1.0)
    if _consistent(a, b, tolerance):
        return Comparison("agree", rationale=f"{a.stated} and {b.stated} agree at the stated precision")
    gap = _gap(a, b)
    coarse = max(a.step, b.step)
    relative = gap / max(abs(a.value), abs(b.value), 1e-12)
    # the size of the gap decides: under 0.5%, or within one unit in the last stated place or half
    # the rounding of a round figure while under 2% (80.5 vs 80.4); "$5 billion" against "$4
    # billion" is one unit in the last place too, and a fifth of the figure: major
    near = gap <= coarse + 1e-9 or gap <= max(a.rounding, b.rounding) / 2 + 1e-9
    minor = relative < 0.005 or (near and relative < MINOR_RELATIVE_GAP)
    severity: Literal["major", "minor"] = "minor" if minor else "major"
    how = "differ"
    if minor and near:
        one_unit = gap <= coarse + 1e-9
        how = ("differ by one unit in the last stated place" if one_unit
               else "differ by less than the rounding of a round figure")
    rationale = f"{a.stated} and {b.stated} {how} ({_fmt(gap, a)}, {relative:.1%})"
    return Comparison("differ", severity=severity, rationale=rationale)


def _consistent(a: Quantity, b: Quantity, tolerance: float) -> bool:
    """Intervals overlap, one-sided bounds hold, or the point values match within precision.
    Below a "nearly" ceiling no rounding is added: its tenth is already the allowance."""
    lo_a, hi_a = _interval(a)
    lo_b, hi_b = _interval(b)
    return lo_a <= hi_b + (0.0 if _nearly(a) else tolerance) and lo_b <= hi_a + (0.0 if _nearly(b) else tolerance)


NEARLY_SPAN = 0.1  # "nearly 1,600" is at most 1,600 and within a tenth of it: 1,480 fits, 1,140 does not
_NEARLY_WORD = re.compile(_NEARLY, re.IGNORECASE)


def _nearly(q: Quantity) -> bool:
    """A ceiling said with "nearly" or "almost", which also says the figure is close to it."""
    return q.bound == "at_most" and _NEARLY_WORD.fullmatch(q.qualifier) is not None


def _interval(q: Quantity) -> tuple[float, float]:
    """The values a stated figure allows. "Nearly" and "almost" bound a figure from above and
    closely: a writer with 1,140 in hand does not write "nearly 1,600"."""
    if q.bound == "at_least":
        return q.low, math.inf
    if _nearly(q):
        return q.top - NEARLY_SPAN * abs(q.top), q.top
    if q.bound == "at_most":
        return -math.inf, q.top
    return q.low, q.top


def _gap(a: Quantity, b: Quantity) -> float:
    lo_a, hi_a = _interval(a)
    lo_b, hi_b = _interval(b)
    return max(lo_b - hi_a, lo_a - hi_b, 0.0)


def _fmt(gap: float, q: Quantity) -> str:
    """'gap 1 billion USD', not 'gap 1e+09 USD': large gaps read with their scale word."""
    unit = q.unit if q.unit not in ("", "%") else ""
    text = f"{gap:,.4g}"
    for word, factor in (("trillion", 1e12), ("billion", 1e9), ("million", 1e6)):
        if abs(gap) >= factor:
            text = f"{gap / factor:,.4g} {word}"
            break
    else:
        if abs(gap) >= 1000:
            text = f"{gap:,.0f}"  # '60,930', not '6.093e+04'
    return f"gap {text} {unit}".strip()


# --- numbers written in words ----------------------------------------------------------------

# a wire dateline opening a sentence ("HALVIK, June 3 (Wire) - The backlog ..."): where and when it
# was filed, not a part of the sentence; the sentence starts after it
DATELINE = re.compile(r"^[A-Z][A-Z .'-]{2,40},[^-–—\n]{0,60}?\s[-–—]{1,2}\s")

def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_ONES = {**lexicon.CARDINAL_WORDS, "one": 1}
_DIGIT_WORDS = _alternation(w for w, v in _ONES.items() if v < 10)
_NUMBER_WORD = (rf"(?:(?:{_alternation(lexicon.CARDINAL_TENS)})(?:[-\s](?:{_DIGIT_WORDS}))?"
                rf"|{_alternation(lexicon.CARDINAL_WORDS)})")
# "Seven miners", "twenty-five buses", "a dozen homes", "half a dozen", "two hundred people"
_CARDINAL = re.compile(
    rf"\b(?:(?P<amount>{_alternation(lexicon.MULTIPLIER_AMOUNTS)}|{_NUMBER_WORD})\s+"
    rf"(?P<multiplier>{_alternation(lexicon.CARDINAL_MULTIPLIERS)})|(?P<word>{_NUMBER_WORD}))\b",
    re.IGNORECASE,
)
_NEXT_WORD = re.compile(r"\s+(?P<word>[A-Za-z][\w'’]*)")
_PREVIOUS_WORD = re.compile(r"(?P<word>[A-Za-z][\w'’]*)\s+$")
_WORD_UNIT = re.compile(rf"\s+(?P<unit>{_LONG_UNITS})\b", re.IGNORECASE)


def _number_word_value(words: str) -> float:
    """'twenty-five' -> 25, 'seven' -> 7, 'half a' -> 0.5."""
    words = " ".join(words.lower().replace("-", " ").split())
    if words in lexicon.MULTIPLIER_AMOUNTS:
        return lexicon.MULTIPLIER_AMOUNTS[words]
    return float(sum(lexicon.CARDINAL_TENS.get(w, _ONES.get(w, 0)) for w in words.split()))


def _alone(text: str) -> str:
    """A claim's value, stated alone: read without the context running text needs, lower-cased."""
    return " ".join(text.split()).lower()


def _cardinal_words(text: str) -> list[Quantity]:
    """Counts written in words, only where they count something: the next word is a content word
    ("Seven miners", "killed nine workers"), not a function word ("the two were", "two of them"), a
    hyphened compound ("a two-day strike") or the end; a number that refers back ("the two men",
    "all three") or one end of a range in words ("two or three") is not read, nor a capitalised
    number inside a sentence, part of a name ("Channel Four")."""
    found = []
    alone = _alone(text)
    for m in _CARDINAL.finditer(text):
        after = _NEXT_WORD.match(text, m.end())
        if alone == m.group(0).lower():
            pass  # a claim's value "Seven" stands alone: the quote it came from said what it counts
        elif after is None or after.group("word").lower() in lexicon.FUNCTION_WORDS \
                or after.group("word").lower().startswith("o’clock") or after.group("word").lower() == "o'clock":
            continue
        before = _PREVIOUS_WORD.search(text[max(0, m.start() - 30):m.start()])
        previous = before.group("word") if before else ""
        if alone == m.group(0).lower():
            pass
        elif previous.lower() in lexicon.REFERRING_BEFORE_COUNT or previous.lower() in lexicon.NUMBER_RANGE_WORDS:
            continue
        elif m.group(0)[0].isupper() and not re.search(r"(?:^|[.!?:;\"“”(])\s*$", text[:m.start()]) \
                and not DATELINE.fullmatch(text[:m.start()]):
            continue  # capitalised inside a sentence, a name: "Channel Four", "Five Street"; after a
            # dateline the sentence starts ("COPIAPO, Chile, May 12 (Wire) - Seven miners")
        elif re.search(r"(?:\d\s*|[\-‑])$", text[max(0, m.start() - 2):m.start()]):
            continue  # "20 two-", part of a longer figure
        if m.group("multiplier"):
            value = _number_word_value(m.group("amount")) * lexicon.CARDINAL_MULTIPLIERS[m.group("multiplier").lower()]
        else:
            value = _number_word_value(m.group("word"))
        end, unit, dimension, factor = m.end(), "", "number", 1.0
        unit_match = _WORD_UNIT.match(text, m.end())
        if unit_match:  # "three hours", "seven per cent"
            unit, dimension, factor = UNITS[" ".join(unit_match.group("unit").lower().split())]
            end = unit_match.end()
        bound, _, qualifier = _bound_before(text, m.start())
        found.append(Quantity(
            value=value * factor, high=None, unit=unit, dimension=dimension, step=factor, bound=bound,
            start=m.start(), end=end, text=text[m.start():end], qualifier=qualifier,
            rounding=_rounding(str(int(value))) * factor,
        ))
    return found


# "three in ten adults", "one in 10 voters": a share, as a range of percent a tenth of it either way
# (at most 3.5 points), the precision such words commit to
_RATIO = re.compile(
    rf"\b(?P<part>{_NUMBER_WORD}|one)\s+in\s+(?P<whole>{_NUMBER_WORD}|\d{{1,3}})\b(?!\.\d)", re.IGNORECASE
)


def _ratios(text: str) -> list[Quantity]:
    found = []
    for m in _RATIO.finditer(text):
        after = text[m.end():]
        if not (re.match(r"\s+[A-Za-z]", after) or text.strip().lower() == m.group(0).lower()):
            continue  # "one in three" of a claim's value stands alone; in running text something follows
        part = _number_word_value(m.group("part"))
        whole_word = m.group("whole")
        whole = float(whole_word) if whole_word.isdigit() else _number_word_value(whole_word)
        if not 0 < part < whole <= 100:
            continue
        known = _WORD_SHARES.get(" ".join(m.group(0).lower().split()))
        if known is not None:
            low, high = known
        else:
            share = 100.0 * part / whole
            width = min(share * 0.1, 3.5)
            low, high = round(share - width, 1), round(share + width, 1)
        found.append(Quantity(value=low, high=high, unit="%", dimension="percent", step=0.1, bound="exact",
                              start=m.start(), end=m.end(), text=m.group(0)))
    return found


# race and clock durations: "won in 2:07:41" (h:mm:ss) is 7,661 seconds; "a time of 2:07" could be
# h:mm or m:ss, so it is a figure of its own kind, compared only with others written so. Only after
# a word that makes it a duration, and never a time of day ("at 9:30am", "9:30 GMT").
_CLOCK = re.compile(
    rf"(?:\b(?:{lexicon.DURATION_CUES})\s+|^\s*(?=[\d:.]+\s*$))(?P<clock>(?P<a>\d{{1,2}}):(?P<b>[0-5]\d)(?::(?P<c>[0-5]\d(?:\.\d+)?))?)"
    r"(?![\d:])(?!\s?(?:[ap]\.?m\.?\b|(?-i:GMT|BST|UTC|CET|EST|ET|PT)\b|local\b|hrs\b))",
    re.IGNORECASE,
)


def _clock_durations(text: str, skip: list[tuple[int, int]]) -> list[Quantity]:
    found = []
    for m in _CLOCK.finditer(text):
        start, end = m.start("clock"), m.end("clock")
        if any(s <= start < e for s, e in skip):
            continue
        a, b, c = int(m.group("a")), int(m.group("b")), m.group("c")
        if c is not None:
            step = _step(c, False)
            found.append(Quantity(value=a * 3600 + b * 60 + float(c), high=None, unit="s", dimension="time",
                                  step=step, bound="exact", start=start, end=end, text=m.group("clock"),
                                  rounding=step))
        else:
            found.append(Quantity(value=float(a * 60 + b), high=None, unit="a:bb", dimension="clock duration", step=1.0,
                                  bound="exact", start=start, end=end, text=m.group("clock")))
    return found


def _join_durations(text: str, found: list[Quantity]) -> list[Quantity]:
    """'6 hours 40 minutes' and '2 hours, 9 minutes and 14 seconds' are one duration, not two or three:
    each part in a smaller unit than the one before, and less than one of it."""
    joined: list[Quantity] = []
    for q in found:
        last = joined[-1] if joined else None
        if last is not None and last.dimension == q.dimension == "time" and last.unit == q.unit == "s" \
                and last.high is None and q.high is None and not q.qualifier and q.step < last.step \
                and q.value < last.step and re.fullmatch(r"\s*(?:,\s*)?(?:and\s+)?", text[last.end:q.start]):
            joined[-1] = Quantity(
                value=last.value + q.value, high=None, unit="s", dimension="time", step=q.step, bound=last.bound,
                start=last.start, end=q.end, text=text[last.start:q.end], qualifier=last.qualifier,
                rounding=q.rounding,
            )
            continue
        joined.append(q)
    return joined
