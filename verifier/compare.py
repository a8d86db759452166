"""Cross-checking, one question at a time: figures compared in their frames, text by the judge.

Alignment has put the claims that answer one question together, so comparison never looks
across questions: the work grows with the claims, not with their square.

Two differing figures are a contradiction only when their frames match (see `frames`): the
same moment or period, the same status and the same basis. Otherwise they are
- a **timeline** when they are readings at different times (stated, or a running count on
  different days, or two parts of one day): an update, not a contradiction; a running count
  that falls later is flagged;
- an **explained** difference when their frames say why (another period, a forecast against
  an outcome, a partial against the final count, a rate per week against a total, another
  mode or scope): listed apart from the flags;
- a flag marked "conditions differ" when a condition is stated on one side only.

Offline, code decides alone by that rule. With an LLM, **the judge decides figures too**: each
question whose claims code does not find identical goes to the judge with code's reading of
every figure (normalised, with its frame) and code's arithmetic on the pairs that differ; code
never flags a numeric pair the judge did not call a contradiction, and never lets the judge
contradict arithmetic (a "contradiction" between figures code computed equal is dropped, with
a note). Several small questions share one judge call, up to a size budget.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from . import dates, frames, lexicon, timing
from .align import Alignment
from .features import FUNCTION_WORDS, content_stems
from .findings import Findings
from .keys import fold
from .models import AsOf, Document, Frame, GroundedClaim, GroupVerdict, JudgeItem, Question
from .numbers import Comparison, Quantity, compare, compatible, first_quantity, parse_quantities

# The judge: a verdict for a call's questions, or the one line saying why the call failed (None: no reason).
GroupJudge = Callable[[list[JudgeItem]], GroupVerdict | str | None]
JUDGE_GROUP_LIMIT = 30  # claims of one question per judge item; a larger question is judged in parts
JUDGE_CALL_CLAIMS = 40  # claims per judge call, over all its questions
JUDGE_CALL_CHARS = 12_000  # quotes and readings per judge call (about 3,000 tokens)

# Grammar that marks a figure as a reading at a moment, whatever it counts: the perfect
# ("has flooded", "have been rescued"), a state now ("stood at", "reached", "remain", "still"),
# a total so far ("so far", "to date"). Such a figure without a stated time is read at
# its document's date, so reports two days apart make a timeline, not a contradiction.
_PERFECT = lexicon.PERFECT
_RUNNING = re.compile(rf"\b(?:{lexicon.RUNNING_WORDS})\b", re.IGNORECASE)
# A count that only grows: a total so far or a perfect, unless the words say it went down.
_CUMULATIVE = re.compile(rf"\b(?:{lexicon.SO_FAR}|{lexicon.IN_ALL}|{_PERFECT})\b", re.IGNORECASE)
_FALLING = re.compile(rf"\b(?:{lexicon.FALLING_WORDS})\b", re.IGNORECASE)
_NEGATION = re.compile(rf"\b(?:{lexicon.NEGATION})\b|\bnon-", re.IGNORECASE)


@dataclass(frozen=True)
class _Side:
    """A claim with what comparison needs: its quantity, frame, periods, time and other conditions."""

    claim: GroundedClaim
    quantity: Quantity | None
    frame: Frame
    periods: tuple[dates.Period, ...]
    when: AsOf | None
    cumulative: bool
    settings: frozenset[frozenset[str]]


@dataclass(frozen=True)
class _Pair:
    """A figure set against its rival of the best-supported answer, with how their frames stand."""

    rival: _Side
    side: _Side
    relation: str
    reason: str
    outcome: Comparison


@dataclass
class _Reading:
    """Code's reading of one question's figures: agreeing clusters, each dissenting document's
    pair against the best-supported answer, a timeline, and running counts that fell."""

    question: Question
    sides: list[_Side]
    clusters: list[list[_Side]] = field(default_factory=list)
    pairs: list[_Pair] = field(default_factory=list)
    timed: list[_Side] = field(default_factory=list)
    falling: list[tuple[_Side, _Side]] = field(default_factory=list)


@dataclass
class _Pending:
    """A question part waiting for the judge, with code's reading to fall back on."""

    item: JudgeItem
    reading: _Reading


def cross_check(
    documents: list[Document], alignment: Alignment, judge: GroupJudge | None = None,
    concurrency: int = 1, independent: dict[str, str] | None = None,
) -> Findings:
    """Contradictions, explained differences, timelines, corroborations and single-source claims.

    `independent` maps each document to its source (a syndicated copy to its original):
    corroboration and majorities count sources, not copies.
    """
    sha_of = {d.id: d.sha256 for d in documents}
    findings = Findings(source_of=independent or {}, sha_of=sha_of)
    by_id = {c.id: c for c in alignment.claims}
    listed = _by_question(alignment, by_id)
    findings.single_source = [c.id for question, claims in listed if claims is None
                              for c in (by_id[i] for i in question.claims if i in by_id)]
    if judge is None:
        for question, claims in listed:
            if claims is None:
                continue
            sides = [_side(c) for c in claims]
            reading = _read_figures(question, sides, findings.sources)
            findings.questions_compared += 1
            findings.candidate_pairs += len(reading.pairs)
            _apply_code(reading, findings, flags=True)
        return findings
    with ThreadPoolExecutor(max_workers=max(concurrency, 1)) as pool:
        compared = [(n, question, claims) for n, (question, claims) in enumerate(listed) if claims is not None]
        examined, asked = _examine_and_ask(compared, judge, pool, findings.sources)
        for n, (_, claims) in enumerate(listed):  # what code read, recorded in the questions' order
            if claims is None:
                continue
            identical, reading, parts = examined[n]
            findings.questions_compared += 1
            findings.candidate_pairs += len(reading.pairs)
            if identical:
                findings.corroborate(claims)  # code finds one answer in one frame: nothing to ask
            else:
                _apply_code(reading, findings, flags=False)
                findings.judge_groups += len(parts)
        findings.judge_calls = len(asked)
        linked = _linked(alignment)
        for call, future in asked:  # in the order the calls were packed, each as soon as it and those before it end
            verdict = future.result()
            if not isinstance(verdict, GroupVerdict):  # the call failed: code's reading of the figures stands
                if verdict:
                    findings.failures.append(verdict)
                for p in call:
                    _apply_code_flags(p.reading, findings)
            else:
                _record_verdict(call, verdict, findings, linked)
    return findings


def _by_question(alignment: Alignment,
                 by_id: dict[str, GroundedClaim]) -> list[tuple[Question, list[GroundedClaim] | None]]:
    """Each question with its claims, or None for a question of one document (nothing to compare)."""
    out: list[tuple[Question, list[GroundedClaim] | None]] = []
    for question in alignment.questions:
        claims = [by_id[i] for i in question.claims if i in by_id]
        out.append((question, claims if len({c.document for c in claims}) > 1 else None))
    return out


Examined = tuple[bool, _Reading, list[_Pending]]  # identical, code's reading, the parts asked of the judge
Asked = list[tuple[list[_Pending], Future[GroupVerdict | str | None]]]


def _examine_and_ask(compared: list[tuple[int, Question, list[GroundedClaim]]], judge: GroupJudge, pool: Executor,
                     sources: Callable[[list[str]], int]) -> tuple[dict[int, Examined], Asked]:
    """Code's reading of each compared question, and the judge's calls, each sent as soon as it is packed.

    The questions are read in the order the calls are packed (entity, then question id), so the first
    calls wait on the endpoint while code reads the rest; reading first and asking after left the
    endpoint idle for the whole reading (about 4 s of a 10,000-document batch). The calls are the
    ones `_pack` makes of every pending part at once, and the reading changes nothing recorded, so
    what the caller records, in the questions' own order, is what it was.
    """
    examined: dict[int, Examined] = {}  # by the question's place in the alignment
    asked: Asked = []
    packer = _Packer()

    def send(call: list[_Pending]) -> None:
        asked.append((call, pool.submit(lambda: judge([p.item for p in call]))))

    for n, question, claims in sorted(compared, key=lambda nqc: (nqc[1].entity, nqc[1].id)):
        sides = [_side(c) for c in claims]
        reading = _read_figures(question, sides, sources)
        if _identical(sides):
            examined[n] = (True, reading, [])
            continue
        parts = [_Pending(_item(question, part, reading), reading) for part in _parts(claims)]
        examined[n] = (False, reading, parts)
        for p in parts:
            full = packer.add(p)
            if full is not None:
                send(full)
    last = packer.flush()
    if last is not None:
        send(last)
    return examined, asked


def _linked(alignment: Alignment) -> Callable[[str, str], bool]:
    """One entity, or an entity and what it is a part of: the judge may oppose their claims."""
    owner = {e.id: e.part_of for e in alignment.entities}
    return lambda a, b: a == b or owner.get(a) == b or owner.get(b) == a


def _identical(sides: list[_Side]) -> bool:
    """Every claim states one answer in one frame, under one wording of what it measures: figures
    equal at their precision, or one text. Two wordings that are not one inside the other ('spent
    acquiring' against 'invested in') may disagree in words over one figure: the judge reads them."""
    head = sides[0]
    if not _one_measure(sides):
        return False
    if head.quantity is None:
        return all(s.quantity is None and _folded(s.claim.value) == _folded(head.claim.value) and s.frame == head.frame
                   for s in sides)
    return all(s.quantity is not None and _same_frame(head, s) and _agrees(head, s) for s in sides)


def _one_measure(sides: list[_Side]) -> bool:
    """One wording of what the claims measure, or wordings one inside the other ('GPQA Diamond' and
    'GPQA Diamond score')."""
    measures = [content_stems(s.claim.attribute) for s in sides]
    widest = max(measures, key=len)
    return all(m <= widest for m in measures)


def _folded(value: str) -> str:
    return " ".join(fold(value).split())


def _same_frame(a: _Side, b: _Side) -> bool:
    return _relation(a, b, None)[0] in ("same", "one-sided", "unlike") and a.frame.model_dump(exclude={"words"}) \
        == b.frame.model_dump(exclude={"words"})


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


def _pack(pending: list[_Pending]) -> list[list[_Pending]]:
    """Judge calls: question parts of one entity together, then the next entity's, each call within
    the claim and size budgets (a part larger than the budget is a call of its own)."""
    packer = _Packer()
    calls = [full for p in sorted(pending, key=lambda p: (p.item.question.entity, p.item.question.id))
             if (full := packer.add(p)) is not None]
    last = packer.flush()
    return [*calls, last] if last is not None else calls


class _Packer:
    """`_pack` one part at a time, parts given in its order: a call is handed out as soon as the next
    part would not fit in it, so it can be sent while later questions are still read."""

    def __init__(self) -> None:
        self.current: list[_Pending] = []
        self.claims = self.size = 0

    def add(self, p: _Pending) -> list[_Pending] | None:
        """Add a part; the call it closed, if it did not fit in the one being filled."""
        weight = sum(len(c.quote) + len(c.attribute) + len(c.value) + 120 for c in p.item.claims)
        full = None
        if self.current and (self.claims + len(p.item.claims) > JUDGE_CALL_CLAIMS
                             or self.size + weight > JUDGE_CALL_CHARS):
            full, self.current, self.claims, self.size = self.current, [], 0, 0
        self.current.append(p)
        self.claims += len(p.item.claims)
        self.size += weight
        return full

    def flush(self) -> list[_Pending] | None:
        """The last call, if any part is waiting."""
        full, self.current, self.claims, self.size = self.current or None, [], 0, 0
        return full


def _side(claim: GroundedClaim) -> _Side:
    text = " ".join([claim.quote, claim.attribute, *claim.conditions])
    running = bool(_RUNNING.search(text))
    when = claim.as_of if claim.as_of and (claim.as_of.source == "stated" or running) else None
    settings = frozenset(_setting(c) for c in claim.conditions if _is_setting(c))
    frame = claim.frame or Frame()
    return _Side(
        claim=claim,
        quantity=quantity_of(claim),
        frame=frame,
        periods=tuple(dates.parse_periods("; ".join([*claim.conditions, *([frame.period] if frame.period else [])]))),
        when=when,
        cumulative=bool(_CUMULATIVE.search(claim.quote) or _CUMULATIVE.search(claim.attribute))
        and not _FALLING.search(claim.quote),
        settings=frozenset(s for s in settings if s),
    )


def quantity_of(claim: GroundedClaim) -> Quantity | None:
    """A claim's figure as its quote states it: the value names the figure, the quote's words around
    it carry its bound ('more than 40,000' when the value says '40,000')."""
    if claim.number is None:
        return None
    stated = first_quantity(claim.value)
    if stated is None or stated.bound != "exact":
        return stated
    in_quote = next((q for q in parse_quantities(claim.quote)
                     if q.bound != "exact" and compatible(q, stated) and abs(q.value - stated.value) <= stated.step / 2
                     and q.high == stated.high), None)
    return in_quote or stated


def _is_setting(condition: str) -> bool:
    """A condition that is not a time nor a status or basis: 'no tools', 'turbo mode', 'in Europe'."""
    if dates.periods(condition) or dates.point_dates(condition):
        return False
    read = frames.read_frame("", "", [condition], "", None)
    if read.status != "reported" or read.basis or read.moment:
        return False
    return timing.stated_time(condition, None) is None


def _setting(condition: str) -> frozenset[str]:
    """A condition as its content stems, negation kept: 'no tools' and 'without tools' are one."""
    stems = set(content_stems(condition))
    if _NEGATION.search(condition):
        stems.add("¬")
    return frozenset(stems - FUNCTION_WORDS)


# --- figures in their frames -------------------------------------------------------------------


def _relation(a: _Side, b: _Side, latest_year: int | None) -> tuple[str, str]:
    """How two answers to one question stand, and why: 'timeline' (different times, or two parts
    of a day), 'period', 'status', 'basis', 'conditions' (both sides state conditions that differ
    on one dimension: no tools and tools), 'unlike' (both state conditions, but nothing says they
    bear on the figure), 'one-sided' (a condition on one side only) or 'same'."""
    if timing.disjoint(a.when, b.when):
        return "timeline", "read at different times"
    apart = _documents_apart(a, b)
    if apart:
        return "timeline", f"the documents are {apart} days apart and neither says when its figure holds"
    moment = frames.moment_difference(a.frame, b.frame)
    if moment:
        return "timeline", f"read at different times of the day ({moment})"
    if not dates.periods_compatible(list(a.periods), list(b.periods), latest_year):
        return "period", "they are for different periods"
    period = frames.period_difference(a.frame, b.frame)
    if period:
        return "period", f"they are for different periods ({period})"
    status = frames.status_difference(a.frame, b.frame)
    if status:
        return "status", status
    percent = any(s.quantity is not None and s.quantity.dimension == "percent" for s in (a, b))
    basis = frames.basis_difference(a.frame, b.frame, percent)
    if basis:
        return "basis", f"they are on different bases ({basis})"
    only_a, only_b = _unmatched(a.settings, b.settings), _unmatched(b.settings, a.settings)
    if only_a and only_b:
        contrast = any((x - {"¬"}) & (y - {"¬"}) for x in only_a for y in only_b)
        return ("conditions", "they hold under different stated conditions") if contrast else ("unlike", "")
    return ("one-sided", "") if only_a or only_b else ("same", "")


DOCUMENTS_APART_DAYS = 31


def _documents_apart(a: _Side, b: _Side) -> int:
    """Days between two documents' dates when neither figure states a time or period and they are
    more than a month apart (a figure stated a year later may have changed); else 0."""
    if a.when is not None or b.when is not None or a.periods or b.periods or a.frame.period or b.frame.period:
        return 0
    x, y = timing.span_of(a.claim.as_of), timing.span_of(b.claim.as_of)
    if x is None or y is None or x.start is None or y.start is None:
        return 0
    days = abs((x.start - y.start).days)
    return days if days > DOCUMENTS_APART_DAYS else 0


def _unmatched(mine: frozenset[frozenset[str]], theirs: frozenset[frozenset[str]]) -> list[frozenset[str]]:
    """Conditions of one side that the other does not state: the same words, or fewer of them
    ('with tools' and 'with tool use'), with the same negation, are one condition."""
    def same(x: frozenset[str], y: frozenset[str]) -> bool:
        words_x, words_y = x - {"¬"}, y - {"¬"}
        return ("¬" in x) == ("¬" in y) and bool(words_x and words_y) and (words_x <= words_y or words_y <= words_x)

    return [x for x in mine if not any(same(x, y) for y in theirs)]


# the labels _relation gives two figures of one measure (labels of the code, not words of a text)
Relation = Literal["same", "one-sided", "unlike", "conditions", "basis", "status", "period", "timeline"]
_EXPLAINED = frozenset({"period", "status", "basis", "conditions"})
_COMPARABLE = frozenset({"same", "one-sided", "unlike"})


def _compare(a: _Side, b: _Side) -> Comparison:
    """Two figures compared on one basis: a rate per week against a rate per year, per year."""
    assert a.quantity is not None and b.quantity is not None
    return compare(frames.on_one_basis(a.quantity, a.frame, b.frame), frames.on_one_basis(b.quantity, b.frame, a.frame))


def _agrees(a: _Side, b: _Side) -> bool:
    return _compare(a, b).relation == "agree"


def _read_figures(question: Question, sides: list[_Side], sources: Callable[[list[str]], int]) -> _Reading:
    """Cluster agreeing figures read in the same frame; set one figure of each other cluster's
    documents against the best-supported one; note the timeline and running counts that fell.

    Comparing with the best-supported cluster only keeps pairs linear in the claims (at most
    one pair per document of a dissenting cluster).
    """
    numeric = [s for s in sides if s.quantity is not None]
    reading = _Reading(question, sides)
    if len({s.claim.document for s in numeric}) < 2:
        return reading
    years = [p.year for s in numeric for p in s.periods if p.year is not None]
    latest = max(years) if years else None
    reading.timed, reading.falling = _timeline(numeric)
    for side in sorted(numeric, key=lambda s: (s.claim.document, s.claim.start)):
        for cluster in reading.clusters:
            if _relation(cluster[0], side, latest)[0] in _COMPARABLE and _agrees(cluster[0], side):
                cluster.append(side)
                break
        else:
            reading.clusters.append([side])
    return _rivals(reading, latest, sources)


def _rivals(reading: _Reading, latest: int | None, sources: Callable[[list[str]], int]) -> _Reading:
    """Each document of a less-supported cluster against its best rival (see `_rival`); support is
    counted in independent sources (a syndicated copy counts once)."""
    clusters = sorted(reading.clusters, key=lambda c: (-sources([s.claim.document for s in c]), c[0].claim.document))
    reading.clusters = clusters
    for other in clusters[1:]:
        seen: set[str] = set()
        for side in other:
            if side.claim.document in seen:
                continue  # one pair per dissenting document is enough
            seen.add(side.claim.document)
            rival, relation, reason = _rival(clusters, side, latest)
            if rival is not None:
                reading.pairs.append(_Pair(rival, side, relation, reason, _compare(rival, side)))
    return reading


RIVAL_CLUSTERS = 8  # clusters searched, best-supported first, for a figure read in the same frame
_RANK = {"same": 0, "one-sided": 1, "unlike": 1, "conditions": 2, "basis": 3, "status": 3, "period": 3,
         "timeline": 5}


def _rival(clusters: list[list[_Side]], side: _Side, latest: int | None) -> tuple[_Side | None, str, str]:
    """The figure to set `side` against: from the best-supported cluster that has one from another
    document read in a comparable frame; failing that, the best-supported cluster's closest one (to
    record a timeline or an explained difference)."""
    fallback: tuple[_Side | None, str, str] = (None, "", "")
    for cluster in clusters[:RIVAL_CLUSTERS]:
        if side in cluster:
            continue
        others = [a for a in cluster if a.claim.document != side.claim.document]
        ranked = sorted(((_RANK[rel[0]], n, a, rel) for n, a in enumerate(others)
                         for rel in [_relation(a, side, latest)]), key=lambda t: t[:2])
        if not ranked:
            continue
        rank, _, best, (relation, reason) = ranked[0]
        if rank <= _RANK["one-sided"]:
            return best, relation, reason
        if fallback[0] is None:
            fallback = (best, relation, reason)
    return fallback


def _timeline(sides: list[_Side]) -> tuple[list[_Side], list[tuple[_Side, _Side]]]:
    """Readings at two or more times from two or more documents (the timeline), and running counts
    lower at a later time than at an earlier one beyond their precision (pairs: earlier, later)."""
    timed = [s for s in sides if s.when is not None]
    moments = {(s.when.start, s.when.end, s.when.label, s.frame.moment) for s in timed if s.when is not None}
    if len(moments) < 2 or len({s.claim.document for s in timed}) < 2:
        return [], []
    if not any(timing.disjoint(a.when, b.when) or frames.moment_difference(a.frame, b.frame)
               for a in timed for b in timed[:8]):
        return [], []
    falling: list[tuple[_Side, _Side]] = []
    highest: _Side | None = None
    def order(s: _Side) -> tuple[tuple[int, str], int]:
        return timing.order_key(s.when), frames.MOMENT_ORDER.get(s.frame.moment or "", 9)

    for side in sorted(timed, key=order):
        if highest is not None and side.cumulative and highest.cumulative \
                and highest.claim.document != side.claim.document and _later(side, highest) > 0:
            assert side.quantity is not None and highest.quantity is not None
            lower = side.quantity.top < highest.quantity.low
            if lower and compare(highest.quantity, side.quantity).relation == "differ":
                falling.append((highest, side))
        if highest is None or (side.quantity is not None and highest.quantity is not None
                               and side.quantity.low > highest.quantity.low):
            highest = side
    return timed, falling


def _later(a: _Side, b: _Side) -> int:
    """1 when `a` was read after `b` (a later day, or a later part of one day), -1 before, 0 unknown."""
    assert a.when is not None and b.when is not None
    by_day = timing.later(a.when, b.when)
    if by_day or timing.disjoint(a.when, b.when) or not a.frame.moment or not b.frame.moment:
        return by_day
    x, y = frames.MOMENT_ORDER.get(a.frame.moment, 9), frames.MOMENT_ORDER.get(b.frame.moment, 9)
    return (x > y) - (x < y)


def _apply_code(reading: _Reading, findings: Findings, flags: bool) -> None:
    """Record what code read: the timeline, agreeing clusters and, when code decides (offline, or a
    failed judge call), the flags and explained differences."""
    if reading.timed:
        findings.timeline(reading.question, [s.claim for s in reading.timed])
    for cluster in reading.clusters:
        findings.corroborate([s.claim for s in cluster])
    if flags:
        _apply_code_flags(reading, findings)


def _apply_code_flags(reading: _Reading, findings: Findings) -> None:
    """Code's decisions on figures: a running count that fell, and each dissenting pair flagged
    when the frames match, explained when they say why it differs."""
    question = reading.question
    for earlier, later in reading.falling:
        assert earlier.quantity is not None and later.quantity is not None
        rationale = (f"a running count cannot fall: {earlier.quantity.stated} as of {_when(earlier)}, "
                     f"then {later.quantity.stated} as of {_when(later)}")
        findings.flag(earlier.claim, later.claim, kind="numeric", severity="major", rationale=rationale,
                      conditions_differ=False, question=question)
    for pair in reading.pairs:
        if pair.outcome.relation != "differ":
            continue
        if pair.relation in _EXPLAINED:
            reason = f"{pair.outcome.rationale}; {pair.reason}: {_describe(pair.rival)} vs {_describe(pair.side)}"
            findings.explain(question, pair.rival.claim, pair.side.claim, reason)
        elif pair.relation == "timeline":
            findings.timeline(question, [pair.rival.claim, pair.side.claim])
        else:
            _flag_numeric(question, pair.rival, pair.side, pair.outcome, findings,
                          conditions_differ=pair.relation in ("one-sided", "unlike"))


def _when(side: _Side) -> str:
    return timing.describe(side.when) if side.when is not None else "an unstated time"


def _flag_numeric(question: Question, a: _Side, b: _Side, outcome: Comparison, findings: Findings,
                  conditions_differ: bool, judged: str = "") -> None:
    rationale = judged or f"{a.claim.subject}, {a.claim.attribute}: {outcome.rationale}."
    if judged:
        rationale += f" Code: {outcome.rationale}."
    if conditions_differ:
        rationale += f" Conditions differ: {_describe(a)} vs {_describe(b)}."
    hedged = [s.claim.document for s in (a, b) if s.claim.hedged]
    if hedged:
        rationale += f" Hedged in {', '.join(hedged)}."
    findings.flag(a.claim, b.claim, kind="numeric", severity=outcome.severity, rationale=rationale,
                  conditions_differ=conditions_differ, question=question)


def _describe(side: _Side) -> str:
    """A side's conditions and frame in words: 'no tools; final figure; per week'."""
    parts = list(side.claim.conditions)
    framed = side.frame.describe()
    if framed and not any(framed.lower() in c.lower() for c in parts):
        parts.append(framed)
    return "; ".join(parts) if parts else "none stated"


# --- what the judge is shown --------------------------------------------------------------------------


def _item(question: Question, claims: list[GroundedClaim], reading: _Reading) -> JudgeItem:
    """A question part with code's reading of each figure and its arithmetic on the pairs that differ."""
    sides = {s.claim.id: s for s in reading.sides}
    readings = [_reading_of(sides[c.id]) for c in claims]
    number = {c.id: n for n, c in enumerate(claims, start=1)}
    gaps = []
    for pair in reading.pairs:
        a, b = number.get(pair.rival.claim.id), number.get(pair.side.claim.id)
        if a is None or b is None or pair.outcome.relation == "incomparable":
            continue
        frame = "frames match" if pair.relation in _COMPARABLE else f"frames differ: {pair.reason}"
        gaps.append(f"{a} vs {b}: {pair.outcome.rationale}{_precision(pair)}; {frame}")
    return JudgeItem(question=question, claims=claims, readings=readings, gaps=gaps)


def _precision(pair: _Pair) -> str:
    """', both stated to 0.1 (neither rounds the other)' when two differing figures are exact and
    stated to one precision: a small gap between them is a disagreement, not rounding."""
    x, y = pair.rival.quantity, pair.side.quantity
    if x is None or y is None or pair.outcome.relation != "differ" or x.bound != "exact" or y.bound != "exact" \
            or abs(x.step - y.step) > 1e-12 * max(x.step, 1.0):
        return ""
    return f", both stated to {_plain(x.step)} (neither rounds the other)"


def _reading_of(side: _Side) -> str:
    """'= 62,400 per year' style: what code read of a figure, and its frame."""
    parts = []
    if side.quantity is not None:
        q = side.quantity
        unit = f" {q.unit}" if q.unit and q.unit not in ("%",) else ("%" if q.unit == "%" else "")
        bound = {"at_least": "≥ ", "at_most": "≤ ", "approx": "≈ "}.get(q.bound, "")
        value = _plain(q.value) if q.high is None else f"{_plain(q.value)}–{_plain(q.top)}"
        parts.append(f"{bound}{value}{unit}")
    framed = side.frame.describe()
    if framed:
        parts.append(framed)
    return "; ".join(parts)


def _plain(value: float) -> str:
    """A figure as a reader writes it: '62,500,000', '3.2', '0.45' (never '6.25e+07')."""
    if abs(value) < 1e15 and value == int(value):
        return f"{int(value):,}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")


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


@dataclass
class _Local:
    """The judge's answer for one question part, renumbered from the call's numbers to the part's."""

    contradictions: list[tuple[int, int, bool, str]] = field(default_factory=list)
    explained: dict[frozenset[int], str] = field(default_factory=dict)
    agreements: list[list[int]] = field(default_factory=list)


@dataclass(frozen=True)
class _Across:
    """A contradiction the judge found between claims of two questions of one entity (alignment had
    put them apart): part and claim number of each side."""

    a: tuple[int, int]
    b: tuple[int, int]
    conditions_match: bool
    rationale: str


def _split_verdict(call: list[_Pending], verdict: GroupVerdict,
                   linked: Callable[[str, str], bool] = lambda a, b: a == b) -> tuple[list[_Local], list[_Across]]:
    """Each part's share of a call's answer, and the contradictions across two questions of one
    entity or of an entity and its part (`linked`); pairs across other entities, or naming no
    claim, are dropped."""
    where: dict[int, tuple[int, int]] = {}
    n = 0
    for index, p in enumerate(call):
        for local in range(1, len(p.item.claims) + 1):
            n += 1
            where[n] = (index, local)
    out = [_Local() for _ in call]

    def locate(a: int, b: int) -> tuple[int, int, int] | None:
        if a not in where or b not in where or where[a][0] != where[b][0]:
            return None
        return where[a][0], where[a][1], where[b][1]

    across: list[_Across] = []
    for pair in verdict.contradictions:
        found = locate(pair.a, pair.b)
        if found:
            out[found[0]].contradictions.append((found[1], found[2], pair.conditions_match, pair.rationale))
        elif pair.a in where and pair.b in where and linked(call[where[pair.a][0]].item.question.entity,
                                                            call[where[pair.b][0]].item.question.entity):
            across.append(_Across(where[pair.a], where[pair.b], pair.conditions_match, pair.rationale))
    for diff in verdict.explained:
        found = locate(diff.a, diff.b)
        if found:
            out[found[0]].explained[frozenset((found[1], found[2]))] = diff.reason
    for group in verdict.agreements:
        parts: dict[int, list[int]] = defaultdict(list)
        for number in dict.fromkeys(group):
            if number in where:
                parts[where[number][0]].append(where[number][1])
        for index, members in parts.items():
            out[index].agreements.append(members)
    return out, across


def _record_verdict(call: list[_Pending], verdict: GroupVerdict, findings: Findings,
                    linked: Callable[[str, str], bool]) -> None:
    parts, across = _split_verdict(call, verdict, linked)
    for pending, local in zip(call, parts, strict=True):
        _record_part(pending, local, findings)
    for pair in across:
        _record_across(call, pair, findings)


def _record_across(call: list[_Pending], pair: _Across, findings: Findings) -> None:
    """A contradiction between two questions of one entity, recorded under the first one's question
    (the same checks as within a question: figures need code's arithmetic to differ)."""
    (pa, na), (pb, nb) = pair.a, pair.b
    a, b = call[pa].item.claims[na - 1], call[pb].item.claims[nb - 1]
    if a.document == b.document or findings.opposed(a, b.document) or findings.opposed(b, a.document):
        return  # one flag between a claim and a document is enough, as within a question
    sides = {s.claim.id: s for p in (call[pa], call[pb]) for s in p.reading.sides}
    question = call[pa].item.question
    rationale = " ".join(pair.rationale.split())[:500] or "The judge found these claims incompatible."
    sa, sb = sides[a.id], sides[b.id]
    if sa.quantity is not None and sb.quantity is not None:
        _judged_figures(question, sa, sb, pair.conditions_match, rationale, findings)
    else:
        _judged_words(question, sa, sb, pair.conditions_match, rationale, findings)


def _record_part(pending: _Pending, verdict: _Local, findings: Findings) -> None:
    """Keep what holds of the judge's answer for one question part.

    Flags follow positions: claims the judge says agree, and claims of one document, hold one
    position. Each document of a position that fewer sources hold gets one flag against the
    position more sources hold; two positions held equally get one flag between them. A pair of
    figures is flagged only when code computes them different (in their frames' units); code's
    own dissenting pairs that the judge did not call contradictions are explained differences
    when either side says why, and nothing otherwise.
    """
    question, claims = pending.item.question, pending.item.claims
    sides = {s.claim.id: s for s in pending.reading.sides}
    opposed = {frozenset((a, b)) for a, b, _, _ in verdict.contradictions}
    positions = _Positions(claims)
    for group in verdict.agreements:
        numbers = [i for i in group if 1 <= i <= len(claims)]
        in_group = set(numbers)  # a contradicting pair inside the group: each pair checked once, not each two members
        if not any(pair <= in_group for pair in opposed):
            positions.join(numbers)  # agreeing on a figure while contradicting on words is not one position
    support: dict[str, set[str]] = defaultdict(set)
    for n, c in enumerate(claims, start=1):
        support[positions.of(n)].add(findings.source_of.get(c.document, c.document))
    flagged: set[object] = set()
    judged: set[frozenset[str]] = set()
    for a_n, b_n, conditions_match, text in sorted(verdict.contradictions, key=lambda p: (not p[2], p[0], p[1])):
        if not (1 <= a_n <= len(claims) and 1 <= b_n <= len(claims)):
            continue
        a, b = claims[a_n - 1], claims[b_n - 1]
        if a.document == b.document:
            continue
        judged.add(frozenset((a.id, b.id)))
        key = _position_key(positions, support, a_n, b_n, a, b)
        if key in flagged:
            continue
        flagged.add(key)
        rationale = " ".join(text.split())[:500] or "The judge found these claims incompatible."
        sa, sb = sides[a.id], sides[b.id]
        if sa.quantity is not None and sb.quantity is not None:
            _judged_figures(question, sa, sb, conditions_match, rationale, findings)
        else:
            _judged_words(question, sa, sb, conditions_match, rationale, findings)
    _unflagged_pairs(pending, verdict, judged, findings)
    for group in verdict.agreements:
        members = [claims[i - 1] for i in dict.fromkeys(group) if 1 <= i <= len(claims)]
        if len({c.document for c in members}) > 1:
            findings.corroborate(members)


def _position_key(positions: _Positions, support: dict[str, set[str]], a_n: int, b_n: int,
                  a: GroundedClaim, b: GroundedClaim) -> object:
    pa, pb = positions.of(a_n), positions.of(b_n)
    if pa == pb:
        return frozenset((a.document, b.document))
    if len(support[pa]) == len(support[pb]):
        return frozenset((pa, pb))
    minority, majority = (a, pb) if len(support[pa]) < len(support[pb]) else (b, pa)
    return (minority.document, majority)


def _judged_figures(question: Question, a: _Side, b: _Side, conditions_match: bool, rationale: str,
                    findings: Findings) -> None:
    """A judge's contradiction between two figures: flagged unless code computes them equal. Equal
    figures under two wordings of what they measure ('spent acquiring' against 'invested in') may
    still contradict in words: that is the judge's to say, as for text."""
    outcome = _compare(a, b)
    if outcome.relation != "differ" and not _one_measure([a, b]):
        _judged_words(question, a, b, conditions_match, f"{rationale} (the figures agree: {outcome.rationale})",
                      findings)
        return
    if outcome.relation != "differ":
        findings.notes.append(f"{question.text}: the judge called {a.claim.value!r} ({a.claim.document}) and "
                              f"{b.claim.value!r} ({b.claim.document}) contradictory, but {outcome.rationale}; "
                              "not flagged")
        return
    relation = _relation(a, b, None)[0]
    conditions_differ = not conditions_match or relation not in ("same",)
    _flag_numeric(question, a, b, outcome, findings, conditions_differ=conditions_differ, judged=rationale)


def _judged_words(question: Question, a: _Side, b: _Side, conditions_match: bool, rationale: str,
                  findings: Findings) -> None:
    """A judge's contradiction in words, sorted by the same rules of time and conditions as figures."""
    relation, reason = _relation(a, b, None)
    if relation == "timeline":
        findings.timeline(question, [a.claim, b.claim])
    elif relation in _EXPLAINED and not (relation == "conditions" and conditions_match):
        findings.explain(question, a.claim, b.claim, f"{rationale} ({reason})")
    else:
        conditions_differ = relation in ("one-sided", "unlike", "conditions") or not conditions_match
        findings.flag(a.claim, b.claim, kind="textual", severity="major" if conditions_match else "minor",
                      rationale=rationale, conditions_differ=conditions_differ, question=question)


def _unflagged_pairs(pending: _Pending, verdict: _Local, judged: set[frozenset[str]], findings: Findings) -> None:
    """Pairs that differ and that the judge did not call contradictions: explained when code's frames
    or the judge say why; code's dissenting figures with nothing to explain them are left unflagged."""
    question, claims = pending.item.question, pending.item.claims
    number = {c.id: n for n, c in enumerate(claims, start=1)}
    done: set[frozenset[str]] = set(judged)
    for pair in pending.reading.pairs:
        ids = frozenset((pair.rival.claim.id, pair.side.claim.id))
        if ids in done or pair.outcome.relation != "differ":
            continue
        done.add(ids)
        said = verdict.explained.get(frozenset((number.get(pair.rival.claim.id, 0), number.get(pair.side.claim.id, 0))))
        if pair.relation == "timeline":
            findings.timeline(question, [pair.rival.claim, pair.side.claim])
        elif pair.relation in _EXPLAINED:
            findings.explain(question, pair.rival.claim, pair.side.claim, f"{pair.outcome.rationale}; {pair.reason}"
                             + (f" (the judge: {said})" if said else ""))
        elif said:
            findings.explain(question, pair.rival.claim, pair.side.claim,
                             f"{pair.outcome.rationale}; the judge: {said}")
    for key, said in verdict.explained.items():
        a_n, b_n = sorted(key) if len(key) == 2 else (0, 0)
        if not (1 <= a_n <= len(claims) and 1 <= b_n <= len(claims)):
            continue
        a, b = claims[a_n - 1], claims[b_n - 1]
        if a.document == b.document or frozenset((a.id, b.id)) in done or _folded(a.value) == _folded(b.value):
            continue
        done.add(frozenset((a.id, b.id)))
        findings.explain(question, a, b, " ".join(said.split())[:300])
