"""Cross-checking, one question at a time: figures by code, text by one judge call per question.

Alignment has put the claims that answer one question together, so comparison never
looks across questions: the work grows with the claims, not with their square, and the
judge reads each question's claims once, not every pair of claims about a subject.

What two differing answers to one question are depends on when and under what they hold:
- read at different times (stated, or a running count on different days): a **timeline**,
  an update, not a contradiction; a running count that falls later is flagged;
- for different periods, or under different stated conditions on both sides (a partial
  and a final count, another mode, another scope): an **explained** difference, listed
  apart from the flags;
- with a condition stated on one side only: a flag marked "conditions differ";
- otherwise: a flag.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from . import dates, timing
from .align import Alignment, document_labels
from .features import FUNCTION_WORDS, content_stems
from .findings import Findings
from .keys import KeyMaker, fold, squash
from .llm import LLM, ask, load_prompt
from .models import AsOf, Document, GroundedClaim, GroupVerdict, Question
from .numbers import Comparison, Quantity, compare, first_quantity
from .text import short

GroupJudge = Callable[[Question, list[GroundedClaim]], GroupVerdict | None]
JUDGE_GROUP_LIMIT = 30  # claims per judge call; a larger question is judged in parts

# Grammar that marks a figure as a reading at a moment, whatever it counts: the perfect
# ("has flooded", "have been rescued"), a state now ("stood at", "reached", "remain", "still"),
# a total so far ("so far", "to date"). Such a figure without a stated time is read at
# its document's date, so reports two days apart make a timeline, not a contradiction.
_PERFECT = r"ha(?:s|ve|d) (?:now |so far |already |since )?(?:been )?\w{2,30}(?:ed|en|wn|nt|un)"
_RUNNING = re.compile(
    rf"\b(?:{_PERFECT}|so far|to date|as of|at least|now|still|currently|remain(?:s|ed)?|stood at|stands at|"
    r"reached|rose to|risen|climbed|climbing|fell to|dropped to|grew to|grown to|cumulative|in total|altogether)\b",
    re.IGNORECASE,
)
# A count that only grows: a total so far or a perfect, unless the words say it went down.
_CUMULATIVE = re.compile(rf"\b(?:so far|to date|cumulative|in total|altogether|{_PERFECT})\b", re.IGNORECASE)
_FALLING = re.compile(
    r"\b(?:fell|fallen|dropped|declined|decreased|eased|shrank|shrunk|reduced|narrowed|lower|down|fewer|less|cut)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:no|not|without|excluding|non)\b|\bnon-", re.IGNORECASE)


@dataclass(frozen=True)
class _Side:
    """A claim with what comparison needs: its quantity, periods, time and other conditions."""

    claim: GroundedClaim
    quantity: Quantity | None
    periods: tuple[dates.Period, ...]
    when: AsOf | None
    cumulative: bool
    settings: frozenset[frozenset[str]]
    forecast: bool


def cross_check(
    documents: list[Document], alignment: Alignment, keys: KeyMaker, judge: GroupJudge | None = None,
    concurrency: int = 1, independent: dict[str, str] | None = None,
) -> Findings:
    """Contradictions, explained differences, timelines, corroborations and single-source claims.

    `independent` maps each document to its source (a syndicated copy to its original):
    corroboration and majorities count sources, not copies.
    """
    sha_of = {d.id: d.sha256 for d in documents}
    findings = Findings(source_of=independent or {}, sha_of=sha_of)
    by_id = {c.id: c for c in alignment.claims}
    jobs: list[tuple[Question, list[GroundedClaim]]] = []
    single: list[str] = []
    for question in alignment.questions:
        claims = [by_id[i] for i in question.claims if i in by_id]
        if len({c.document for c in claims}) < 2:
            single += [c.id for c in claims]
            continue
        findings.questions_compared += 1
        sides = [_side(c) for c in claims]
        numeric = [s for s in sides if s.quantity is not None]
        if len({s.claim.document for s in numeric}) > 1:
            _check_numeric(question, numeric, findings)
        if judge is not None and needs_judge(claims, keys):
            jobs += [(question, part) for part in _parts(claims)]
    findings.judge_groups = len(jobs)
    if judge is not None and jobs:
        with ThreadPoolExecutor(max_workers=max(concurrency, 1)) as pool:
            verdicts = list(pool.map(lambda job: judge(*job), jobs))
        for (question, claims), verdict in zip(jobs, verdicts, strict=True):
            if verdict is not None:
                _record_group(question, claims, verdict, findings, keys)
    findings.single_source = single
    return findings


def needs_judge(claims: list[GroundedClaim], keys: KeyMaker) -> bool:
    """A question goes to the judge when words carry what code cannot compare: a text claim, or
    figures stated under different attribute wordings ('spent acquiring' against 'invested in')."""
    if any(c.number is None for c in claims):
        return True
    return len({keys.attribute(c.attribute) or squash(c.attribute) for c in claims}) > 1


def _parts(claims: list[GroundedClaim]) -> list[list[GroundedClaim]]:
    """A question's claims in judge-sized parts, documents interleaved so each part compares sources."""
    if len(claims) <= JUDGE_GROUP_LIMIT:
        return [claims]
    by_doc: dict[str, list[GroundedClaim]] = defaultdict(list)
    for c in claims:
        by_doc[c.document].append(c)
    interleaved = [c for row in _zip_longest(list(by_doc.values())) for c in row]
    n = -(-len(interleaved) // JUDGE_GROUP_LIMIT)
    size = -(-len(interleaved) // n)
    return [interleaved[i:i + size] for i in range(0, len(interleaved), size)]


def _zip_longest(lists: list[list[GroundedClaim]]) -> list[list[GroundedClaim]]:
    longest = max(len(x) for x in lists)
    return [[x[i] for x in lists if i < len(x)] for i in range(longest)]


def _side(claim: GroundedClaim) -> _Side:
    text = " ".join([claim.quote, claim.attribute, *claim.conditions])
    running = bool(_RUNNING.search(text))
    when = claim.as_of if claim.as_of and (claim.as_of.source == "stated" or running) else None
    settings = frozenset(_setting(c) for c in claim.conditions if _is_setting(c))
    return _Side(
        claim=claim,
        quantity=first_quantity(claim.value) if claim.number is not None else None,
        periods=tuple(dates.parse_periods("; ".join(claim.conditions))),
        when=when,
        cumulative=bool(_CUMULATIVE.search(claim.quote) or _CUMULATIVE.search(claim.attribute))
        and not _FALLING.search(claim.quote),
        settings=frozenset(s for s in settings if s),
        forecast=any(fold(c).strip() == "forecast" for c in claim.conditions),
    )


def _is_setting(condition: str) -> bool:
    """A condition that is not a time: 'no tools', 'turbo mode', 'partial count'."""
    if dates.periods(condition) or dates.point_dates(condition) or fold(condition).strip() == "forecast":
        return False
    return timing.stated_time(condition, None) is None


def _setting(condition: str) -> frozenset[str]:
    """A condition as its content stems, negation kept: 'no tools' and 'without tools' are one."""
    stems = set(content_stems(condition))
    if _NEGATION.search(condition):
        stems.add("¬")
    return frozenset(stems - FUNCTION_WORDS)


# --- figures -----------------------------------------------------------------------------------


def _relation(a: _Side, b: _Side, latest_year: int | None) -> str:
    """How two answers to one question stand: 'timeline', 'period', 'forecast', 'conditions' (both
    sides state conditions that differ on one dimension: a partial and a final count, no tools and
    tools), 'unlike' (both state conditions, but nothing says they bear on the figure), 'one-sided'
    (a condition on one side only) or 'same'."""
    if timing.disjoint(a.when, b.when):
        return "timeline"
    if not dates.periods_compatible(list(a.periods), list(b.periods), latest_year):
        return "period"
    if a.forecast != b.forecast:
        return "forecast"
    only_a, only_b = _unmatched(a.settings, b.settings), _unmatched(b.settings, a.settings)
    if only_a and only_b:
        contrast = any((x - {"¬"}) & (y - {"¬"}) for x in only_a for y in only_b)
        return "conditions" if contrast else "unlike"
    return "one-sided" if only_a or only_b else "same"


def _unmatched(mine: frozenset[frozenset[str]], theirs: frozenset[frozenset[str]]) -> list[frozenset[str]]:
    """Conditions of one side that the other does not state: the same words, or fewer of them
    ('with tools' and 'with tool use'), with the same negation, are one condition."""
    def same(x: frozenset[str], y: frozenset[str]) -> bool:
        words_x, words_y = x - {"¬"}, y - {"¬"}
        return ("¬" in x) == ("¬" in y) and bool(words_x and words_y) and (words_x <= words_y or words_y <= words_x)

    return [x for x in mine if not any(same(x, y) for y in theirs)]


_EXPLANATIONS = {
    "period": "they are for different periods",
    "forecast": "one is a forecast and the other an outcome",
    "conditions": "they hold under different stated conditions",
}


def _check_numeric(question: Question, sides: list[_Side], findings: Findings) -> None:
    """Cluster agreeing figures read under the same time and conditions; flag each document of every
    other cluster against the best-supported one; put timelines and explained differences apart.

    Comparing with the largest cluster only keeps pairs linear in the claims (at most one
    pair per claim) while still flagging every document that disagrees with what most
    sources say.
    """
    years = [p.year for s in sides for p in s.periods if p.year is not None]
    latest = max(years) if years else None
    _timeline(question, sides, findings)
    clusters: list[list[_Side]] = []
    for side in sorted(sides, key=lambda s: (s.claim.document, s.claim.start)):
        for cluster in clusters:
            head = cluster[0]
            if _relation(head, side, latest) in ("same", "one-sided", "unlike") and _agrees(head, side):
                cluster.append(side)
                break
        else:
            clusters.append([side])
    for cluster in clusters:
        findings.corroborate([s.claim for s in cluster])
    clusters.sort(key=lambda c: (-findings.sources([s.claim.document for s in c]), c[0].claim.document))
    for other in clusters[1:]:
        seen: set[str] = set()
        for side in other:
            if side.claim.document in seen:
                continue  # one flag per dissenting document is enough
            seen.add(side.claim.document)
            rival, relation = _rival(clusters, side, latest)
            if rival is None:
                continue
            findings.candidate_pairs += 1
            assert rival.quantity is not None and side.quantity is not None
            outcome = compare(rival.quantity, side.quantity)
            if outcome.relation != "differ":
                continue
            if relation in _EXPLANATIONS:
                findings.explain(question, rival.claim, side.claim, f"{outcome.rationale}; {_EXPLANATIONS[relation]}: "
                                 f"{_describe(rival)} vs {_describe(side)}")
            elif relation != "timeline":
                _flag_numeric(question, rival, side, outcome, findings,
                              conditions_differ=relation in ("one-sided", "unlike"))


RIVAL_CLUSTERS = 8  # clusters searched, best-supported first, for a figure read at the same time


def _rival(clusters: list[list[_Side]], side: _Side, latest: int | None) -> tuple[_Side | None, str]:
    """The figure to set `side` against: from the best-supported cluster that has one from another
    document read at the same time and under comparable conditions; failing that, the best-supported
    cluster's first figure from another document (to record a timeline or an explained difference)."""
    fallback: tuple[_Side | None, str] = (None, "")
    for cluster in clusters[:RIVAL_CLUSTERS]:
        if side in cluster:
            continue
        others = [a for a in cluster if a.claim.document != side.claim.document]
        ranked = sorted(((_RANK[_relation(a, side, latest)], n, a) for n, a in enumerate(others)), key=lambda t: t[:2])
        if not ranked:
            continue
        rank, _, best = ranked[0]
        if rank <= _RANK["one-sided"]:
            return best, _relation(best, side, latest)
        if fallback[0] is None:
            fallback = (best, _relation(best, side, latest))
    return fallback


_RANK = {"same": 0, "one-sided": 1, "unlike": 1, "conditions": 2, "period": 3, "forecast": 4, "timeline": 5}


def _timeline(question: Question, sides: list[_Side], findings: Findings) -> None:
    """Readings at two or more times from two or more documents: a timeline; a running count
    that is lower at a later time than at an earlier one, beyond what its precision allows, is flagged."""
    timed = [s for s in sides if s.when is not None]
    moments = {(s.when.start, s.when.end, s.when.label) for s in timed if s.when is not None}
    if len(moments) < 2 or len({s.claim.document for s in timed}) < 2:
        return
    if not any(timing.disjoint(a.when, b.when) for a in timed for b in timed[:8]):
        return
    findings.timeline(question, [s.claim for s in timed])
    ordered = sorted(timed, key=lambda s: timing.order_key(s.when))
    highest: _Side | None = None
    for side in ordered:
        if highest is not None and side.cumulative and highest.cumulative \
                and highest.claim.document != side.claim.document and timing.later(side.when, highest.when) > 0:  # type: ignore[arg-type]
            assert side.quantity is not None and highest.quantity is not None
            outcome = compare(highest.quantity, side.quantity)
            if outcome.relation == "differ" and side.quantity.top < highest.quantity.low:
                rationale = (f"a running count cannot fall: {highest.quantity.stated} as of {_when(highest)}, "
                             f"then {side.quantity.stated} as of {_when(side)}")
                findings.flag(highest.claim, side.claim, kind="numeric", severity="major", rationale=rationale,
                              conditions_differ=False, question=question)
        if highest is None or (side.quantity is not None and highest.quantity is not None
                               and side.quantity.low > highest.quantity.low):
            highest = side


def _when(side: _Side) -> str:
    return timing.describe(side.when) if side.when is not None else "an unstated time"


def _agrees(a: _Side, b: _Side) -> bool:
    assert a.quantity is not None and b.quantity is not None
    return compare(a.quantity, b.quantity).relation == "agree"


def _flag_numeric(question: Question, a: _Side, b: _Side, outcome: Comparison, findings: Findings,
                  conditions_differ: bool) -> None:
    rationale = f"{a.claim.subject}, {a.claim.attribute}: {outcome.rationale}."
    if conditions_differ:
        rationale += f" Conditions differ: {_describe(a)} vs {_describe(b)}."
    hedged = [s.claim.document for s in (a, b) if s.claim.hedged]
    if hedged:
        rationale += f" Hedged in {', '.join(hedged)}."
    findings.flag(a.claim, b.claim, kind="numeric", severity=outcome.severity, rationale=rationale,
                  conditions_differ=conditions_differ, question=question)


def _describe(side: _Side) -> str:
    return ", ".join(side.claim.conditions) if side.claim.conditions else "none stated"


# --- the judge's answers ------------------------------------------------------------------------


class _Positions:
    """Which claims of a judged question hold one position: one document's, and those the judge says agree."""

    def __init__(self, claims: list[GroundedClaim]) -> None:
        self.parent = list(range(len(claims) + 1))
        first: dict[str, int] = {}
        for n, c in enumerate(claims, start=1):
            self.join([first.setdefault(c.document, n), n])

    def find(self, n: int) -> int:
        while self.parent[n] != n:
            self.parent[n] = self.parent[self.parent[n]]
            n = self.parent[n]
        return n

    def join(self, numbers: list[int]) -> None:
        for n in numbers[1:]:
            a, b = self.find(numbers[0]), self.find(n)
            self.parent[max(a, b)] = min(a, b)

    def of(self, n: int) -> str:
        return str(self.find(n))


def _record_group(question: Question, claims: list[GroundedClaim], verdict: GroupVerdict, findings: Findings,
                  keys: KeyMaker) -> None:
    """Keep what holds of a judge's answer: pairs of known claims from two documents, each sorted
    by the same rules as figures (time, then conditions); figures that code found different are
    code's to flag already.

    Flags follow positions, as for figures: claims the judge says agree, and claims of one
    document, hold one position. Each document of a position that fewer sources hold gets one
    flag against the position more sources hold ("A contradicts B" and "A contradicts C", with
    B and C agreeing, is one flag for A); two positions held equally get one flag between them.
    """
    opposed = {frozenset((p.a, p.b)) for p in verdict.contradictions}
    positions = _Positions(claims)
    for group in verdict.agreements:
        numbers = [i for i in dict.fromkeys(group) if 1 <= i <= len(claims)]
        if not any(frozenset((x, y)) in opposed for x in numbers for y in numbers):
            positions.join(numbers)  # agreeing on a figure while contradicting on words is not one position
    support: dict[str, set[str]] = defaultdict(set)
    for n, c in enumerate(claims, start=1):
        support[positions.of(n)].add(findings.source_of.get(c.document, c.document))
    flagged: set[object] = set()
    for pair in sorted(verdict.contradictions, key=lambda p: (not p.conditions_match, p.a, p.b)):
        if not (1 <= pair.a <= len(claims) and 1 <= pair.b <= len(claims)):
            continue
        a, b = claims[pair.a - 1], claims[pair.b - 1]
        if a.document == b.document:
            continue
        pa, pb = positions.of(pair.a), positions.of(pair.b)
        key: object
        if pa == pb:
            key = frozenset((a.document, b.document))
        elif len(support[pa]) == len(support[pb]):
            key = frozenset((pa, pb))
        else:
            minority, majority = (a, pb) if len(support[pa]) < len(support[pb]) else (b, pa)
            key = (minority.document, majority)
        if key in flagged:
            continue
        flagged.add(key)
        sa, sb = _side(a), _side(b)
        figures = sa.quantity is not None and sb.quantity is not None
        if figures and compare(sa.quantity, sb.quantity).relation != "agree":  # type: ignore[arg-type]
            continue  # two differing figures: code compared them
        relation = _relation(sa, sb, None)
        rationale = " ".join(pair.rationale.split())[:500] or "The judge found these claims incompatible."
        if relation == "timeline":
            findings.timeline(question, [a, b])
        elif relation in _EXPLANATIONS and not (relation == "conditions" and pair.conditions_match):
            findings.explain(question, a, b, f"{rationale} ({_EXPLANATIONS[relation]})")
        else:
            conditions_differ = relation in ("one-sided", "unlike", "conditions") or not pair.conditions_match
            findings.flag(a, b, kind="textual", severity="major" if pair.conditions_match else "minor",
                          rationale=rationale, conditions_differ=conditions_differ, question=question)
    for group in verdict.agreements:
        members = [claims[i - 1] for i in dict.fromkeys(group) if 1 <= i <= len(claims)]
        if len({c.document for c in members}) > 1:
            findings.corroborate(members)


# --- the judge through the LLM door ------------------------------------------------------------


def render_group(claims: list[GroundedClaim]) -> str:
    """The judge's list: each claim numbered, with document, time, conditions, source and quote."""
    labels = document_labels(claims)
    lines = []
    for n, c in enumerate(claims, start=1):
        when = "time not stated"
        if c.as_of is not None:
            from_document = " (the document's date)" if c.as_of.source == "document" else ""
            when = f"as of {timing.describe(c.as_of)}{from_document}"
        conditions = "; ".join(c.conditions) or "none stated"
        hedge = ", hedged" if c.hedged else ""
        lines.append(
            f"{n}. [{labels[c.document]}, {when}] {short(c.subject, 60)} — {short(c.attribute, 80)}: "
            f"{short(c.value, 120)}. Conditions: {short(conditions, 80)}. Asserted by: "
            f"{short(c.asserted_by or 'the author', 40)}{hedge}.\n   Quote: \"{short(c.quote, 240)}\""
        )
    return "\n".join(lines)


def llm_judge(llm: LLM, failures: list[str], gate: Callable[[str], bool] | None = None) -> GroupJudge:
    """One judge call per question part; a failed or unaffordable call is recorded and finds nothing."""
    prompt = load_prompt("judge")

    def judge(question: Question, claims: list[GroundedClaim]) -> GroupVerdict | None:
        variables = {"question": question.text, "claims": render_group(claims)}
        return ask(llm, prompt, variables, GroupVerdict, f"judge ({short(question.text, 60)})", failures, gate)

    return judge
