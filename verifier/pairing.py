"""Pairing: the figures of two documents that report one measure, found across subjects.

Offline, a claim's entity is the subject the parser read, and reporters name one thing many
ways: one report's cost is "the bridge's", another's is "Waterford's"; one hospital's wait is
"the A&E department's" in the next paper. Questions formed inside one entity never let those
figures meet, and no entity rule can join "Waterford" and "the bridge" without joining far
more that must stay apart. So alignment's code path ends with this step: for each two
documents, a figure and its best counterpart in the other document share a question when
each is the other's best match and the match is good enough.

What makes a match is read off the claim, never a topic's vocabulary: the same kind of value
(a length with a length, money in one currency), the words of its measure, the words beside
the figure in its sentence (weighted by how rare they are among the batch's figures,
log(1 + figures / figures it is beside): among 20 figures, a word beside all weighs 0.7, one
beside two 2.4), the noun a count counts;
the static embeddings of the measures add to a match of words, they never make one alone, and
an equal value only breaks a tie ("$40 million" is many things). The mutual best match keeps
it conservative where it matters: a story's second cost or second count in one document does
not pull a document's only figure of that kind into the wrong question, since that figure's
best is its own counterpart. Two questions that a document already answers both (it tells them
apart) are never joined, and two figures with different names beside them (two people's ages)
are not paired. A name beside one figure that the other document never uses keeps the two apart
when it is someone's ("runner Poul Svendsen"); after an article it names a place, a thing or an
event ("at the Kelbrook gauge"), which the other report may simply leave out, and it only counts
against the match.

Pairing proposes questions; comparison still reads every figure in its frame (time,
status, basis), so two paired figures for different years are an explained difference, not a flag.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from . import dates, lexicon
from .embed import Embedder, EmbeddingsUnavailable, Vectors
from .features import FUNCTION_WORDS, ValueKind, content_stems, stem, value_kind
from .keys import fold
from .models import Document, GroundedClaim
from .numbers import parse_quantities

Grouped = list[tuple[str | None, list[GroundedClaim]]]  # (question text when an LLM gave one, claims)

CONTEXT_WORDS = 5  # words each side of the figure in its quote that say what it measures
NAME_WORDS = CONTEXT_WORDS  # a name this near the figure says whose figure it is ("71-year-old runner Poul Svendsen")
PAIR_THRESHOLD = 0.1  # the least score of a mutual best match (see `_score`)
CANDIDATES = 64  # figures of one posting list looked at per figure: bounded, never all pairs

MAGNITUDE = 10.0  # figures further apart than this factor pair only on strong evidence (PAIR_THRESHOLD_FAR)
PAIR_THRESHOLD_FAR = 0.45
SAME_WORDING = 0.8  # embedding cosine above which "main span" and "central span" name one measure
# taken off a match when a place or thing named beside one figure ("the Kelbrook gauge") is one
# the other document never names
NAMED_ELSEWHERE = 0.5
PAIR_THRESHOLD_APART = 0.3  # measures named in words they do not share ("walkout", "stoppage")
_OWNERS = "|".join(sorted(lexicon.DETERMINERS | {"all"}, key=len, reverse=True))
_OF = re.compile(rf"^(?:per cent |percent )?of (?:(?:{_OWNERS}) )?(?P<noun>[^\W\d_]+)", re.UNICODE)
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’][^\W\d_]+)?", re.UNICODE)  # "RSV-related" is two words
_CALENDAR = frozenset(dates.MONTHS + dates.WEEKDAYS)  # capitalised, but no one's name
_ARTICLES = lexicon.ARTICLES  # not "that" or "her": "that Anna Berg", "her Paul" are people
# an article names a place or thing of one or two words ("the Lakeport Marathon"); past them a title
# gives way to a person ("the US President Joe Biden", "the Chancellor Rachel Reeves")
ARTICLE_NAME_WORDS = 2
_POSSESSIVE = re.compile(r"['’]s?$")  # "the BBC's Laura Smith": a new name after the possessive


@dataclass(frozen=True)
class _Figure:
    """A figure claim as pairing reads it."""

    claim: GroundedClaim
    group: int
    kind: ValueKind
    measure: frozenset[str]
    bag: frozenset[str]  # the measure's stems and those of the words beside the figure
    names: frozenset[str]  # folded names beside the figure ("71-year-old runner Poul Svendsen")
    things: frozenset[str]  # those of them after an article: places, things, events ("the Kelbrook gauge")
    base: str  # the stem of what a share is of ("94% of tents": "tent"), when the sentence says


def vocabulary(documents: Iterable[Document]) -> dict[str, frozenset[str]]:
    """The words each document uses, folded: what pairing asks when a figure's sentence names someone."""
    return {d.id: _folded(_WORD.findall(d.text)) for d in documents}


def pair_figures(grouped: Grouped, embedder: Embedder | None = None,
                 words: Mapping[str, frozenset[str]] | None = None) -> tuple[Grouped, int]:
    """The questions with each mutual best pair of figures across two documents joined; and how
    many joins were made. `words` are the documents' words (`vocabulary`); without them, the
    words of their claims stand in."""
    figures = [_figure(c, n) for n, (_, group) in enumerate(grouped) for c in group if c.number is not None]
    if len({f.claim.document for f in figures}) < 2:
        return grouped, 0
    weights = _rarity(figures)
    vectors = _vectors(figures, embedder)
    mentioned: dict[str, set[str]] = defaultdict(set)
    for _, group in grouped:
        for c in group:
            if words is not None:  # a document's words, once (not again for each of its claims)
                mentioned.setdefault(c.document, set(words.get(c.document, frozenset())))
            else:
                mentioned[c.document] |= _folded(_WORD.findall(f"{c.quote} {c.subject}"))
    best = _best_matches(figures, weights, vectors, mentioned)
    parent = list(range(len(grouped)))
    documents = [{c.document for c in group} for _, group in grouped]

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    joins = 0
    for (i, _), (score, j) in sorted(best.items(), key=lambda e: (-e[1][0], e[0])):
        a, b = figures[i], figures[j]
        if best.get((j, a.claim.document), (0.0, -1))[1] != i or score < _threshold(a, b):
            continue
        ga, gb = find(a.group), find(b.group)
        if ga == gb or documents[ga] & documents[gb]:
            continue  # already together, or a document answers in both: it tells the two apart
        parent[gb] = ga
        documents[ga] |= documents[gb]
        joins += 1
    if not joins:
        return grouped, 0
    merged: dict[int, list[int]] = defaultdict(list)
    for n in range(len(grouped)):
        merged[find(n)].append(n)
    out: Grouped = []
    for members in merged.values():
        texts = [grouped[n][0] for n in members if grouped[n][0]]
        out.append((texts[0] if texts else None, [c for n in members for c in grouped[n][1]]))
    return out, joins


def _threshold(a: _Figure, b: _Figure) -> float:
    """The least score for a mutual best match. Higher when the two measures are named in words
    they do not share ("revenue", "profit"): then only the words beside the figures can say they
    are one; and higher for figures of very different size ("a $1.92 billion budget", "about $96
    a year more"), which are rarely two reports of one measure, and never two reports of one
    measure under two subjects ("700,000 visitors" to a museum, "21 million" to its city)."""
    x, y = abs(a.claim.number or 0.0), abs(b.claim.number or 0.0)
    far = x != y and (min(x, y) == 0.0 or max(x, y) / min(x, y) > MAGNITUDE)
    if far and fold(a.claim.subject) != fold(b.claim.subject):
        return math.inf
    apart = bool(a.measure) and bool(b.measure) and not a.measure & b.measure
    return max(PAIR_THRESHOLD_FAR if far else PAIR_THRESHOLD, PAIR_THRESHOLD_APART if apart else 0.0)


def _figure(claim: GroundedClaim, group: int) -> _Figure:
    measure = content_stems(claim.attribute)
    everything_before, after = _beside(claim)
    before = everything_before[-CONTEXT_WORDS:]
    beside = " ".join(before + after)
    base = _OF.match(" ".join(after))
    if base and fold(base.group("noun")) in FUNCTION_WORDS:
        base = None  # "of those taking the drug" says of whom only further on
    starts_quote = 0 < len(everything_before) <= NAME_WORDS  # then the first word is the sentence's
    window = everything_before[-NAME_WORDS - 1:]  # with the word before the stretch: is it "the"?
    names = _names(window, starts_quote and len(window) <= NAME_WORDS, skip=len(window) > NAME_WORDS) \
        + _names(after[:NAME_WORDS], False)
    speaker = _folded(_WORD.findall(claim.asserted_by))
    return _Figure(claim, group, _kind(claim), measure,
                   measure | (content_stems(beside) - content_stems(claim.subject)),  # whose it is says not what it is
                   _folded([w for w, _ in names]) - speaker,
                   _folded([w for w, article in names if article]) - speaker,
                   stem(base.group("noun")) if base else "")


def _names(words: list[str], starts_quote: bool, skip: bool = False) -> list[tuple[str, bool]]:
    """The capitalised words of a stretch that are names (not a month or weekday, and not the
    quote's first word, which any sentence capitalises), each with whether its name follows an
    article: "the Kelbrook gauge", "the Lakeport Marathon" name a place, a thing or an event, not
    a person. `skip`: the first word only says what precedes the stretch."""
    out: list[tuple[str, bool]] = []
    article, length = False, 0
    for n, w in enumerate(words):
        if not (w[:1].isupper() and fold(w) not in _CALENDAR and not (starts_quote and n == 0)) or (skip and n == 0):
            continue
        previous = words[n - 1] if n else ""
        if not out or previous != out[-1][0] or _POSSESSIVE.search(previous):  # a name begins here
            article, length = n > 0 and fold(previous) in _ARTICLES, 0
        length += 1
        out.append((w, article and length <= ARTICLE_NAME_WORDS))
    return out


def _kind(claim: GroundedClaim) -> ValueKind:
    """The kind of a figure: a range's unit is written once, at its end ("between 90 and 120
    million euros" is money, not a count)."""
    kind = value_kind(claim.value)
    stated = [q for q in parse_quantities(claim.value) if q.dimension != "number"]
    return ValueKind(stated[-1].dimension, stated[-1].unit) if kind.kind == "number" and stated else kind


def _beside(claim: GroundedClaim) -> tuple[list[str], list[str]]:
    """All the words of the quote before the figure, and the few just after it: what it counts, or
    of what it is. The figure is found as a whole number ("5%" is not the end of "25%")."""
    quote, value = claim.quote, claim.value.strip()
    found = _whole(value, quote) if value else None
    if found is None:
        digits = re.search(r"\d[\d.,]*\d|\d", value)
        found = _whole(digits.group(), quote) if digits else None
    if found is None:
        return [], _WORD.findall(quote)[:2 * CONTEXT_WORDS]
    return _WORD.findall(quote[:found.start()]), _WORD.findall(quote[found.end():])[:CONTEXT_WORDS]


def _whole(value: str, quote: str) -> re.Match[str] | None:
    """Where a value stands in a quote, not inside a longer number."""
    return re.search(rf"(?<![\d.,]){re.escape(value)}(?![\d])", quote, re.IGNORECASE)


def _folded(words: list[str]) -> frozenset[str]:
    """Words as a name is matched: whole, folded, function words dropped ("FrontierScience" is not "frontier")."""
    return frozenset(f for w in words if (f := fold(w)) not in FUNCTION_WORDS)


def _rarity(figures: list[_Figure]) -> dict[str, float]:
    """Weight of each stem: a word beside most of the batch's figures (the story's names,
    "said") says little about which figure is which."""
    counts: Counter[str] = Counter()
    for f in figures:
        counts.update(f.bag)
    total = len(figures)
    return {s: math.log(1 + total / c) for s, c in counts.items()}


def _vectors(figures: list[_Figure], embedder: Embedder | None) -> Vectors | None:
    if embedder is None:
        return None
    try:
        return embedder.embed([" ".join(f.claim.attribute.split()) for f in figures])
    except EmbeddingsUnavailable:
        return None


def _kinds_match(a: ValueKind, b: ValueKind) -> bool:
    """One dimension and one unit: a length with a length, euros with euros, a rank with a rank."""
    return a.kind not in ("text", "date") and a.kind == b.kind and a.unit == b.unit


def _overlap(a: frozenset[str], b: frozenset[str], weights: dict[str, float]) -> float:
    """Shared weight over the larger side's weight (0 to 1): both must be mostly shared."""
    if not a or not b:
        return 0.0
    shared = sum(weights.get(t, 0.0) for t in a & b)
    return shared / max(sum(weights.get(t, 0.0) for t in a), sum(weights.get(t, 0.0) for t in b), 1e-9)


def _score(a: _Figure, b: _Figure, weights: dict[str, float], cosine: float) -> float:
    """How surely two figures of one kind report one measure (0: nothing says so; above 1 when
    everything does, so that the best of several good matches still stands out): the words of the
    measure and beside the figure, the noun a count counts, and the measures' embeddings."""
    measure = _overlap(a.measure, b.measure, weights)
    bag = _overlap(a.bag, b.bag, weights)
    noun = 1.0 if a.kind.noun and a.kind.noun == b.kind.noun else 0.0
    same = 1.0 if a.claim.number == b.claim.number else 0.0  # breaks a tie only: "$40 million" is many things
    return (max(measure, bag) + 0.2 * noun + 0.3 * max(cosine - 0.5, 0.0) + 0.01 * same)


def _best_matches(figures: list[_Figure], weights: dict[str, float], vectors: Vectors | None,
                  mentioned: Mapping[str, set[str]]) -> dict[tuple[int, str], tuple[float, int]]:
    """Each figure's best match in every other document: (figure, document) -> (score, figure).
    Candidates share a kind and a stem of their bags (postings capped), or a counted noun. A
    figure whose sentence names, beside it, someone the other document never names is about
    that one, not about what the other document reports: it has no match there; a place or
    thing the other document never names lowers the match."""
    index: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, f in enumerate(figures):
        for s in f.bag | ({"#" + f.kind.noun} if f.kind.noun else set()):
            index[(f.kind.kind, f.kind.unit, s)].append(i)
    best: dict[tuple[int, str], tuple[float, int]] = {}
    for i, a in enumerate(figures):
        keys = sorted(a.bag, key=lambda t: -weights.get(t, 0.0)) + (["#" + a.kind.noun] if a.kind.noun else [])
        near: set[int] = set()
        for s in keys:
            near.update(index[(a.kind.kind, a.kind.unit, s)][:CANDIDATES])
        for j in sorted(near):
            b = figures[j]
            if b.claim.document == a.claim.document or not _kinds_match(a.kind, b.kind):
                continue
            if a.names and b.names and not a.names & b.names:
                continue
            unnamed_a, unnamed_b = a.names - mentioned[b.claim.document], b.names - mentioned[a.claim.document]
            if unnamed_a - a.things or unnamed_b - b.things:
                continue  # someone the other report never names: the figure is theirs
            unnamed = unnamed_a or unnamed_b
            if (a.base and b.base and a.base != b.base) or (a.kind.noun and b.kind.noun and a.kind.noun != b.kind.noun):
                continue  # shares or counts of different things: "94% of tents", "50 per cent of festivalgoers"
            cosine = float(np.dot(vectors[i], vectors[j])) if vectors is not None else 0.0
            if a.measure & b.measure and a.measure - b.measure and b.measure - a.measure and cosine < SAME_WORDING:
                continue  # one noun, two things done to it: "homes reconnected", "homes still cut off"
            score = _score(a, b, weights, cosine)
            if unnamed:
                score -= NAMED_ELSEWHERE
            if score < _threshold(a, b):
                continue  # no match at all: it must not stand as the best and hide one that is
            key = (i, b.claim.document)
            if score > best.get(key, (0.0, -1))[0]:
                best[key] = (score, j)
    return best
