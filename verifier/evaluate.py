"""Scoring a report against a gold file (the format of tests/gold/seeds.json).

Matching follows the gold file's `about`: a flag is a pair of claims from two
documents; it matches an item when one claim satisfies side 0 and the other side 1,
a claim satisfying a side when its document is among the side's docs and its text
(statement, value or verbatim quote, case-insensitive) contains one of the side's terms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .models import Gold, GoldItem, GoldSide


class EvalInputError(Exception):
    """A gold file or report that cannot be read; the one-line message says which and why."""


@dataclass(frozen=True)
class FlagView:
    """The parts of a flag that matching needs: each claim's document and searchable text."""

    id: str
    claims: tuple[tuple[str, str], tuple[str, str]]
    label: str


@dataclass
class Score:
    """Matched and missed gold contradictions, unmatched flags and false alarms."""

    flags: int
    matched: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    matching_flags: dict[str, list[str]] = field(default_factory=dict)
    unmatched_flags: list[str] = field(default_factory=list)
    false_alarms: dict[str, list[str]] = field(default_factory=dict)
    gold_total: int = 0

    @property
    def recall(self) -> float:
        return len(self.matched) / self.gold_total if self.gold_total else 0.0

    @property
    def precision(self) -> float:
        hits = sum(1 for ids in self.matching_flags.values() if ids)
        return hits / self.flags if self.flags else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "false_alarms": sum(len(v) for v in self.false_alarms.values()),
            "flags": self.flags,
            "matched": self.matched,
            "missed": self.missed,
            "unmatched_flags": self.unmatched_flags,
            "false_alarm_items": self.false_alarms,
            "flag_matches": {k: v for k, v in self.matching_flags.items() if v},
        }


def load_gold(path: Path) -> Gold:
    try:
        return Gold.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvalInputError(f"cannot read gold file {path}: {exc.strerror}") from exc
    except ValidationError as exc:
        raise EvalInputError(f"{path} is not a gold file: {exc.errors()[0]['msg']}") from exc


def load_flags(path: Path) -> list[FlagView]:
    """Flags from a report.json; only the fields matching needs are required."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvalInputError(f"cannot read report {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise EvalInputError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from exc
    try:
        return [_flag_view(flag) for flag in data["contradictions"]]
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise EvalInputError(f"{path} is not a verifier report: missing or malformed {exc}") from exc


def _flag_view(flag: dict[str, Any]) -> FlagView:
    claims = flag["claims"]
    if len(claims) != 2:
        raise ValueError("a flag needs exactly two claims")
    views = []
    for c in claims:
        text = " \n ".join(str(c.get(k) or "") for k in ("statement", "value", "quote"))
        views.append((str(c["document"]), text.lower()))
    first, second = claims
    label = f"{first.get('subject', '')} / {first.get('attribute', '')}: {first.get('value')} vs {second.get('value')}"
    return FlagView(id=str(flag.get("id", "")), claims=(views[0], views[1]), label=label)


def _satisfies(claim: tuple[str, str], side: GoldSide) -> bool:
    document, text = claim
    return document in side.docs and any(term.lower() in text for term in side.terms)


def matches(flag: FlagView, item: GoldItem) -> bool:
    """One claim satisfies side 0 and the other side 1, either way round."""
    a, b = flag.claims
    s0, s1 = item.sides
    return (_satisfies(a, s0) and _satisfies(b, s1)) or (_satisfies(b, s0) and _satisfies(a, s1))


def score(gold: Gold, flags: list[FlagView]) -> Score:
    """Recall over gold contradictions, precision over flags, and false alarms on consistent items."""
    result = Score(flags=len(flags), gold_total=len(gold.contradictions))
    for flag in flags:
        hits = [item.id for item in gold.contradictions if matches(flag, item)]
        result.matching_flags[flag.id] = hits
        if not hits:
            result.unmatched_flags.append(flag.id)
        for item in gold.consistent:
            if matches(flag, item):
                result.false_alarms.setdefault(item.id, []).append(flag.id)
    for item in gold.contradictions:
        if any(item.id in hits for hits in result.matching_flags.values()):
            result.matched.append(item.id)
        else:
            result.missed.append(item.id)
    return result


def render_table(gold: Gold, flags: list[FlagView], result: Score) -> str:
    """A plain-text table a reviewer reads: each gold item, then flags that match nothing."""
    by_id = {f.id: f for f in flags}
    lines = [f"{'gold item':28} {'status':8} flags", f"{'-' * 28} {'-' * 8} {'-' * 30}"]
    for item in gold.contradictions:
        ids = [fid for fid, hits in result.matching_flags.items() if item.id in hits]
        status = "matched" if ids else "MISSED"
        lines.append(f"{item.id:28} {status:8} {', '.join(ids) or '-'}")
    if result.unmatched_flags:
        lines += ["", "flags matching no gold contradiction:"]
        lines += [f"  {fid}  {by_id[fid].label}" for fid in result.unmatched_flags]
    if result.false_alarms:
        lines += ["", "false alarms (flags on items labelled consistent):"]
        for item_id, ids in result.false_alarms.items():
            lines += [f"  {item_id}: {', '.join(ids)}"]
    lines += [
        "",
        f"recall {result.recall:.3f} ({len(result.matched)}/{result.gold_total})  "
        f"precision {result.precision:.3f}  flags {result.flags}  "
        f"false alarms {sum(len(v) for v in result.false_alarms.values())}",
    ]
    return "\n".join(lines)
