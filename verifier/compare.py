"""Cross-checking: compare claims about the same thing across documents.

Candidates meet by key (subject and attribute, folded), never all pairs, so the work
grows with the number of claims, not its square. Figures are compared by code
(`numbers.compare`); text is compared by an LLM judge when one is configured.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from . import dates
from .findings import Findings, single_source
from .keys import KeyMaker, fold
from .models import Document, GroundedClaim, JudgeVerdict
from .numbers import Comparison, Quantity, compare, first_quantity

Judge = Callable[[GroundedClaim, GroundedClaim], JudgeVerdict | None]

# Wording that marks a running figure, read at a moment: a toll, a count "so far".
_RUNNING = re.compile(
    r"\b(?:toll|so far|as of|at least|rose to|risen|climbed|climbing|has reached|had reached|"
    r"cumulative|confirmed cases|have died|had died|killed|dead|deaths|missing|still|now stands|injured|"
    r"injuries|wounded|displaced|evacuated|evacuees|infected|hospitali[sz]ed|arrested|cases)\b",
    re.IGNORECASE,
)
NEIGHBOURS_PER_CLAIM = 3


@dataclass(frozen=True)
class _Side:
    """A claim with what comparison needs: its quantity, periods, moment and other conditions."""

    claim: GroundedClaim
    quantity: Quantity | None
    periods: tuple[dates.Period, ...]
    moment: str | None
    settings: frozenset[str]


def cross_check(
    documents: list[Document], claims: list[GroundedClaim], keys: KeyMaker, judge: Judge | None = None,
    concurrency: int = 1, independent: dict[str, str] | None = None,
) -> Findings:
    """Contradictions, corroborations and single-source claims of one batch.

    `independent` maps each document to its source (a syndicated copy to its original):
    corroboration needs two independent sources, not two copies.
    """
    sha_of = {d.id: d.sha256 for d in documents}
    date_of = {d.id: d.date for d in documents}
    findings = Findings(source_of=independent or {})
    groups: dict[tuple[str, str], list[_Side]] = defaultdict(list)
    for claim in claims:
        groups[keys.pair(claim.subject, claim.attribute)].append(_side(claim, date_of.get(claim.document)))
    for sides in groups.values():
        if len({s.claim.document for s in sides}) < 2:
            continue
        numeric = [s for s in sides if s.quantity is not None]
        if numeric:
            _check_numeric(numeric, findings, keys, sha_of)
    if judge is not None:
        pairs = textual_candidates([c for c in claims if c.number is None], keys)
        findings.candidate_pairs += len(pairs)
        with ThreadPoolExecutor(max_workers=max(concurrency, 1)) as pool:
            verdicts = list(pool.map(lambda pair: judge(*pair), pairs))
        for (a, b), verdict in zip(pairs, verdicts, strict=True):
            _record_verdict(a, b, verdict, findings, keys, sha_of)
    findings.single_source = single_source(claims, keys)
    return findings


def _side(claim: GroundedClaim, document_date: str | None) -> _Side:
    text = "; ".join(claim.conditions)
    moment = None
    if _RUNNING.search(claim.quote) or _RUNNING.search(claim.attribute) or _RUNNING.search(text):
        # only a running figure (a toll, a count so far) is read at a moment
        points = dates.point_dates(text)
        moment = points[-1] if points else document_date
    settings = frozenset(
        " ".join(fold(c).split()) for c in claim.conditions
        if not dates.periods(c) and not dates.point_dates(c)
    )
    return _Side(
        claim=claim,
        quantity=first_quantity(claim.value) if claim.number is not None else None,
        periods=tuple(dates.parse_periods(text)),
        moment=moment,
        settings=settings,
    )


def _comparable(a: _Side, b: _Side, latest_year: int | None) -> bool:
    """Figures for different periods, or running figures read at different moments, are not rivals."""
    if not dates.periods_compatible(list(a.periods), list(b.periods), latest_year):
        return False
    if {"forecast"} & a.settings != {"forecast"} & b.settings:
        return False  # a forecast and an outcome are different quantities
    return not (a.moment and b.moment and a.moment != b.moment)


def _check_numeric(sides: list[_Side], findings: Findings, keys: KeyMaker, sha_of: dict[str, str]) -> None:
    """Cluster agreeing figures; flag each document of every other cluster against the best-supported one.

    Comparing with the largest cluster only keeps pairs linear in the claims (at most one
    pair per claim) while still flagging every document that disagrees with what most
    documents say.
    """
    years = [p.year for s in sides for p in s.periods if p.year is not None]
    latest = max(years) if years else None
    clusters: list[list[_Side]] = []
    for side in sorted(sides, key=lambda s: (s.claim.document, s.claim.start)):
        for cluster in clusters:
            head = cluster[0]
            if _comparable(head, side, latest) and _agrees(head, side):
                cluster.append(side)
                break
        else:
            clusters.append([side])
    for cluster in clusters:
        findings.corroborate([s.claim for s in cluster], keys)
    clusters.sort(key=lambda c: (-len({s.claim.document for s in c}), c[0].claim.document))
    anchor = clusters[0]
    for other in clusters[1:]:
        seen: set[str] = set()
        for side in other:
            if side.claim.document in seen:
                continue  # one flag per dissenting document is enough
            seen.add(side.claim.document)
            rival = _rival(anchor, side, latest)
            if rival is None:
                continue
            _compare_pair(rival, side, findings, sha_of)


def _compare_pair(a: _Side, b: _Side, findings: Findings, sha_of: dict[str, str]) -> None:
    findings.candidate_pairs += 1
    assert a.quantity is not None and b.quantity is not None
    outcome = compare(a.quantity, b.quantity)
    if outcome.relation == "differ":
        _flag_numeric(a, b, outcome, findings, sha_of)


def _agrees(a: _Side, b: _Side) -> bool:
    assert a.quantity is not None and b.quantity is not None
    return compare(a.quantity, b.quantity).relation == "agree"


def _rival(anchor: list[_Side], side: _Side, latest: int | None) -> _Side | None:
    """The first figure of the best-supported cluster, from another document, that `side` can be compared with."""
    for a in anchor:
        if a.claim.document != side.claim.document and _comparable(a, side, latest):
            return a
    return None


def _flag_numeric(a: _Side, b: _Side, outcome: Comparison, findings: Findings, sha_of: dict[str, str]) -> None:
    conditions_differ = a.settings != b.settings
    rationale = f"{a.claim.subject}, {a.claim.attribute}: {outcome.rationale}."
    if conditions_differ:
        rationale += f" Conditions differ: {_describe(a)} vs {_describe(b)}."
    hedged = [s.claim.document for s in (a, b) if s.claim.hedged]
    if hedged:
        rationale += f" Hedged in {', '.join(hedged)}."
    findings.flag(
        a.claim, b.claim, kind="numeric", severity=outcome.severity, rationale=rationale,
        conditions_differ=conditions_differ, sha_of=sha_of,
    )


def _describe(side: _Side) -> str:
    return ", ".join(side.claim.conditions) if side.claim.conditions else "none stated"


# --- text ---------------------------------------------------------------------------------------


_STOPWORDS = {"the", "and", "for", "with", "from", "its", "that", "this", "into", "over", "than", "per"}


def _tokens(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", fold(text)) if len(w) > 2 and w not in _STOPWORDS}


def textual_candidates(claims: list[GroundedClaim], keys: KeyMaker) -> list[tuple[GroundedClaim, GroundedClaim]]:
    """Pairs of non-numeric claims from different documents about the same subject.

    Same attribute key first; then claims whose attribute, value and quote share rare words
    ("relationship to the Llama family" and "a distinct lineage, not Llama"), weighted by
    how rare each word is among the subject's claims and found through an inverted index:
    at most NEIGHBOURS_PER_CLAIM per claim, so the pairs stay linear and the judge decides.
    """
    pairs: dict[tuple[str, str], tuple[GroundedClaim, GroundedClaim]] = {}
    by_subject: dict[str, list[GroundedClaim]] = defaultdict(list)
    for c in claims:
        by_subject[keys.subject(c.subject)].append(c)
    for group in by_subject.values():
        attribute_keys = [keys.attribute(c.attribute) for c in group]
        subject_words = set().union(*(_tokens(c.subject) for c in group))
        words = [(_tokens(c.attribute) | _tokens(c.value) | _tokens(c.quote)) - subject_words for c in group]
        frequency: dict[str, int] = defaultdict(int)
        for claim_words in words:
            for token in claim_words:
                frequency[token] += 1
        weight = {t: math.log(1 + len(group) / n) for t, n in frequency.items()}
        index: dict[str, list[int]] = defaultdict(list)
        for i, claim_words in enumerate(words):
            for token in claim_words | {"=" + attribute_keys[i]}:
                index[token].append(i)

        for i, claim in enumerate(group):
            near = {j for t in words[i] | {"=" + attribute_keys[i]} for j in index[t][:200]}
            scored = {
                j: _similarity(attribute_keys[i], attribute_keys[j], words[i], words[j], weight)
                for j in near if group[j].document != claim.document
            }
            ranked = sorted(scored, key=lambda j: (-scored[j], j))[:NEIGHBOURS_PER_CLAIM]
            rare = math.log(1 + len(group) / 2)  # the weight of a word that at most two claims use
            for j in ranked:
                if scored[j] >= rare - 1e-9:
                    a, b = sorted((claim, group[j]), key=lambda c: c.id)
                    pairs.setdefault((a.id, b.id), (a, b))
    return list(pairs.values())


def _similarity(key_a: str, key_b: str, words_a: set[str], words_b: set[str], weight: dict[str, float]) -> float:
    """What two claims share: everything for the same attribute key, else their shared words,
    each weighted by its rarity among the subject's claims (a rare shared word is a lead)."""
    if key_a == key_b:
        return math.inf
    return sum(weight.get(t, 0.0) for t in words_a & words_b)


def _record_verdict(
    a: GroundedClaim, b: GroundedClaim, verdict: JudgeVerdict | None, findings: Findings, keys: KeyMaker,
    sha_of: dict[str, str],
) -> None:
    if verdict is None:
        return
    if verdict.relation == "contradicts":
        findings.flag(
            a, b, kind="textual", severity="major" if verdict.conditions_match else "minor",
            rationale=verdict.rationale, conditions_differ=not verdict.conditions_match, sha_of=sha_of,
        )
    elif verdict.relation == "agrees":
        findings.corroborate([a, b], keys)
