"""Findings: flags, corroborations and single-source claims, with stable ids.

A flag's id comes from its two grounded claims (document hash and folded quote of
each, order-independent), never from a row number, so the same disagreement found
again by a later run keeps its id and the decisions people made about it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from .keys import KeyMaker, fold
from .models import Contradiction, Corroboration, GroundedClaim


def _claim_identity(claim: GroundedClaim, sha_of: dict[str, str]) -> str:
    return f"{sha_of.get(claim.document, claim.document)}:{' '.join(fold(claim.quote).split())}:{fold(claim.value)}"


def flag_id(a: GroundedClaim, b: GroundedClaim, sha_of: dict[str, str]) -> str:
    """Order-independent id of a pair of claims, stable across re-runs."""
    parts = sorted([_claim_identity(a, sha_of), _claim_identity(b, sha_of)])
    return "f" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


@dataclass
class Findings:
    """What cross-checking found, ready for the store and the report."""

    contradictions: list[Contradiction] = field(default_factory=list)
    corroborations: list[Corroboration] = field(default_factory=list)
    single_source: list[str] = field(default_factory=list)
    candidate_pairs: int = 0
    source_of: dict[str, str] = field(default_factory=dict)

    def flag(
        self, a: GroundedClaim, b: GroundedClaim, *, kind: Literal["numeric", "textual"],
        severity: Literal["major", "minor"], rationale: str, conditions_differ: bool,
        sha_of: dict[str, str],
    ) -> None:
        """Add a contradiction, once per pair of claims, in document order."""
        fid = flag_id(a, b, sha_of)
        if any(c.id == fid for c in self.contradictions):
            return
        first, second = sorted((a, b), key=lambda c: (c.document, c.start))
        self.contradictions.append(
            Contradiction(
                id=fid, kind=kind, severity=severity, rationale=rationale,
                conditions_differ=conditions_differ, claims=[first, second],
            )
        )

    def corroborate(self, claims: list[GroundedClaim], keys: KeyMaker) -> None:
        """Record agreement among claims from two or more independent sources."""
        documents = sorted({c.document for c in claims})
        if len({self.source_of.get(d, d) for d in documents}) < 2:
            return
        head = claims[0]
        cid = "k" + hashlib.sha256("\n".join(sorted(c.id for c in claims)).encode()).hexdigest()[:12]
        self.corroborations.append(
            Corroboration(
                id=cid, subject=head.subject, attribute=head.attribute, value=head.value,
                documents=documents, claims=claims,
            )
        )


def single_source(claims: list[GroundedClaim], keys: KeyMaker) -> list[str]:
    """Ids of claims whose subject and attribute no other document states."""
    documents_by_key: dict[tuple[str, str], set[str]] = {}
    for c in claims:
        documents_by_key.setdefault(keys.pair(c.subject, c.attribute), set()).add(c.document)
    return [c.id for c in claims if len(documents_by_key[keys.pair(c.subject, c.attribute)]) == 1]
