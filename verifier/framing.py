"""The time stage: each document's date settled across the batch, then each claim's time and frame.

It runs between grounding and alignment, so every later stage sees one reading of time: when a
claim holds (`as_of`, from its conditions, its quote, or its document's date) and what its figure
holds for (`frame`: moment or period, status, basis). Alignment and the judge are shown these,
and comparison flags only figures whose frames match.

A dateline often gives a month and day without a year ("OSLO, March 3 (Reuters) -"). Its year
comes from the document's own publication line, metadata or file name when it has one, then from
the batch (the other documents' dates), then from a full date in its first lines; never from a
year the story merely names (a record set in 1998, a target for 2030), which is how a batch ends
up read as a year apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import frames, timing
from .models import Document, GroundedClaim


@dataclass
class Framed:
    """The documents with their settled dates, the claims with `as_of` and `frame`, and what to tell."""

    documents: list[Document]
    claims: list[GroundedClaim]
    notes: list[str] = field(default_factory=list)


def frame(documents: list[Document], claims: list[GroundedClaim]) -> Framed:
    """Settle the documents' dates, then read every claim's time and frame against its document's date."""
    settled, notes = settle_dates(documents)
    date_of = {d.id: d.date for d in settled}
    timed = [claim_in_time(c, date_of.get(c.document)) for c in claims]
    return Framed(settled, timed, notes)


def claim_in_time(claim: GroundedClaim, document_date: str | None) -> GroundedClaim:
    """A claim with its `as_of` and its `frame`, read from its own words and its document's date."""
    as_of = timing.claim_as_of(claim.value, claim.conditions, claim.quote, document_date)
    read = frames.read_frame(claim.value, claim.attribute, claim.conditions, claim.quote, document_date)
    return claim.model_copy(update={"as_of": as_of, "frame": read})


def settle_dates(documents: list[Document]) -> tuple[list[Document], list[str]]:
    """Each document's date from its own readings, and the batch's for a dateline without a year;
    a note for each document whose own dates disagree by more than a few days."""
    readings = {d.id: timing.date_readings(d.text, d.path, d.date if d.date_source == "metadata" else None)
                for d in documents}
    with_year = [timing.parse_day(r[0].day) for r in readings.values() if r and len(r[0].day) == 10]
    with_year += [timing.parse_day(d.date) for d in documents if not readings[d.id] and d.date]
    batch_days = [d for d in with_year if d is not None]
    settled: list[Document] = []
    notes: list[str] = []
    for doc in documents:
        if not readings[doc.id]:
            settled.append(doc)  # nothing in its text or name: a date given by the caller stands
            continue
        day, source, disagreement = timing.settle_date(readings[doc.id], batch_days, doc.text)
        if disagreement:
            notes.append(f"date of {doc.id}: {disagreement}")
        settled.append(doc.model_copy(update={"date": day, "date_source": source}))
    return settled, notes
