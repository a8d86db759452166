"""Cross-checking: which pairs become flags, explained differences, timelines, corroborations, or nothing."""

from __future__ import annotations

import pytest

from verifier import compare, framing
from verifier.align import Alignment, align
from verifier.findings import Findings
from verifier.keys import KeyMaker
from verifier.models import Document, GroundedClaim, GroupVerdict, JudgeItem, PairVerdict
from verifier.numbers import first_quantity

KEYS = KeyMaker()


def aligned(docs: list[Document], claims: list[GroundedClaim], keys: KeyMaker = KEYS) -> Alignment:
    """Placed in time, then aligned: the path every batch takes before cross-checking."""
    return align(framing.frame(docs, claims).claims, keys)


def cross_check(docs: list[Document], claims: list[GroundedClaim], keys: KeyMaker = KEYS) -> Findings:
    """Time, align, then cross-check: the path every batch takes."""
    return compare.cross_check(docs, aligned(docs, claims, keys))


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


def test_figure_pairs_and_judge_calls_grow_linearly_with_claims() -> None:
    for n in (10, 100, 1000):
        docs = [_doc(f"d{i}") for i in range(n)]
        firms = max(n // 10, 2)
        claims = [_claim(f"d{i}", f"{i % 7 + 1} billion dollars", subject=f"Firm{i % firms}", n=i) for i in range(n)]
        claims += [_claim(f"d{i}", ("Arlen", "Brask")[i % 2], subject=f"Firm{i % firms}", attribute="headquarters",
                          n=n + i) for i in range(n)]
        calls: list[list[int]] = []

        def judge(items: list[JudgeItem], calls: list[list[int]] = calls) -> GroupVerdict:
            calls.append([len(item.claims) for item in items])
            return GroupVerdict(contradictions=[], agreements=[])

        alignment = aligned(docs, claims)
        findings = compare.cross_check(docs, alignment, judge=judge)
        assert findings.candidate_pairs <= 3 * len(claims)
        # every claim of a question with differing answers (the amounts) is judged once, in calls that
        # hold several questions up to a budget: never a call per pair, nor per question; each firm's
        # headquarters is given one way by all its documents, which needs no call
        judged = sum(sum(call) for call in calls)
        assert judged == n
        assert len(calls) == findings.judge_calls <= 2 * -(-judged // compare.JUDGE_CALL_CLAIMS) + 1
        assert all(sum(call) <= compare.JUDGE_CALL_CLAIMS or len(call) == 1 for call in calls)
        assert findings.judge_groups == sum(len(call) for call in calls)


# --- time and conditions -----------------------------------------------------------------------


def _dated(doc: str, value: str, when: str, attribute: str = "death toll", subject: str = "Varn",
           quote: str | None = None, n: int = 0) -> GroundedClaim:
    return _claim(doc, value, subject=subject, attribute=attribute, conditions=[when],
                  quote=quote or f"the {attribute} stood at {value}", n=n)


def test_a_rising_toll_on_dated_reports_is_a_timeline_and_the_same_day_disagreement_a_flag() -> None:
    docs = [_doc("a", "2026-03-02"), _doc("b", "2026-03-04"), _doc("c", "2026-03-04")]
    claims = [_dated("a", "12", "on Monday"), _dated("b", "31", "on Wednesday"), _dated("c", "25", "on Wednesday")]
    findings = cross_check(docs, claims)
    [timeline] = findings.timelines
    assert [p.value for p in timeline.points] == ["12", "31", "25"]  # oldest first
    [flag] = findings.contradictions  # Wednesday's 31 against Wednesday's 25, never Monday's 12
    assert {c.value for c in flag.claims} == {"31", "25"}


def test_a_partial_then_final_tally_is_an_update_not_a_flag() -> None:
    docs = [_doc("a", "2026-11-04"), _doc("b", "2026-11-06")]
    claims = [_claim("a", "18,200", subject="Ilse Dorn", attribute="votes", conditions=["Tuesday night"],
                     quote="Dorn had 18,200 votes with 40% of ballots counted"),
              _claim("b", "41,900", subject="Ilse Dorn", attribute="votes", conditions=["Thursday"],
                     quote="in the final count Dorn received 41,900 votes")]
    findings = cross_check(docs, claims)
    assert findings.contradictions == [] and len(findings.timelines) == 1


def test_a_running_count_that_falls_later_is_flagged() -> None:
    docs = [_doc("a", "2026-03-02"), _doc("b", "2026-03-04")]
    claims = [_dated("a", "40", "on Monday", quote="the death toll has risen to 40"),
              _dated("b", "25", "on Wednesday", quote="the death toll has reached 25")]
    [flag] = cross_check(docs, claims).contradictions
    assert "cannot fall" in flag.rationale


def test_a_difference_the_stated_conditions_explain_is_listed_apart_from_the_flags() -> None:
    docs = [_doc("a"), _doc("b")]
    claims = [_claim("a", "71", subject="Tarsk", attribute="Brixley Index rating", conditions=["with tools"]),
              _claim("b", "64", subject="Tarsk", attribute="Brixley Index rating", conditions=["without tools"])]
    findings = cross_check(docs, claims)
    assert findings.contradictions == []
    [explained] = findings.explained
    assert "different stated conditions" in explained.reason


def test_one_phrasing_of_a_condition_is_not_two_conditions() -> None:
    docs = [_doc("a"), _doc("b")]
    claims = [_claim("a", "71", subject="Tarsk", attribute="Brixley Index rating", conditions=["no tools"]),
              _claim("b", "64", subject="Tarsk", attribute="Brixley Index rating", conditions=["without tools"])]
    [flag] = cross_check(docs, claims).contradictions
    assert not flag.conditions_differ


def test_the_judge_answer_is_checked_and_gives_one_flag_per_pair_of_positions() -> None:
    docs = [_doc("a"), _doc("b"), _doc("c")]
    claims = [
        _claim("a", "a successor to the Lyra rover", subject="Vega", attribute="lineage", n=1),
        _claim("b", "built from scratch", subject="Vega", attribute="lineage", n=2),
        _claim("c", "a new design, not Lyra's", subject="Vega", attribute="lineage", n=3),
        _claim("c", "first of a new family", subject="Vega", attribute="lineage", n=4),
    ]
    asked: list[int] = []

    def judge(items: list[JudgeItem]) -> GroupVerdict:
        [item] = items
        asked.append(len(item.claims))
        number = {c.value: n for n, c in enumerate(item.claims, start=1)}
        first = number["a successor to the Lyra rover"]
        return GroupVerdict(
            contradictions=[PairVerdict(a=first, b=number[v], conditions_match=True, rationale="Lyra or not.")
                            for v in ("built from scratch", "a new design, not Lyra's", "first of a new family")]
            + [PairVerdict(a=number["a new design, not Lyra's"], b=number["first of a new family"],  # one document
                           conditions_match=True, rationale="same document"),
               PairVerdict(a=first, b=99, conditions_match=True, rationale="no such claim")],
            agreements=[[number["built from scratch"], number["a new design, not Lyra's"]]],
        )

    findings = compare.cross_check(docs, aligned(docs, claims), judge=judge)
    assert asked == [4] and findings.judge_groups == findings.judge_calls == 1  # one call for the whole question
    # b and c agree, and c's two claims are one document: one position against a's
    [flag] = findings.contradictions
    assert flag.kind == "textual" and flag.question
    assert "a" in {c.document for c in flag.claims}
    assert len(findings.corroborations) == 1


def test_figures_code_finds_identical_are_corroborated_without_asking_the_judge() -> None:
    docs = [_doc("a"), _doc("b"), _doc("c")]
    claims = [_claim("a", "$4.2 billion"), _claim("b", "$4,200 million"), _claim("c", "4.2 billion dollars")]

    def judge(items: list[JudgeItem]) -> GroupVerdict:
        raise AssertionError("one answer in one frame needs no judge")

    findings = compare.cross_check(docs, aligned(docs, claims), judge=judge)
    assert findings.contradictions == [] and findings.judge_groups == 0
    [agreement] = findings.corroborations
    assert agreement.documents == ["a", "b", "c"]


def test_with_a_judge_a_pair_of_figures_is_flagged_only_when_the_judge_says_so() -> None:
    docs = [_doc("a"), _doc("b"), _doc("c")]
    claims = [_claim("a", "$4.2 billion"), _claim("b", "$4.6 billion"), _claim("c", "$4.2 billion", n=1)]
    shown: list[JudgeItem] = []

    def compatible(items: list[JudgeItem]) -> GroupVerdict:
        shown.extend(items)
        return GroupVerdict(contradictions=[], agreements=[])

    findings = compare.cross_check(docs, aligned(docs, claims), judge=compatible)
    assert findings.contradictions == []  # code saw a difference; the judge saw none: no flag
    [item] = shown
    assert any("differ" in gap and "frames match" in gap for gap in item.gaps)  # the judge sees code's arithmetic
    assert all(reading for reading in item.readings)

    def contradicts(items: list[JudgeItem]) -> GroupVerdict:
        number = {c.document: n for n, c in enumerate(items[0].claims, start=1)}
        return GroupVerdict(contradictions=[PairVerdict(a=number["a"], b=number["b"], conditions_match=True,
                                                        rationale="Two amounts for one quarter."),
                                            PairVerdict(a=number["a"], b=number["c"], conditions_match=True,
                                                        rationale="Wrongly opposed.")], agreements=[])

    findings = compare.cross_check(docs, aligned(docs, claims), judge=contradicts)
    [flag] = findings.contradictions  # a against c is equal arithmetic: dropped with a note
    assert {c.document for c in flag.claims} == {"a", "b"} and flag.kind == "numeric"
    assert "Two amounts" in flag.rationale and "4.2" in flag.rationale
    assert any("not flagged" in note for note in findings.notes)


def test_a_failed_judge_call_leaves_the_figures_to_code() -> None:
    docs = [_doc("a"), _doc("b")]
    claims = [_claim("a", "$4.2 billion"), _claim("b", "$4.6 billion")]
    findings = compare.cross_check(docs, aligned(docs, claims), judge=lambda items: "judge: HTTP 500")
    assert len(findings.contradictions) == 1 and findings.failures == ["judge: HTTP 500"]


@pytest.mark.parametrize("a, b", [
    (["according to analysts"], ["company filing"]),  # sources, not settings of the figure
    (["in a statement"], ["at a press conference"]),
    (["with tools"], ["with tool use"]),  # one condition, worded twice
])
def test_conditions_that_do_not_bear_on_the_figure_do_not_explain_a_difference(a: list[str], b: list[str]) -> None:
    docs = [_doc("a"), _doc("b")]
    claims = [_claim("a", "$4.2 billion", conditions=a), _claim("b", "$5.1 billion", conditions=b)]
    findings = cross_check(docs, claims)
    assert findings.explained == []
    [flag] = findings.contradictions
    assert flag.conditions_differ == (a != ["with tools"])


@pytest.mark.parametrize("first, second", [
    ("the fire has burned 45,000 acres", "the fire has burned 60,000 acres"),
    ("containment reached 20%", "containment reached 45%"),
    ("52,000 households remain without power", "18,000 households remain without power"),
])
def test_readings_of_any_kind_on_dated_reports_form_a_timeline(first: str, second: str) -> None:
    docs = [_doc("a", "2026-08-10"), _doc("b", "2026-08-12")]
    value = [q for q in (first_quantity(first), first_quantity(second))]
    claims = [_claim("a", value[0].text, subject="Cedar fire", attribute="measure", quote=first),  # type: ignore[union-attr]
              _claim("b", value[1].text, subject="Cedar fire", attribute="measure", quote=second)]  # type: ignore[union-attr]
    findings = cross_check(docs, claims)
    assert findings.contradictions == [] and len(findings.timelines) == 1


def test_a_count_that_the_words_say_went_down_is_not_a_running_count_that_cannot_fall() -> None:
    docs = [_doc("a", "2026-08-10"), _doc("b", "2026-08-12")]
    claims = [_claim("a", "1,200", subject="Pell", attribute="evacuated", quote="1,200 residents have been evacuated"),
              _claim("b", "300", subject="Pell", attribute="evacuated",
                     quote="the number evacuated has dropped to 300")]
    findings = cross_check(docs, claims)
    assert findings.contradictions == [] and len(findings.timelines) == 1


def test_weekdays_without_a_date_are_times_but_not_an_order() -> None:
    docs = [_doc("a"), _doc("b")]
    claims = [_dated("a", "12", "on Saturday", quote="the toll has risen to 12"),
              _dated("b", "31", "on Monday", quote="the toll has risen to 31")]
    findings = cross_check(docs, claims)
    assert findings.contradictions == []  # no "cannot fall" either way: Saturday may follow Monday
    [timeline] = findings.timelines
    assert {p.as_of.label for p in timeline.points if p.as_of} == {"saturday", "monday"}
    assert all(p.as_of is not None and p.as_of.start is None for p in timeline.points)


def test_copies_of_one_story_count_once_when_the_majority_is_decided() -> None:
    docs = [_doc(d) for d in ("wire", "copy1", "copy2", "paper", "radio")]
    claims = [_claim(d, "$4.6 billion" if d.startswith(("wire", "copy")) else "$4.2 billion", n=i)
              for i, d in enumerate(("wire", "copy1", "copy2", "paper", "radio"))]
    sources = {"copy1": "wire", "copy2": "wire"}
    findings = compare.cross_check(docs, aligned(docs, claims), independent=sources)
    # two independent reports against one story told three times: the story is the dissent, and
    # each of its documents is flagged against the reports (counted by documents, the reports would be)
    flagged = sorted(next(c.document for c in f.claims if c.value == "$4.6 billion") for f in findings.contradictions)
    assert flagged == ["copy1", "copy2", "wire"]
    [agreeing] = [c for c in findings.corroborations if c.value == "$4.2 billion"]
    assert agreeing.documents == ["paper", "radio"]


def test_the_judge_may_oppose_claims_of_two_questions_of_one_entity_but_not_of_two_entities() -> None:
    docs = [_doc("a"), _doc("b")]
    claims = [_claim("a", "its main strength", subject="Orla", attribute="service", n=1),
              _claim("b", "praised", subject="Orla", attribute="service", n=6),
              _claim("b", "a weak point", subject="Orla", attribute="after-sales support", n=2),
              _claim("a", "adequate", subject="Orla", attribute="after-sales support", n=3),
              _claim("a", "poor", subject="Brix", attribute="service", n=4),
              _claim("b", "excellent", subject="Brix", attribute="service", n=5)]
    alignment = aligned(docs, claims)
    question_of = {c: q.id for q in alignment.questions for c in q.claims}
    assert question_of["a-its main strength-Orla-1"] != question_of["b-a weak point-Orla-2"]

    def judge(items: list[JudgeItem]) -> GroupVerdict:
        number = {c.value: n for n, c in enumerate([c for item in items for c in item.claims], start=1)}
        pairs = [("its main strength", "a weak point"), ("its main strength", "poor")]
        return GroupVerdict(contradictions=[PairVerdict(a=number[x], b=number[y], conditions_match=True,
                                                        rationale="Opposite verdicts on service.")
                                            for x, y in pairs if x in number and y in number], agreements=[])

    findings = compare.cross_check(docs, alignment, judge=judge)
    flagged = [{c.value for c in f.claims} for f in findings.contradictions]
    assert {"its main strength", "a weak point"} in flagged  # two questions of Orla, opposed by the judge
    assert {"its main strength", "poor"} not in flagged  # Orla against Brix: never


def test_equal_figures_under_two_wordings_may_contradict_in_words_when_the_judge_says_so() -> None:
    docs = [_doc("a"), _doc("b")]
    claims = [_claim("a", "$14 billion", subject="Orla", attribute="amount spent acquiring Brix"),
              _claim("b", "$14 billion", subject="Orla", attribute="investment in Brix")]
    shown: list[JudgeItem] = []

    def judge(items: list[JudgeItem]) -> GroupVerdict:
        shown.extend(items)
        return GroupVerdict(contradictions=[PairVerdict(a=1, b=2, conditions_match=True,
                                                        rationale="A purchase against a stake.")], agreements=[])

    one_question = KeyMaker({"investment in brix": "amount spent acquiring brix"})  # as an aligner would
    findings = compare.cross_check(docs, aligned(docs, claims, one_question), judge=judge)
    assert len(shown) == 1  # one figure under two wordings of what it measures: the judge reads it
    [flag] = findings.contradictions
    assert flag.kind == "textual" and "purchase" in flag.rationale and "agree" in flag.rationale
