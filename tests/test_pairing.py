"""Offline pairing: figures of two documents that report one measure meet in one question even
when the parser read their subjects differently, and figures that only look alike do not.

Each test builds two small documents' claims as the rules backend grounds them and runs the
code aligner (`align.align` without an LLM grouping), which ends in `pairing.pair_figures`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier import align, pairing
from verifier.cli import cli
from verifier.embed import default_embedder
from verifier.keys import KeyMaker
from verifier.models import Document, GroundedClaim
from verifier.numbers import first_quantity

KEYS = KeyMaker()


def _claim(cid: str, doc: str, subject: str, attribute: str, value: str, quote: str) -> GroundedClaim:
    q = first_quantity(value)
    return GroundedClaim(id=cid, document=doc, subject=subject, attribute=attribute, value=value,
                         number=q.value if q else None, unit=q.unit if q else None, conditions=[], quote=quote,
                         start=0, end=len(quote))


def _aligned(claims: list[GroundedClaim], texts: dict[str, str] | None = None) -> align.Alignment:
    words = pairing.vocabulary(Document(id=d, path=f"{d}.txt", title=d, text=t, sha256=d) for d, t in texts.items()) \
        if texts else None
    return align.align(claims, KEYS, embedder=default_embedder(), words=words)


def _together(result: align.Alignment, a: str, b: str) -> bool:
    return result.question_of[a] == result.question_of[b]


def test_one_cost_under_two_subjects_meets_in_one_question() -> None:
    claims = [
        _claim("a1", "a", "the bridge", "construction cost", "$1.2 billion",
               "The bridge's construction cost reached $1.2 billion, the agency said."),
        _claim("b1", "b", "Ostmark", "construction cost", "$1.5 billion",
               "Ostmark's new crossing had a construction cost of $1.5 billion."),
    ]
    result = _aligned(claims)
    assert result.entity_of["a1"] != result.entity_of["b1"]  # the parser's subjects stay two entities
    assert _together(result, "a1", "b1")
    assert result.paired == 1


def test_only_the_best_counterpart_is_paired() -> None:
    claims = [
        _claim("a1", "a", "the bridge", "construction cost", "$1.2 billion",
               "The bridge's construction cost reached $1.2 billion."),
        _claim("a2", "a", "the bridge", "cost of the approach roads", "$1.0 billion",
               "The cost of the approach roads came to $1.0 billion."),
        _claim("b1", "b", "Ostmark", "construction cost", "$1.5 billion",
               "Ostmark's new crossing had a construction cost of $1.5 billion."),
    ]
    result = _aligned(claims)
    assert _together(result, "a1", "b1")
    assert not _together(result, "a2", "b1")


def test_a_third_document_that_tells_two_figures_apart_keeps_them_apart() -> None:
    claims = [
        _claim("a1", "a", "the bridge", "construction cost", "$1.2 billion",
               "The bridge's construction cost reached $1.2 billion."),
        _claim("b1", "b", "the tunnel", "construction cost", "$1.5 billion",
               "The tunnel's construction cost reached $1.5 billion."),
        _claim("c1", "c", "the bridge", "construction cost", "$1.25 billion",
               "The bridge's construction cost was put at $1.25 billion."),
        _claim("c2", "c", "the tunnel", "construction cost", "$1.55 billion",
               "The tunnel's construction cost was put at $1.55 billion."),
    ]
    result = _aligned(claims)
    assert not _together(result, "a1", "b1")
    assert not _together(result, "c1", "c2")


def test_a_figure_beside_a_name_the_other_report_never_mentions_is_not_paired() -> None:
    texts = {
        "a": "The marathon was won in 2:07:41. Runner Poul Svendsen, 71, finished in 3:10:05.",
        "b": "The winner crossed the line in 2:09:12 after a fast start.",
    }
    claims = [
        _claim("a1", "a", "the marathon", "winning time", "2:07:41", "The marathon was won in 2:07:41."),
        _claim("a2", "a", "Svendsen", "finishing time", "3:10:05",
               "Runner Poul Svendsen, 71, finished in 3:10:05."),
        _claim("b1", "b", "the winner", "finishing time", "2:09:12",
               "The winner crossed the line in 2:09:12 after a fast start."),
    ]
    result = _aligned(claims, texts)
    assert not _together(result, "a2", "b1")


Said = tuple[str, str, str, str]  # subject, attribute, value, quote


@pytest.mark.parametrize("a, b", [
    # shares of different things
    (("the festival", "share", "94%", "Organisers said 94% of tents were taken down by noon."),
     ("the site", "share", "50 per cent", "About 50 per cent of festivalgoers left before the final act.")),
    # counts far apart under different subjects
    (("the museum", "visitors last year", "700,000", "The museum drew 700,000 visitors last year."),
     ("Lisbon", "visitors last year", "21 million", "Lisbon welcomed 21 million visitors last year.")),
    # a count and a sum of money
    (("the walkout", "workers on strike", "4,000", "The strike drew 4,000 workers to the picket lines."),
     ("the stoppage", "strike pay lost", "$4,500", "The strike cost each worker $4,500 in lost pay.")),
    # one figure, said of two different things ("$40 million" is many things)
    (("Port", "fine", "$40 million", "The regulator said the fine was $40 million."),
     ("Port", "profit", "$40 million", "The operator said its profit was $40 million.")),
    # one noun with two things done to it is two measures
    (("the utility", "homes reconnected", "12,000", "The utility said 12,000 homes had been reconnected by Tuesday."),
     ("the storm", "homes still cut off", "9,000", "Some 9,000 homes were still cut off on Tuesday.")),
], ids=["shares of different things", "far apart under different subjects", "a count and money",
        "one value of two things",
        "two verbs on one noun"])
def test_figures_that_only_look_alike_are_not_paired(a: Said, b: Said) -> None:
    result = _aligned([_claim("a1", "a", *a), _claim("b1", "b", *b)])
    assert not _together(result, "a1", "b1")
    assert result.paired == 0


def test_the_same_measure_of_two_named_people_is_not_paired() -> None:
    texts = {
        "a": "The mayor, Ruth Calder, is 54 years old. Her challenger is Tom Ives.",
        "b": "The challenger, Tom Ives, is 61 years old. He faces the mayor, Ruth Calder.",
    }
    claims = [
        _claim("a1", "a", "the mayor", "age", "54 years", "The mayor, Ruth Calder, is 54 years old."),
        _claim("b1", "b", "the challenger", "age", "61 years", "The challenger, Tom Ives, is 61 years old."),
    ]
    result = _aligned(claims, texts)
    assert not _together(result, "a1", "b1")


def test_a_name_a_document_gives_past_its_head_still_counts_as_named(tmp_path: Path) -> None:
    """A run cuts each document to its head once extraction is done; whom a document names is read
    from its whole text before that, so a name given near the end still lets a figure be paired."""
    filler = " ".join(["Residents gathered along the river bank to watch the work go on."] * 40)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Kelvale crossing opens\n\nKelvale's new crossing had a construction cost of "
                                f"$1.2 billion, the agency said.\n\n{filler}\n\n"
                                "Some of the engineers came from Ostmark.\n")
    (docs / "b.txt").write_text("Bridge finished\n\nThe bridge's construction cost came to $1.5 billion, "
                                "Ostmark officials said.\n")
    result = CliRunner().invoke(cli, ["run", str(docs), "--backend", "rules", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["counts"]["paired"] == 1
    flagged = [sorted(c["value"] for c in f["claims"]) for f in report["contradictions"]]
    assert flagged == [["$1.2 billion", "$1.5 billion"]]


def test_a_place_named_beside_one_figure_does_not_keep_two_reports_of_it_apart() -> None:
    # "the Bellmoor weather station" names where the gust was measured, not whose figure it is: an
    # article before a name says it is a place, a thing or an event, not a person (compare Poul Svendsen).
    texts = {
        "a": "The strongest gust, 140 km/h, was recorded at the Bellmoor weather station on Friday night.",
        "b": "Forecasters said the strongest gust of the storm reached 118 km/h on the coast on Friday.",
    }
    claims = [
        _claim("a1", "a", "Bellmoor", "strongest gust", "140 km/h",
               "The strongest gust, 140 km/h, was recorded at the Bellmoor weather station on Friday night."),
        _claim("b1", "b", "the coast", "strongest gust", "118 km/h",
               "Forecasters said the strongest gust of the storm reached 118 km/h on the coast on Friday."),
    ]
    assert _together(_aligned(claims, texts), "a1", "b1")


def test_a_plural_in_es_meets_its_singular() -> None:
    # "passes" was cut to "passe", which no singular "pass" meets; "houses" keeps its e.
    from verifier.features import content_stems

    assert content_stems("weekend passes") == content_stems("weekend pass")
    assert content_stems("boxes shipped") & content_stems("box")
    assert content_stems("houses") == content_stems("house")
    assert content_stems("sizes") == content_stems("size")


@pytest.mark.parametrize("words, things", [
    ("at the Kelbrook gauge", {"Kelbrook"}),
    ("won the Lakeport Marathon", {"Lakeport", "Marathon"}),
    ("said that Anna Berg", set()),  # only an article makes a place or a thing
    ("said the US President Joe Biden", {"US", "President"}),  # past a title of two words, a person
    ("told the BBC's Laura Smith", {"BBC's"}),  # a new name after a possessive
])
def test_only_a_name_after_an_article_is_a_place_or_a_thing(words: str, things: set[str]) -> None:
    assert {w for w, thing in pairing._names(words.split(), False) if thing} == things


def test_a_match_too_far_apart_to_pair_does_not_hide_the_one_that_pairs() -> None:
    # The 31,500 share every word of the 400's measure, but a count 78 times larger under another
    # subject is never the same count: taken as the 400's best match, it failed the threshold and
    # left the 400 with no match, though the 650 treated was one.
    claims = [
        _claim("a1", "a", "the race", "runners needing treatment", "About 400",
               "About 400 runners needing treatment were seen by medics"),
        _claim("b1", "b", "the organisers", "runners treated", "some 650",
               "Medics treated some 650 runners, organisers said"),
        _claim("b2", "b", "the organisers", "runners needing treatment", "31,500",
               "the 31,500 runners needing treatment of their entry fees were refunded"),
    ]
    assert _together(_aligned(claims), "a1", "b1")
