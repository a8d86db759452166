"""What alignment and comparison read off a claim: content words, names, and the kind of value.

These are language, not vocabulary: function words, a light stemmer, the shape of a
name (capitals, digits, internal capitals), and the kind of quantity a value states
(a percentage, an amount of money in one currency, a count of some noun, a measure with
its dimension, a date). No list here names the things of one topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from . import dates, lexicon
from .keys import fold
from .numbers import Quantity, first_quantity

FUNCTION_WORDS = lexicon.FUNCTION_WORDS
GENERIC_MEASURE_WORDS = lexicon.GENERIC_MEASURE_WORDS

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def stem(word: str) -> str:
    """A light stem: folded, possessive and plural dropped, long words cut to five letters.

    Crude on purpose: 'containment' and 'contained', 'evacuated' and 'evacuees' meet;
    the cost is a few false meetings that weights and kinds then sort out.
    """
    w = fold(word).replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if len(w) > 3 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith(("sses", "xes", "zzes", "ches", "shes")):
        w = w[:-2]  # "passes" is "pass", "boxes" "box"
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    return w[:5] if len(w) >= 6 else w


def words(text: str) -> list[str]:
    """The words of a phrase, as written (hyphenated parts apart: 'SWE-bench' is 'SWE', 'bench')."""
    return _WORD.findall(text.replace("-", " ").replace("/", " "))


@lru_cache(maxsize=65536)
def content_stems(text: str) -> frozenset[str]:
    """Stems of the words that carry meaning: no function words, no generic measure words."""
    found = set()
    for w in words(text):
        lowered = fold(w)
        if lowered in FUNCTION_WORDS or lowered in GENERIC_MEASURE_WORDS or (len(lowered) < 2 and not w.isdigit()):
            continue
        found.add(stem(w))
    return frozenset(found)


def _is_name_word(word: str, first: bool) -> bool:
    """A word shaped like part of a name: digits, all capitals, internal capitals, or capitalised
    anywhere but at the start of the phrase (where sentence case capitalises any word)."""
    if any(ch.isdigit() for ch in word):
        return True
    if len(word) > 1 and word.isupper():
        return True
    if any(ch.isupper() for ch in word[1:]):
        return True
    return word[:1].isupper() and not first


@lru_cache(maxsize=65536)
def name_stems(text: str) -> frozenset[str]:
    """Stems of the name-shaped words of a phrase ('GPQA Diamond score' -> {'gpqa', 'diamo'})."""
    ws = words(text)
    found = set()
    for i, w in enumerate(ws):
        if fold(w) in FUNCTION_WORDS:
            continue
        # a capitalised first word counts when the next word is capitalised too ("Last Exam")
        first = i == 0 and not (len(ws) > 1 and _is_name_word(ws[1], False))
        if _is_name_word(w, first):
            found.add(stem(w))
    return frozenset(found)


# --- the kind of value a claim states -------------------------------------------------------

_WEEKDAY = re.compile(r"\b(?:" + "|".join(dates.WEEKDAYS) + r")\b", re.IGNORECASE)
_COUNTED = re.compile(r"^\s*(?:-\s*)?(?P<noun>[^\W\d_][\w-]*)", re.UNICODE)


@dataclass(frozen=True)
class ValueKind:
    """What sort of answer a value is: 'text', 'date', or a quantity's dimension and unit.

    `noun` is what a bare count counts ('4,000 workers' -> 'worke'), when the value says.
    """

    kind: str
    unit: str = ""
    noun: str = ""

    def compatible(self, other: ValueKind) -> bool:
        """Could two answers be answers to one question? Text fits anything but a figure of
        another dimension; a date fits a date or text; figures need one dimension and unit."""
        if self.kind == "text" or other.kind == "text":
            return True
        if self.kind == "date" or other.kind == "date":
            return self.kind == other.kind
        if self.kind == other.kind and self.unit == other.unit:
            return True
        return {self.kind, other.kind} <= {"percent", "number"}  # "80.5%" and "80.4" are one score


@lru_cache(maxsize=65536)
def value_kind(value: str, quantity: Quantity | None = None, words: bool = True) -> ValueKind:
    """The kind of a claim's value, from the figure parsed out of it when there is one (`words`: numbers in
    words too, for a claim grounded as a number; see numbers.parse_quantities)."""
    q = quantity if quantity is not None else first_quantity(value, words)
    if q is not None:
        noun = ""
        if q.dimension == "number":
            m = _COUNTED.match(value[value.find(q.text) + len(q.text):] if q.text in value else "")
            if m and fold(m.group("noun")) not in FUNCTION_WORDS:
                noun = stem(m.group("noun"))
        return ValueKind(q.dimension, q.unit, noun)
    dated = dates.FULL_DATE.search(value) or dates.parse_periods(value) or _WEEKDAY.search(value)
    if dated and len(content_stems(value) - name_stems(value)) <= 3:
        return ValueKind("date")
    return ValueKind("text")
