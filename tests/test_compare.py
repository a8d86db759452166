"""Cross-checking: which pairs become flags, explained differences, timelines, corroborations, or nothing."""

from __future__ import annotations

from verifier import compare
from verifier.align import align
from verifier.findings import Findings
from verifier.keys import KeyMaker
from verifier.models import Document, GroundedClaim
from verifier.numbers import first_quantity

KEYS = KeyMaker()


def cross_check(docs: list[Document], claims: list[GroundedClaim], keys: KeyMaker = KEYS) -> Findings:
    """Align, then cross-check: the path every batch takes."""
    return compare.cross_check(docs, align(docs, claims, keys), keys)


def _doc(doc_id: str, date: str | None = None) -> Document:
    return Document(id=doc_id, path=f"{doc_id}.txt", sha256=doc_id * 8, title=doc_id, text="", date=date)


def _claim(doc: str, value: str, subject: str = "Acme", attribute: str = "revenue", conditions: list[str] | None = None,
           quote: str | None = None, n: int = 0) -> GroundedClaim:
    q = first_quantity(value)
    return GroundedClaim(
        id=f"{doc}-{value}-{subject}-{n}", document=doc, subject=subject, attribute=attribute, value=value,
        number=q.value if q else None, unit=q.unit if q else None, conditions=conditions or [],
        quote=quote or f"{subject} {attribute} {value}", start=n, end=n + 5,
    )


def test_disagreeing_figures_are_flagged_and_agreeing_ones_corroborate() -> None:
    docs = [_doc("a"), _doc("b"), _doc("c")]
    claims = [_claim("a", "$4.2 billion"), _claim("b", "$4,200 million"), _claim("c", "$4.6 billion")]
    findings = cross_check(docs, claims, KEYS)
    [flag] = findings.contradictions
    assert {c.document for c in flag.claims} == {"a", "c"} or {c.document for c in flag.claims} == {"b", "c"}
    assert flag.kind == "numeric" and flag.severity == "major"
    [agree] = findings.corroborations
    assert agree.documents == ["a", "b"]


def test_different_subjects_are_never_compared() -> None:
    docs = [_doc("a"), _doc("b")]
    claims = [_claim("a", "52", subject="Muse Spark", attribute="Intelligence Index"),
              _claim("b", "57", subject="Gemini 3.1 Pro Preview", attribute="Intelligence Index")]
    assert cross_check(docs, claims, KEYS).contradictions == []


def test_conditions_on_one_side_only_are_flagged_and_marked() -> None:
    docs = [_doc("a"), _doc("b")]
    claims = [_claim("a", "50.2", subject="Muse Spark", attribute="HLE", conditions=["No Tools"]),
              _claim("b", "58%", subject="Muse Spark", attribute="HLE")]
    [flag] = cross_check(docs, claims, KEYS).contradictions
    assert flag.conditions_differ
    assert "No Tools" in flag.rationale


def test_a_running_toll_dated_differently_is_not_a_contradiction() -> None:
    docs = [_doc("a", date="2026-03-03"), _doc("b", date="2026-03-05")]
    claims = [_claim("a", "120", subject="Xland", attribute="death toll", quote="the death toll stood at 120"),
              _claim("b", "410", subject="Xland", attribute="death toll", quote="the death toll has risen to 410")]
    assert cross_check(docs, claims, KEYS).contradictions == []
    undated = [_doc("a"), _doc("b")]
    assert len(cross_check(undated, claims, KEYS).contradictions) == 1


def test_figures_for_different_periods_are_not_rivals() -> None:
    docs = [_doc("a"), _doc("b")]
    claims = [_claim("a", "$4.2 billion", conditions=["Q3 2026"]), _claim("b", "$3.9 billion", conditions=["Q3 2025"])]
    assert cross_check(docs, claims, KEYS).contradictions == []


def test_one_document_alone_never_corroborates_itself() -> None:
    claims = [_claim("a", "$4.2 billion", n=1), _claim("a", "$4.2 billion", n=2), _claim("b", "$9 billion",
                                                                                          attribute="profit")]
    findings = cross_check([_doc("a"), _doc("b")], claims, KEYS)
    assert findings.corroborations == []
    assert len(findings.single_source) == 3


def test_candidate_pairs_grow_linearly_with_claims() -> None:
    for n in (10, 100, 1000):
        docs = [_doc(f"d{i}") for i in range(n)]
        claims = [_claim(f"d{i}", f"{i % 7 + 1} billion dollars", subject=f"Firm{i % 50}") for i in range(n)]
        findings = cross_check(docs, claims, KEYS)
        assert findings.candidate_pairs <= 3 * len(claims)
