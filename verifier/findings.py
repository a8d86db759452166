"""Findings: flags, explained differences, timelines, corroborations and single-source claims.

A flag's id comes from its two grounded claims (document hash and folded quote of
each, order-independent), never from a row number, so the same disagreement found
again by a later run keeps its id and the decisions people made about it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from . import timing
from .keys import fold
from .models import Contradiction, Corroboration, Explained, GroundedClaim, Question, Timeline, TimelinePoint


def _claim_identity(claim: GroundedClaim, sha_of: dict[str, str]) -> str:
    return f"{sha_of.get(claim.document, claim.document)}:{' '.join(fold(claim.quote).split())}:{fold(claim.value)}"


def flag_id(a: GroundedClaim, b: GroundedClaim, sha_of: dict[str, str]) -> str:
    """Order-independent id of a pair of claims, stable across re-runs."""
    parts = sorted([_claim_identity(a, sha_of), _claim_identity(b, sha_of)])
    return "f" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def _digest(prefix: str, parts: list[str]) -> str:
    return prefix + hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:12]


@dataclass
class Findings:
    """What cross-checking found, ready for the store and the report."""

    contradictions: list[Contradiction] = field(default_factory=list)
    explained: list[Explained] = field(default_factory=list)
    timelines: list[Timeline] = field(default_factory=list)
    corroborations: list[Corroboration] = field(default_factory=list)
    single_source: list[str] = field(default_factory=list)
    candidate_pairs: int = 0
    questions_compared: int = 0
    judge_groups: int = 0
    judge_calls: int = 0
    failures: list[str] = field(default_factory=list)  # judge calls that failed, one line each
    notes: list[str] = field(default_factory=list)  # what a reader should know: a judge's answer overruled
    source_of: dict[str, str] = field(default_factory=dict)
    sha_of: dict[str, str] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set, repr=False)  # ids already recorded, of every kind
    _timeline_of: dict[str, Timeline] = field(default_factory=dict, repr=False)
    _against: dict[str, set[str]] = field(default_factory=dict, repr=False)  # claim id -> documents flagged against it

    def sources(self, documents: list[str]) -> int:
        """How many independent sources these documents are (copies of one story count once)."""
        return len({self.source_of.get(d, d) for d in documents})

    def opposed(self, claim: GroundedClaim, document: str) -> bool:
        """Whether a flag already sets this claim against some claim of `document` (an index kept by
        `flag`: scanning every flag for every judged pair made comparison quadratic in the batch)."""
        return document in self._against.get(claim.id, ())

    def flag(
        self, a: GroundedClaim, b: GroundedClaim, *, kind: Literal["numeric", "textual"],
        severity: Literal["major", "minor"], rationale: str, conditions_differ: bool, question: Question | None = None,
    ) -> None:
        """Add a contradiction, once per pair of claims, in document order."""
        fid = flag_id(a, b, self.sha_of)
        if fid in self._seen:
            return
        self._seen.add(fid)
        first, second = sorted((a, b), key=lambda c: (c.document, c.start))
        self._against.setdefault(a.id, set()).add(b.document)
        self._against.setdefault(b.id, set()).add(a.document)
        self.contradictions.append(
            Contradiction(
                id=fid, kind=kind, severity=severity, rationale=rationale, conditions_differ=conditions_differ,
                question_id=question.id if question else "", question=question.text if question else "",
                claims=[first, second],
            )
        )

    def explain(self, question: Question, a: GroundedClaim, b: GroundedClaim, reason: str) -> None:
        """A difference the stated conditions account for: listed, not flagged."""
        eid = "x" + flag_id(a, b, self.sha_of)[1:]
        if eid in self._seen:
            return
        self._seen.add(eid)
        first, second = sorted((a, b), key=lambda c: (c.document, c.start))
        self.explained.append(Explained(id=eid, question_id=question.id, question=question.text, reason=reason,
                                        claims=[first, second]))

    def timeline(self, question: Question, claims: list[GroundedClaim]) -> None:
        """Readings of one question at different times; one timeline per question, points added once."""
        existing = self._timeline_of.get(question.id)
        if existing is None:
            existing = Timeline(id=_digest("t", [question.id]), question_id=question.id, question=question.text,
                                points=[])
            self.timelines.append(existing)
            self._timeline_of[question.id] = existing
        have = {p.claim for p in existing.points}
        for c in claims:
            if c.id not in have:
                existing.points.append(TimelinePoint(claim=c.id, document=c.document, value=c.value, as_of=c.as_of))
                have.add(c.id)
        existing.points.sort(key=lambda p: (timing.order_key(p.as_of), p.document))

    def corroborate(self, claims: list[GroundedClaim]) -> None:
        """Record agreement among claims from two or more independent sources."""
        documents = sorted({c.document for c in claims})
        if self.sources(documents) < 2:
            return
        cid = _digest("k", [c.id for c in claims])
        if cid in self._seen:
            return
        self._seen.add(cid)
        head = claims[0]
        self.corroborations.append(
            Corroboration(
                id=cid, subject=head.subject, attribute=head.attribute, value=head.value,
                documents=documents, claims=claims,
            )
        )
