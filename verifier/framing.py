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

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from . import frames, timing
from .models import AsOf, Document, Frame, GroundedClaim


@dataclass
class Framed:
    """The documents with their settled dates, the claims with `as_of` and `frame`, and what to tell."""

    documents: list[Document]
    claims: list[GroundedClaim]
    notes: list[str] = field(default_factory=list)


def frame(documents: list[Document], claims: Iterable[GroundedClaim], ahead: Ahead | None = None) -> Framed:
    """Settle the documents' dates, then read every claim's time and frame against its document's date.

    `ahead` holds what was read while extraction waited on calls; a claim read there against the
    date its document settles on is not read again.
    """
    ahead = ahead or Ahead()
    settled, notes = settle_dates(documents, ahead)
    date_of = {d.id: d.date for d in settled}
    timed = [ahead.shared.claim(ahead.claim_in_time(c, date_of.get(c.document))) for c in claims]
    return Framed(settled, timed, notes)


_Part = TypeVar("_Part", Frame, AsOf)
_Model = TypeVar("_Model", GroundedClaim, Document)


class Shared:
    """Equal frames and times held once, and one set of field names for all models that set the same
    fields. A framed claim took about 2.5 KB, of which its frame was about 1.1 KB (most claims of a
    batch share a few frames: 'reported', nothing else stated) and pydantic's per-instance set of the
    fields given (`model_fields_set`, the same 17 names for every claim) most of the rest; a document
    kept after extraction, the same set beside its head. Nothing changes a frame or a time in place (a
    claim is copied with new ones), and setting a field only adds a name to a set that holds it
    already, so models may share them."""

    def __init__(self) -> None:
        self._seen: dict[tuple[object, ...], Frame | AsOf] = {}
        self._field_sets: dict[frozenset[str], set[str]] = {}

    def claim(self, claim: GroundedClaim) -> GroundedClaim:
        """`claim` with the equal frame and time seen before, and a shared set of field names."""
        return self.model(claim, frame=self.one(claim.frame), as_of=self.one(claim.as_of))

    def model(self, model: _Model, **update: object) -> _Model:
        """A copy of `model` with `update`, whose set of given field names is one shared with every
        model that gave the same (pydantic's `model_construct` keeps the set it is handed)."""
        given = frozenset(model.model_fields_set | update.keys())
        fields_set = self._field_sets.setdefault(given, set(given))
        return type(model).model_construct(_fields_set=fields_set, **{**model.__dict__, **update})

    def one(self, model: _Part | None) -> _Part | None:
        """The first of the frames or times equal to `model` seen here (None stays None)."""
        if model is None:
            return None
        values = tuple(tuple(v) if isinstance(v, list) else v for v in model.__dict__.values())
        seen = self._seen.setdefault((type(model), frozenset(model.model_fields_set), values), model)
        assert isinstance(seen, type(model))  # the key holds the type
        return seen


def claim_in_time(claim: GroundedClaim, document_date: str | None) -> GroundedClaim:
    """A claim with its `as_of` and its `frame`, read from its own words and its document's date."""
    as_of, read = _read_time(claim, document_date)
    return claim.model_copy(update={"as_of": as_of, "frame": read})


def _read_time(claim: GroundedClaim, document_date: str | None) -> tuple[AsOf | None, Frame | None]:
    as_of = timing.claim_as_of(claim.value, claim.conditions, claim.quote, document_date)
    return as_of, frames.read_frame(claim.value, claim.attribute, claim.conditions, claim.quote, document_date)


ReadKey = tuple[str, str, tuple[str, ...], str, str | None]


class Ahead:
    """Claims' times and frames read as each document is committed, while extraction waits on calls.

    Reading them after extraction took about 0.15 ms a claim with no call in flight (6 s of a
    10,000-document batch); read during extraction, the same work fills time spent waiting. A
    claim's reading depends only on its value, attribute, conditions and quote and on its
    document's date, so it is kept under exactly those: it is read against the date the document
    gives for itself, and read again later only when the batch settles that date otherwise (a
    dateline without a year).
    """

    def __init__(self) -> None:
        self._read: dict[ReadKey, tuple[AsOf | None, Frame | None]] = {}
        self._readings: dict[tuple[str, str, str, str | None], list[timing.DateReading]] = {}
        self._stored: dict[str, str | None] = {}  # carried documents: the date their stored frames were read at
        self.shared = Shared()  # what is read here is held until the batch is framed: equal readings once

    def stored(self, document_dates: dict[str, str | None]) -> None:
        """Claims of these documents come with the times and frames stored by the batch they were
        carried from, read against these dates: where the date settles the same, they stand."""
        self._stored.update(document_dates)

    def known(self, readings: dict[tuple[str, str, str, str | None], list[timing.DateReading]]) -> None:
        """Dates documents give for themselves, already read (by ingest, to date them), under the key
        `readings` reads them by: a document read with other page metadata is read again."""
        self._readings.update(readings)

    def headed(self, documents: list[Document]) -> list[Document]:
        """The documents with their text cut to the head the time stage reads (`timing.HEAD_CHARS`),
        their own dates read first from the whole text: after extraction nothing else reads a
        document's text, and a batch's texts held to its end grew with the batch."""
        for document in documents:
            self.readings(document)
        return [self.shared.model(d, text=timing.head_of(d.text)) for d in documents]

    def release(self) -> None:
        """Forget what was read: once the batch's claims are framed it is a copy of their times and
        frames, as large as they are, that nothing reads again."""
        self._read.clear()
        self._stored.clear()
        self.shared = Shared()

    def add(self, document: Document, claims: list[GroundedClaim]) -> None:
        """Read the claims of one committed document against the date it gives for itself."""
        readings = self.readings(document)
        day = timing.settle_date(readings, [], document.text)[0] if readings else document.date
        for claim in claims:
            as_of, read = _read_time(claim, day)
            self._read[_key(claim, day)] = self.shared.one(as_of), self.shared.one(read)

    def readings(self, document: Document) -> list[timing.DateReading]:
        """The dates a document gives for itself (read once)."""
        metadata = document.date if document.date_source == "metadata" else None
        key = (document.id, document.sha256, document.path, metadata)
        found = self._readings.get(key)
        if found is None:
            found = self._readings[key] = timing.date_readings(document.text, document.path, metadata)
        return found

    def claim_in_time(self, claim: GroundedClaim, document_date: str | None) -> GroundedClaim:
        """`claim_in_time`, from what was read ahead when it was read against the same date."""
        found = self._read.get(_key(claim, document_date))
        if found is None and claim.frame is not None and claim.document in self._stored \
                and self._stored[claim.document] == document_date:
            return claim  # carried with the time and frame it would be read with: no copy to make
        as_of, read = found if found is not None else _read_time(claim, document_date)
        return claim.model_copy(update={"as_of": as_of, "frame": read})


def _key(claim: GroundedClaim, document_date: str | None) -> ReadKey:
    return claim.value, claim.attribute, tuple(claim.conditions), claim.quote, document_date


def settle_dates(documents: list[Document], ahead: Ahead | None = None) -> tuple[list[Document], list[str]]:
    """Each document's date from its own readings, and the batch's for a dateline without a year;
    a note for each document whose own dates disagree by more than a few days."""
    ahead = ahead or Ahead()
    readings = {d.id: ahead.readings(d) for d in documents}
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
