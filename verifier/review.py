"""The review queue: flags with their status, both passages in context, and decisions.

A flag's status is its latest decision (append-only history), or "open". Decisions hang
on the flag's id, which comes from its two claims, so a re-run that finds the same pair
carries them over; a flag an earlier run of the same inputs found and the latest run
did not is "stale", shown with the decision it had, never deleted.

The CLI and the web app both call these functions; neither touches SQL.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from . import timing
from .models import AsOf, Frame
from .store import FindingRecord, Store, StoredClaim, StoredDecision
from .terminal import printable, printable_json
from .text import paragraphs

Decision = Literal["confirmed", "dismissed", "needs-info"]
Status = Literal["open", "confirmed", "dismissed", "needs-info", "stale"]
STATUSES: tuple[Status, ...] = ("open", "confirmed", "dismissed", "needs-info", "stale")


class ReviewError(Exception):
    """Something a reviewer asked for does not exist (no batch, unknown flag)."""


class DecisionRecord(BaseModel):
    """One entry of a flag's decision history."""

    id: int
    decision: Decision
    note: str
    reviewer: str
    decided_at: str


class ClaimSide(BaseModel):
    """One side of a flag, with the passage around its quote."""

    document: str
    title: str
    path: str
    subject: str
    attribute: str
    value: str
    quote: str
    start: int
    end: int
    conditions: list[str]
    asserted_by: str
    hedged: bool
    before: str
    after: str
    as_of: str = ""
    frame: str = ""
    document_date: str = ""


class FlagSummary(BaseModel):
    """A row of the queue."""

    id: str
    batch: str
    status: Status
    decision: Decision | None
    severity: str
    kind: str
    subject: str
    attribute: str
    values: list[str]
    documents: list[str]
    rationale: str
    question: str = ""


class FlagDetail(FlagSummary):
    """A flag with both claims in context and its decision history."""

    claims: list[ClaimSide]
    history: list[DecisionRecord]


def _open(home: Path | None) -> Store:
    return Store.open(home)


class BatchSummary(BaseModel):
    """A batch as the queue's batch filter lists it."""

    id: str
    created: str
    backend: str
    inputs: list[str]


def list_batches(home: Path | None = None) -> list[BatchSummary]:
    """Every stored batch, newest first."""
    store = _open(home)
    try:
        rows = store.batches()
    finally:
        store.close()
    return [BatchSummary(id=r.id, created=r.created, backend=r.backend, inputs=r.inputs) for r in reversed(rows)]


def resolve_batch(store: Store, batch_id: str | None) -> str:
    """The batch asked for, or the latest; a clear error when there is none."""
    found = store.batch(batch_id)
    if found is None:
        raise ReviewError(f"no batch {batch_id!r}" if batch_id else "no batch yet: run `verifier run PATH` first")
    return found.id


def list_flags(
    home: Path | None = None, batch: str | None = None, status: str = "all", severity: str | None = None
) -> list[FlagSummary]:
    """The queue of a batch (default: the latest): its flags, then stale ones from earlier runs."""
    store = _open(home)
    try:
        rows = _queue_rows(store, resolve_batch(store, batch))
        history = store.decisions([row.id for row, _ in rows])
        flags = [_summary(store, row, stale, history[row.id]) for row, stale in rows]
    finally:
        store.close()
    return [f for f in flags
            if (status == "all" or f.status == status) and (severity is None or f.severity == severity)]


class ExplainedSummary(BaseModel):
    """A difference the frames or conditions explain: shown beside the queue, never queued."""

    id: str
    question: str
    values: list[str]
    documents: list[str]
    frames: list[str]
    reason: str


def list_explained(home: Path | None = None, batch: str | None = None) -> list[ExplainedSummary]:
    """A batch's explained differences (default: the latest batch), each with its reason."""
    store = _open(home)
    try:
        batch_id = resolve_batch(store, batch)
        out = []
        for row in store.explained(batch_id):
            claims = store.claims(batch_id, row.claim_ids)
            out.append(ExplainedSummary(
                id=row.id, question=row.question, values=[c.value for c in claims],
                documents=[c.document_id for c in claims], frames=[describe_frame(c.frame) for c in claims],
                reason=row.reason,
            ))
    finally:
        store.close()
    return out


def _queue_rows(store: Store, batch_id: str) -> list[tuple[FindingRecord, bool]]:
    """A batch's flags, then those only earlier runs of the same inputs found: (flag, stale)."""
    rows = [(row, False) for row in store.contradictions(batch_id)]
    seen = {row.id for row, _ in rows}
    for row in store.earlier_contradictions(batch_id):
        if row.id not in seen:
            seen.add(row.id)
            rows.append((row, True))
    return rows


def _summary(store: Store, row: FindingRecord, stale: bool, history: list[StoredDecision]) -> FlagSummary:
    claims = store.claims(row.batch_id, row.claim_ids)
    latest = history[-1].decision if history else None
    status: Status = "stale" if stale else (latest or "open")  # type: ignore[assignment]
    question = store.question(row.batch_id, row.question_id)
    return FlagSummary(
        id=row.id, batch=row.batch_id, status=status, decision=latest, severity=row.severity,  # type: ignore[arg-type]
        kind=row.kind, subject=claims[0].subject if claims else "",
        attribute=claims[0].attribute if claims else "", values=[c.value for c in claims],
        documents=[c.document_id for c in claims], rationale=row.rationale,
        question=question.text if question else "",
    )


def show_flag(flag_id: str, home: Path | None = None, batch: str | None = None) -> FlagDetail:
    """A flag with both passages in context, as the latest batch (or `batch`) sees it."""
    store = _open(home)
    try:
        batch_row = store.batch(batch)
        if batch is not None and batch_row is None:
            raise ReviewError(f"no batch {batch!r}")  # not a flag of no batch, falsely "stale"
        queue = _queue_rows(store, batch_row.id) if batch_row is not None else []
        row, stale = next(((r, s) for r, s in queue if r.id == flag_id), (store.finding(flag_id), True))
        if row is None:
            raise ReviewError(f"no flag {flag_id!r}")
        history = store.decisions([flag_id])[flag_id]
        summary = _summary(store, row, stale, history)
        claims = [_side(c) for c in store.claims(row.batch_id, row.claim_ids)]
    finally:
        store.close()
    records = [DecisionRecord(id=h.id, decision=h.decision, note=h.note, reviewer=h.reviewer,  # type: ignore[arg-type]
                              decided_at=h.decided_at) for h in history]
    return FlagDetail(**summary.model_dump(), claims=claims, history=records)


def _side(claim: StoredClaim) -> ClaimSide:
    before, after = context(claim.document_text, claim.start, claim.end)
    return ClaimSide(
        document=claim.document_id, title=claim.title, path=claim.path, subject=claim.subject,
        attribute=claim.attribute, value=claim.value, quote=claim.quote, start=claim.start, end=claim.end,
        conditions=claim.conditions, asserted_by=claim.asserted_by, hedged=claim.hedged,
        before=before, after=after, as_of=describe_as_of(claim.as_of), frame=describe_frame(claim.frame),
        document_date=f"{claim.document_date} ({claim.document_date_source})" if claim.document_date else "",
    )


def describe_frame(frame: Frame | None) -> str:
    """A figure's frame in words ('final figure; per week'), or '' when it states none."""
    return frame.describe() if frame else ""


def describe_as_of(as_of: AsOf | None) -> str:
    """A claim's time in words: '2026-04-09 (the document's date)', '2026-04-01 to 2026-04-30'."""
    if as_of is None:
        return ""
    span = timing.describe(as_of)
    return f"{span} (the document's date)" if as_of.source == "document" else f"{span} ({as_of.text})"


def context(text: str, start: int, end: int, reach: int = 320) -> tuple[str, str]:
    """The passage around a quote: its paragraph, or the lines around a short one (a table cell)."""
    paras = paragraphs(text)
    index = next((i for i, p in enumerate(paras) if p.start <= start < p.end + 1), None)
    if index is None:
        return text[max(0, start - reach):start], text[end:end + reach]
    first = last = index
    while first > 0 and sum(len(p.text) for p in paras[first:last + 1]) < 160 and index - first < 8:
        first -= 1
    while last + 1 < len(paras) and sum(len(p.text) for p in paras[first:last + 1]) < 240 and last - index < 8:
        last += 1
    begin, finish = paras[first].start, paras[last].end
    before, after = text[begin:start], text[end:finish]
    if len(before) > reach:
        before = "…" + before[-reach:].split(" ", 1)[-1]
    if len(after) > reach:
        after = after[:reach].rsplit(" ", 1)[0] + "…"
    return before, after


def decide(
    flag_id: str, decision: Decision, note: str = "", reviewer: str = "", home: Path | None = None
) -> DecisionRecord:
    """Record a decision with a UTC timestamp; the latest decision is the flag's status."""
    store = _open(home)
    try:
        if store.finding(flag_id) is None:
            raise ReviewError(f"no flag {flag_id!r}")
        decided_at = datetime.now(UTC).isoformat(timespec="microseconds")
        record_id = store.add_decision(flag_id, decision, note, reviewer, decided_at)
    finally:
        store.close()
    return DecisionRecord(id=record_id, decision=decision, note=note, reviewer=reviewer, decided_at=decided_at)


def next_open(flag_id: str, home: Path | None = None, batch: str | None = None) -> str | None:
    """The next open flag after `flag_id` in queue order, wrapping round; None when all are decided."""
    queue = list_flags(home, batch)
    ids = [f.id for f in queue]
    position = ids.index(flag_id) if flag_id in ids else -1
    ordered = queue[position + 1:] + queue[:position + 1]
    return next((f.id for f in ordered if f.status == "open" and f.id != flag_id), None)


# --- export ----------------------------------------------------------------------------------------


def export(home: Path | None, batch: str | None, fmt: str) -> str:
    """The batch's flags as CSV or JSON lines, or confirmed ones as schema.org ClaimReview JSON-LD."""
    flags = list_flags(home, batch)
    if fmt == "csv":
        return _csv(flags)
    if fmt == "jsonl":
        return "".join(printable_json(json.dumps(f.model_dump(), ensure_ascii=False)) + "\n" for f in flags)
    if fmt == "claimreview":
        details = [show_flag(f.id, home, batch) for f in flags if f.status == "confirmed"]
        return printable_json(json.dumps(claim_reviews(details), indent=2, ensure_ascii=False)) + "\n"
    raise ReviewError(f"unknown export format {fmt!r}")


def _csv(flags: Iterable[FlagSummary]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "batch", "status", "severity", "kind", "question", "subject", "attribute", "value_a",
                     "value_b", "document_a", "document_b", "rationale"])
    for f in flags:
        values = ([*f.values, "", ""])[:2]
        documents = ([*f.documents, "", ""])[:2]
        writer.writerow([_cell(v) for v in (f.id, f.batch, f.status, f.severity, f.kind, f.question, f.subject,
                                              f.attribute, *values, *documents, f.rationale)])
    return out.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None) -> str:
    """A CSV cell a spreadsheet shows, never runs: text from a document that starts like a
    formula ('=HYPERLINK(...)', '+1', '@SUM') is prefixed with an apostrophe (OWASP's advice)."""
    text = printable("" if value is None else str(value))  # no escape sequence or bidi override either
    return "'" + text if text.startswith(_FORMULA_START) else text


def claim_reviews(details: list[FlagDetail]) -> dict[str, Any]:
    """One schema.org ClaimReview per confirmed flag, in a JSON-LD @graph.

    The reviewed claim is the first side's; the second side is the evidence it was
    checked against. The context is inline (@vocab), so the document expands offline.
    """
    graph = []
    for flag in details:
        confirmed = [h for h in flag.history if h.decision == "confirmed"]
        last = confirmed[-1] if confirmed else None
        claim, other = flag.claims[0], flag.claims[1]
        graph.append({
            "@type": "ClaimReview",
            "@id": f"urn:verifier:flag:{flag.id}",
            "claimReviewed": f"{claim.subject} — {claim.attribute}: {claim.value}",
            "reviewBody": f"{flag.rationale} Contradicted by {other.document}: “{other.quote}”",
            "datePublished": last.decided_at if last else None,
            "author": {"@type": "Person", "name": (last.reviewer if last else "") or "unknown reviewer"},
            "itemReviewed": {
                "@type": "Claim",
                "text": claim.quote,
                # named by id and title: the operator's file paths are not for publishing
                "appearance": {"@type": "CreativeWork", "name": claim.title, "identifier": claim.document},
                "author": {"@type": "Organization", "name": claim.asserted_by} if claim.asserted_by else None,
            },
            "reviewRating": {
                "@type": "Rating", "ratingValue": 1, "worstRating": 1, "bestRating": 5,
                "alternateName": "Contradicted by another source",
            },
        })
    return {"@context": {"@vocab": "https://schema.org/"}, "@graph": [_drop_none(g) for g in graph]}


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value
