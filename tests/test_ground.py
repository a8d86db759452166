"""Grounding: quotes are found in the source or the claim is dropped."""

from __future__ import annotations

from verifier.ground import ground, locate
from verifier.keys import KeyMaker
from verifier.models import CandidateClaim, Document, ExtractedClaim

TEXT = "Meta’s  stock rose 9% on the day.\nThe model scores 80.4 on MMMU Pro — a record."


def _doc(text: str = TEXT) -> Document:
    return Document(id="d", path="d.txt", sha256="0" * 64, title="t", text=text)


def _claim(quote: str, value: str = "80.4", hint: int | None = None) -> CandidateClaim:
    return CandidateClaim(
        document="d", hint=hint, origin="llm",
        claim=ExtractedClaim(subject="Muse Spark", attribute="MMMU Pro", value=value, quote=quote),
    )


def test_exact_then_normalised_then_fuzzy() -> None:
    assert locate(TEXT, "scores 80.4 on MMMU Pro")[2] == "exact"  # type: ignore[index]
    start, end, how = locate(TEXT, "Meta's stock rose 9%")  # type: ignore[misc]
    assert how == "normalized" and TEXT[start:end] == "Meta’s  stock rose 9%"
    start, end, how = locate(TEXT, "The model scores 80.4 on MMMU Pro - a recod")  # type: ignore[misc]
    assert how == "fuzzy" and "MMMU Pro" in TEXT[start:end]
    assert locate(TEXT, "The model scores 99.9 on an unrelated benchmark") is None


def test_the_stored_quote_is_the_documents_own_text() -> None:
    result = ground([_doc()], [_claim("the model scores 80.4 on mmmu pro - a record")], KeyMaker())
    [claim] = result.claims
    assert claim.quote == TEXT[claim.start:claim.end]
    assert claim.quote.startswith("The model scores 80.4")
    assert claim.number == 80.4


def test_invented_quotes_and_numbers_are_dropped() -> None:
    result = ground(
        [_doc()],
        [_claim("Muse Spark tops every leaderboard"), _claim("scores 80.4 on MMMU Pro", value="81.0")],
        KeyMaker(),
    )
    assert result.claims == []
    assert result.dropped == 2
    assert result.reasons == {"quote not found in document": 1, "number not in quote": 1}


def test_the_hint_picks_the_nearest_of_identical_spans() -> None:
    text = "| A |\n58.3 |\n| B |\n58.3 |"
    second = text.rindex("58.3")
    result = ground([_doc(text)], [_claim("58.3", value="58.3", hint=second)], KeyMaker())
    assert result.claims[0].start == second


def test_a_quote_is_a_window_around_its_figure_never_a_whole_long_line() -> None:
    from verifier.ground import MAX_QUOTE_CHARS, ground_one

    line = "word " * 20_000 + "Acme's revenue was $5 billion in 2025 " + "more " * 20_000
    claim = ExtractedClaim(subject="Acme", attribute="revenue", value="$5 billion", quote=line.strip())
    grounded = ground_one(_doc(line), CandidateClaim(document="d", claim=claim, origin="llm"), KeyMaker())
    assert not isinstance(grounded, str), grounded
    assert len(grounded.quote) <= MAX_QUOTE_CHARS and "$5 billion" in grounded.quote
    assert line[grounded.start:grounded.end] == grounded.quote and grounded.number == 5e9
    assert not grounded.quote.startswith(" ") and grounded.quote.split()[0] in ("word", "Acme's")
