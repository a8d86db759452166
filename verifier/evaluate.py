"""Scoring a report against a gold file (the format of tests/gold/seeds.json).

Matching follows the gold file's `about`: a flag is a pair of claims from two
documents; it matches an item when one claim satisfies side 0 and the other side 1,
a claim satisfying a side when its document is among the side's docs and its text
(statement, value or verbatim quote, case-insensitive) contains one of the side's terms.

Scoring is strict: a flag credits at most one gold contradiction (a maximum matching
between flags and items), so one broad flag cannot count twice; a flag is a false alarm
only when it falls on an item labelled consistent and matches no contradiction.

Candidate recall measures alignment without a judge: for each gold contradiction, were
two claims satisfying its sides put in one question (or flagged as a pair)? It is
strict the same way: one pair of claims credits one item.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .files import read_text
from .models import Gold, GoldItem, GoldSide, first_error


class EvalInputError(Exception):
    """A gold file or report that cannot be read; the one-line message says which and why."""


@dataclass(frozen=True)
class FlagView:
    """The parts of a flag that matching needs: each claim's document and searchable text, and
    whether the two claims' frames match (None when the report has no frames)."""

    id: str
    claims: tuple[tuple[str, str], tuple[str, str]]
    label: str
    frames: str | None = None


@dataclass
class Score:
    """Matched and missed gold contradictions, unmatched flags and false alarms."""

    flags: int
    matched: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    matching_flags: dict[str, list[str]] = field(default_factory=dict)
    credited: dict[str, str] = field(default_factory=dict)  # flag -> the one item it is credited with
    unmatched_flags: list[str] = field(default_factory=list)
    false_alarms: dict[str, list[str]] = field(default_factory=dict)
    gold_total: int = 0
    candidates: list[str] | None = None  # items whose sides met in one question, when the report has questions
    frames: dict[str, str] = field(default_factory=dict)  # flag -> "same frame" or what differs
    as_agreement: list[str] = field(default_factory=list)  # gold contradictions the report calls corroborated
    diagnosis: dict[str, dict[str, Any]] = field(default_factory=dict)  # missed item -> where it was lost
    safety_net: int | None = None

    @property
    def recall(self) -> float:
        return len(self.matched) / self.gold_total if self.gold_total else 0.0

    @property
    def precision(self) -> float:
        """Flags credited with a gold contradiction over all flags."""
        return len(self.credited) / self.flags if self.flags else 0.0

    @property
    def candidate_recall(self) -> float | None:
        if self.candidates is None:
            return None
        return len(self.candidates) / self.gold_total if self.gold_total else 0.0

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "false_alarms": sum(len(v) for v in self.false_alarms.values()),
            "flags": self.flags,
            "matched": self.matched,
            "missed": self.missed,
            "unmatched_flags": self.unmatched_flags,
            "false_alarm_items": self.false_alarms,
            "flag_matches": {k: v for k, v in self.matching_flags.items() if v},
            "credited": self.credited,
        }
        if self.candidates is not None:
            out["candidate_recall"] = round(self.candidate_recall or 0.0, 4)
            out["candidates"] = self.candidates
            out["candidates_missed"] = [i for i in self.matched + self.missed if i not in self.candidates]
        out["flag_frames"] = self.frames
        out["contradictions_reported_as_agreement"] = self.as_agreement
        out["missed_where"] = self.diagnosis
        if self.safety_net is not None:
            out["safety_net"] = self.safety_net
        return out


def _read_json(path: Path, what: str) -> Any:
    """A JSON file's content, or an EvalInputError that says whether it is unreadable, not UTF-8,
    not JSON or nested too deeply (`what` names the kind of file for the message)."""
    try:
        return json.loads(read_text(path))
    except OSError as exc:
        raise EvalInputError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise EvalInputError(f"{what} {path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise EvalInputError(f"{what} {path} is not JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError as exc:
        raise EvalInputError(f"{what} {path} is nested too deeply to be a {what}") from exc


def load_gold(path: Path) -> Gold:
    """A gold file, or an EvalInputError that says whether it is unreadable, not JSON, or the wrong shape."""
    data = _read_json(path, "gold file")
    try:
        return Gold.model_validate(data)
    except ValidationError as exc:
        raise EvalInputError(f"{path} is not a gold file: {first_error(exc)}") from exc


def _load_report(path: Path) -> dict[str, Any]:
    data = _read_json(path, "report")
    if not isinstance(data, dict):
        raise EvalInputError(f"{path} is not a verifier report: not a JSON object")
    return data


def load_flags(path: Path) -> list[FlagView]:
    """Flags from a report.json; only the fields matching needs are required."""
    data = _load_report(path)
    try:
        return [_flag_view(flag) for flag in data["contradictions"]]
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise EvalInputError(f"{path} is not a verifier report: missing or malformed {exc}") from exc


@dataclass(frozen=True)
class QuestionView:
    """A question of a report as candidate recall needs it: its claims' documents and texts."""

    id: str
    claims: tuple[tuple[str, str, str], ...]  # (claim id, document, searchable text)


def load_questions(path: Path) -> list[QuestionView] | None:
    """The questions of a report.json, or None for a report written before alignment existed."""
    data = _load_report(path)
    if "questions" not in data:
        return None
    try:
        claims = {str(c["id"]): (str(c["document"]), _text(c)) for c in data["claims"]}
        return [QuestionView(str(q["id"]), tuple((cid, *claims[cid]) for cid in q["claims"] if cid in claims))
                for q in data["questions"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise EvalInputError(f"{path} is not a verifier report: missing or malformed {exc}") from exc


def _text(claim: dict[str, Any]) -> str:
    return " \n ".join(str(claim.get(k) or "") for k in ("statement", "value", "quote")).lower()


def _flag_view(flag: dict[str, Any]) -> FlagView:
    claims = flag["claims"]
    if len(claims) != 2:
        raise ValueError("a flag needs exactly two claims")
    views = [(str(c["document"]), _text(c)) for c in claims]
    first, second = claims
    label = f"{first.get('subject', '')} / {first.get('attribute', '')}: {first.get('value')} vs {second.get('value')}"
    return FlagView(id=str(flag.get("id", "")), claims=(views[0], views[1]), label=label,
                    frames=_frames_of(first, second))


def _frames_of(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """'same frame', or what differs between two claims' frames ('status: forecast vs reported')."""
    fa, fb = a.get("frame"), b.get("frame")
    if not isinstance(fa, dict) or not isinstance(fb, dict):
        return None
    parts = [f"{k}: {fa.get(k) or '-'} vs {fb.get(k) or '-'}" for k in ("moment", "period", "status", "basis")
             if fa.get(k) != fb.get(k)]
    return "; ".join(parts) or "same frame"


@dataclass(frozen=True)
class ReportView:
    """What scoring reads from a report beyond its flags: each claim's entity and question (names),
    its corroborations, and how often the safety net joined figures."""

    claims: dict[str, tuple[str, str]]  # claim id -> (document, searchable text)
    stated: dict[str, tuple[str, str]]  # claim id -> (document, its statement and value, without the quote)
    entity_of: dict[str, str]  # claim id -> entity name
    question_of: dict[str, str]  # claim id -> question text
    corroborations: list[list[str]]  # claim ids of each corroboration
    safety_net: int | None


def load_report_view(path: Path) -> ReportView:
    """The parts of a report.json that say where claims landed; tolerant of older reports."""
    data = _load_report(path)
    try:
        claims = {str(c["id"]): (str(c["document"]), _text(c)) for c in data.get("claims", [])}
        stated = {str(c["id"]): (str(c["document"]), _text({**c, "quote": ""})) for c in data.get("claims", [])}
        names = {str(e["id"]): str(e.get("name", "")) for e in data.get("entities", [])}
        entity_of: dict[str, str] = {}
        question_of: dict[str, str] = {}
        for q in data.get("questions", []):
            for cid in q["claims"]:
                entity_of[str(cid)] = names.get(str(q.get("entity", "")), "")
                question_of[str(cid)] = str(q.get("text", ""))
        corroborations = [[str(c["id"]) for c in k.get("claims", [])] for k in data.get("corroborations", [])]
        counts = data.get("counts") or {}
        net = counts.get("safety_net") if isinstance(counts, dict) else None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EvalInputError(f"{path} is not a verifier report: missing or malformed {exc}") from exc
    return ReportView(claims, stated, entity_of, question_of, corroborations, net if isinstance(net, int) else None)


def _satisfies(claim: tuple[str, str], side: GoldSide) -> bool:
    document, text = claim
    return document in side.docs and any(term.lower() in text for term in side.terms)


def matches(flag: FlagView, item: GoldItem) -> bool:
    """One claim satisfies side 0 and the other side 1, either way round."""
    a, b = flag.claims
    s0, s1 = item.sides
    return (_satisfies(a, s0) and _satisfies(b, s1)) or (_satisfies(b, s0) and _satisfies(a, s1))


def maximum_matching(edges: dict[str, list[str]]) -> dict[str, str]:
    """A maximum matching of a bipartite graph given as left -> rights (Kuhn's augmenting paths):
    each left credits at most one right, each right is credited at most once."""
    owner: dict[str, str] = {}

    def augment(left: str, seen: set[str]) -> bool:
        for right in edges[left]:
            if right in seen:
                continue
            seen.add(right)
            if right not in owner or augment(owner[right], seen):
                owner[right] = left
                return True
        return False

    for left in sorted(edges, key=lambda k: (len(edges[k]), k)):
        augment(left, set())
    return {left: right for right, left in owner.items()}


def score(gold: Gold, flags: list[FlagView], questions: list[QuestionView] | None = None,
          report: ReportView | None = None) -> Score:
    """Recall over gold contradictions, precision over flags, false alarms on consistent items,
    all strict (one flag, one item); candidate recall too when the report has questions; with the
    report's view, contradictions it reports as agreements and, for each miss, where it was lost."""
    result = Score(flags=len(flags), gold_total=len(gold.contradictions))
    result.frames = {f.id: f.frames for f in flags if f.frames is not None}
    for flag in flags:
        hits = [item.id for item in gold.contradictions if matches(flag, item)]
        result.matching_flags[flag.id] = hits
        if not hits:
            result.unmatched_flags.append(flag.id)
            for item in gold.consistent:
                if matches(flag, item):
                    result.false_alarms.setdefault(item.id, []).append(flag.id)
    result.credited = maximum_matching(result.matching_flags)
    credited_items = set(result.credited.values())
    for item in gold.contradictions:
        (result.matched if item.id in credited_items else result.missed).append(item.id)
    if questions is not None:
        result.candidates = _candidates(gold, flags, questions)
    if report is not None:
        result.safety_net = report.safety_net
        result.as_agreement = [item.id for item in gold.contradictions if _agreed(item, report)]
        result.diagnosis = {item_id: _where(next(i for i in gold.contradictions if i.id == item_id), report,
                                            result.candidates) for item_id in result.missed}
    return result


def _agreed(item: GoldItem, report: ReportView) -> bool:
    """A corroboration holding claims of both sides: a contradiction reported as an agreement.
    Here a claim satisfies a side by what it states (its statement or value), not by its quote: a
    quote may name the contradicted figure beside the one the claim states ("cut hospitalizations
    by 43% in a study of 1,200 patients"), and an agreement on 1,200 patients is not one on 43%."""
    for members in report.corroborations:
        views = [report.stated[c] for c in members if c in report.stated]
        if any(_satisfies(a, item.sides[0]) and _satisfies(b, item.sides[1]) and a[0] != b[0]
               for a in views for b in views):
            return True
    return False


def _where(item: GoldItem, report: ReportView, candidates: list[str] | None) -> dict[str, Any]:
    """Where a missed item was lost: each side's claims (extracted at all?), their entities and
    questions, and whether two of them ever met in one question."""
    out: dict[str, Any] = {}
    for n, side in enumerate(item.sides, start=1):
        found = [cid for cid, view in report.claims.items() if _satisfies(view, side)]
        out[f"side {n}"] = {
            "extracted": len(found),
            "entities": sorted({report.entity_of.get(c, "") for c in found} - {""}),
            "questions": sorted({report.question_of.get(c, "") for c in found} - {""})[:6],
        }
    out["met"] = candidates is not None and item.id in candidates
    out["lost"] = ("not extracted" if not (out["side 1"]["extracted"] and out["side 2"]["extracted"])
                   else "judged or compared, not flagged" if out["met"] else "never met in one question")
    return out


CANDIDATE_WITNESSES = 50  # pairs kept per item: enough for the matching, bounded for huge reports


def _candidates(gold: Gold, flags: list[FlagView], questions: list[QuestionView]) -> list[str]:
    """Gold contradictions whose two sides met: a pair of claims in one question, or a flag, that
    satisfies them; each pair credits one item."""
    witnesses: dict[str, list[str]] = {}
    for item in gold.contradictions:
        pairs: list[str] = [f"flag:{f.id}" for f in flags if matches(f, item)]
        s0, s1 = item.sides
        for q in questions:
            if len(pairs) >= CANDIDATE_WITNESSES:
                break
            left = [(cid, doc) for cid, doc, text in q.claims if _satisfies((doc, text), s0)]
            right = [(cid, doc) for cid, doc, text in q.claims if _satisfies((doc, text), s1)] if left else []
            pairs += ["pair:" + "|".join(sorted((a, b))) for a, da in left[:20] for b, db in right[:20] if da != db]
        witnesses[item.id] = list(dict.fromkeys(pairs))
    matched = maximum_matching(witnesses)
    return [item.id for item in gold.contradictions if item.id in matched]


def render_table(gold: Gold, flags: list[FlagView], result: Score) -> str:
    """A plain-text table a reviewer reads: each gold item, then flags that match nothing."""
    by_id = {f.id: f for f in flags}
    lines = [f"{'gold item':28} {'status':8} flags", f"{'-' * 28} {'-' * 8} {'-' * 30}"]
    credited_to = {item: fid for fid, item in result.credited.items()}
    for item in gold.contradictions:
        fid = credited_to.get(item.id)
        status = "matched" if fid else "MISSED"
        candidate = "" if result.candidates is None else ("  met" if item.id in result.candidates else "  never met")
        lines.append(f"{item.id:28} {status:8} {fid or '-'}{candidate}")
    spare = [fid for fid in by_id if fid not in result.credited]
    if spare:
        lines += ["", "flags credited with no gold contradiction:"]
        lines += [f"  {fid}  {by_id[fid].label}" + (f"  [{result.frames[fid]}]" if fid in result.frames else "")
                  for fid in spare]
    differ = {fid: frames for fid, frames in result.frames.items() if frames != "same frame"}
    if differ:
        lines += ["", "flags whose two sides' frames differ:"]
        lines += [f"  {fid}  {frames}" for fid, frames in differ.items()]
    if result.as_agreement:
        lines += ["", "gold contradictions reported as corroborations:"] + [f"  {i}" for i in result.as_agreement]
    if result.diagnosis:
        lines += ["", "where each miss was lost:"]
        for item_id, where in result.diagnosis.items():
            sides = "; ".join(f"{k}: {v['extracted']} claim(s) under {', '.join(v['entities']) or '-'}"
                              for k, v in where.items() if k.startswith("side"))
            lines.append(f"  {item_id}: {where['lost']} ({sides})")
    if result.false_alarms:
        lines += ["", "false alarms (flags on items labelled consistent):"]
        for item_id, ids in result.false_alarms.items():
            lines += [f"  {item_id}: {', '.join(ids)}"]
    lines += [
        "",
        f"recall {result.recall:.3f} ({len(result.matched)}/{result.gold_total})  "
        f"precision {result.precision:.3f}  flags {result.flags}  "
        f"false alarms {sum(len(v) for v in result.false_alarms.values())}"
        + ("" if result.candidates is None else
           f"  candidate recall {result.candidate_recall:.3f} ({len(result.candidates)}/{result.gold_total})")
        + ("" if result.safety_net is None else f"  safety net {result.safety_net}")
        + f"  as agreement {len(result.as_agreement)}",
    ]
    return "\n".join(lines)
