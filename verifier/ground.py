"""Grounding: find every claim's quote in its document, or drop the claim.

Nothing an extractor says is evidence until its quote is located in the source:
exactly, then after folding whitespace, quotes, dashes and case, then fuzzily. The
stored quote is always the document's own text at the found offsets, and a figure
must occur in its quote, so a report never shows words the source does not contain.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz

from .keys import KeyMaker, fold
from .models import CandidateClaim, Document, GroundedClaim, statement_of
from .numbers import Quantity, compatible, first_quantity, parse_quantities

FUZZY_MIN_RATIO = 90.0


@dataclass
class GroundingResult:
    """Grounded claims, and the count and reasons of those dropped."""

    claims: list[GroundedClaim] = field(default_factory=list)
    dropped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def drop(self, reason: str) -> None:
        self.dropped += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


def ground(documents: list[Document], candidates: list[CandidateClaim], keys: KeyMaker,
           words: bool = True) -> GroundingResult:
    """Locate every candidate's quote; keep the grounded ones, count the rest. `words=False` reads
    figures as before numbers in words were read (numbers.parse_quantities): the llm backend's
    recorded answers were made with that reading."""
    by_id = {d.id: d for d in documents}
    folded = {d.id: _LazyFolded(d.text) for d in documents}
    result = GroundingResult()
    seen: set[str] = set()
    for candidate in candidates:
        doc = by_id.get(candidate.document)
        if doc is None:
            result.drop("unknown document")
            continue
        grounded = ground_one(doc, candidate, keys, folded[doc.id], words)
        if isinstance(grounded, str):
            result.drop(grounded)
        elif grounded.id not in seen:
            seen.add(grounded.id)
            result.claims.append(grounded)
    return result


def ground_one(
    doc: Document, candidate: CandidateClaim, keys: KeyMaker, folded: _LazyFolded | None = None, words: bool = True
) -> GroundedClaim | str:
    """One claim grounded in `doc`, or the reason it cannot be."""
    claim = candidate.claim
    if not claim.quote.strip():
        return "empty quote"
    span = locate(doc.text, claim.quote, candidate.hint, folded)
    if span is None:
        return "quote not found in document"
    start, end, how = span
    match: Literal["exact", "normalized", "fuzzy"] = how
    quote = doc.text[start:end]
    quantity = first_quantity(claim.value, words)
    number: float | None = None
    unit: str | None = None
    anchor = quote.lower().find(claim.value.strip().lower()) if claim.value.strip() else -1
    if quantity is not None:
        in_quote = _matching_quantity(quantity, parse_quantities(quote, words))
        if in_quote is None:
            return "number not in quote"
        number, unit = in_quote.value, in_quote.unit or None
        anchor = in_quote.start
    if end - start > MAX_QUOTE_CHARS:
        start, end = _window(doc.text, start, end, start + max(anchor, 0))
        quote = doc.text[start:end]
    subject_key, attribute_key = keys.pair(claim.subject, claim.attribute)
    if not subject_key or not attribute_key:
        return "no subject or attribute"
    digest = hashlib.sha256(
        f"{doc.sha256}|{start}|{end}|{subject_key}|{attribute_key}|{fold(claim.value)}".encode()
    ).hexdigest()[:16]
    conditions = [c.strip() for c in claim.conditions if c.strip()]
    statement = statement_of(claim.subject, claim.attribute, claim.value, conditions)
    return GroundedClaim(
        id=f"c{digest}", document=doc.id, subject=claim.subject.strip(), attribute=claim.attribute.strip(),
        value=claim.value.strip(), number=number, unit=unit, conditions=conditions,
        asserted_by=claim.asserted_by.strip(), hedged=claim.hedged, quote=quote, start=start, end=end,
        match=match, statement=statement,
    )


MAX_QUOTE_CHARS = 1000  # a quote is what a reviewer reads beside its twin, not a whole megabyte line


def _window(text: str, start: int, end: int, anchor: int) -> tuple[int, int]:
    """At most MAX_QUOTE_CHARS of [start, end) around `anchor` (the claim's figure or value),
    cut at spaces so no word is split."""
    half = MAX_QUOTE_CHARS // 2
    lo = max(start, min(anchor - half, end - MAX_QUOTE_CHARS))
    hi = min(end, lo + MAX_QUOTE_CHARS)
    space = text.find(" ", lo, lo + 40)
    lo = space + 1 if lo > start and space != -1 else lo
    space = text.rfind(" ", hi - 40, hi)
    hi = space if hi < end and space > lo else hi
    return lo, hi


def _matching_quantity(wanted: Quantity, found: list[Quantity]) -> Quantity | None:
    """The quantity of the quote that states the claimed value (a model may restate units)."""
    for q in found:
        tolerance = max(q.step, wanted.step) / 2 + 1e-9 * max(abs(q.value), 1.0)
        if compatible(q, wanted) and abs(q.value - wanted.value) <= tolerance:
            return q
    return None


# --- locating ---------------------------------------------------------------------------------

_FOLD_CHARS = str.maketrans({
    "’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‑": "-", "‐": "-", "\u00a0": " ",
})


@dataclass
class _Folded:
    """A document folded for matching, with a map from folded offsets to original offsets."""

    text: str
    offsets: array[int]

    @classmethod
    def of(cls, original: str) -> _Folded:
        chars: list[str] = []
        offsets = array("l")
        previous_space = False
        for i, ch in enumerate(original):
            ch = ch.translate(_FOLD_CHARS).lower()
            if ch.isspace():
                if previous_space:
                    continue
                ch, previous_space = " ", True
            else:
                previous_space = False
            chars.append(ch)
            offsets.append(i)
        return cls("".join(chars), offsets)


class _LazyFolded:
    """The folded text, built only when a quote is not found verbatim (it costs memory)."""

    def __init__(self, original: str) -> None:
        self.original = original
        self._folded: _Folded | None = None

    def get(self) -> _Folded:
        if self._folded is None:
            self._folded = _Folded.of(self.original)
        return self._folded


def _fold_quote(quote: str) -> str:
    return re.sub(r"\s+", " ", quote.translate(_FOLD_CHARS).lower()).strip()


Located = tuple[int, int, Literal["exact", "normalized", "fuzzy"]]


def locate(text: str, quote: str, hint: int | None = None, folded: _LazyFolded | None = None) -> Located | None:
    """(start, end, how) of `quote` in `text`: exact, normalized or fuzzy; None when absent."""
    quote = quote.strip()
    exact = _nearest(text, quote, hint)
    if exact is not None:
        return exact, exact + len(quote), "exact"
    view = (folded or _LazyFolded(text)).get()
    needle = _fold_quote(quote)
    if not needle:
        return None
    at = _nearest(view.text, needle, hint)
    if at is not None:
        return view.offsets[at], view.offsets[at + len(needle) - 1] + 1, "normalized"
    return _fuzzy(view, needle)


NEAR = 20_000  # an occurrence this close after the hint is taken without looking further back


def _nearest(haystack: str, needle: str, hint: int | None) -> int | None:
    """The occurrence of `needle` nearest to `hint` (the first one without a hint).

    The hint is where the chunk or clause starts, so the quote is usually just after it;
    searching from there keeps grounding fast in a long document.
    """
    if hint is None:
        first = haystack.find(needle)
        return first if first >= 0 else None
    after = haystack.find(needle, hint)
    if after >= 0 and after - hint <= NEAR:
        return after
    before = haystack.rfind(needle, 0, hint + len(needle) - 1)
    found = [p for p in (after, before) if p >= 0]
    return min(found, key=lambda p: (abs(p - hint), p)) if found else None


def _fuzzy(folded: _Folded, needle: str) -> Located | None:
    """Best approximate match of at least FUZZY_MIN_RATIO, for quotes a model retyped slightly."""
    if len(needle) < 12:
        return None  # a short quote that is not found verbatim is not found
    alignment = fuzz.partial_ratio_alignment(needle, folded.text, score_cutoff=FUZZY_MIN_RATIO)
    if alignment is None:
        return None
    start, end = alignment.dest_start, alignment.dest_end
    if end <= start:
        return None
    return folded.offsets[start], folded.offsets[end - 1] + 1, "fuzzy"
