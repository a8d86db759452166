"""Claim extraction: documents into candidate claims, by the LLM or by the rules.

The LLM backend sends paragraph-aligned chunks that fit a token budget; a chunk whose
calls fail is recorded with its reason and the batch goes on. Nothing returned here is
trusted yet: grounding checks every quote and figure next.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from .keys import KeyMaker
from .llm import Calls, LLMOutputError
from .models import CandidateClaim, Document
from .rules import RulesExtractor
from .text import Span, chunk_paragraphs

DEFAULT_CHUNK_TOKENS = 1200
MAX_CLAIMS_PER_DOCUMENT = 2000  # a news article states tens of figures; thousands is a table dump or junk
MAX_SECONDS_PER_DOCUMENT = 60.0  # the rules read a long article in well under a second


DocumentDone = Callable[[Document, list[CandidateClaim], list[str]], None]


@dataclass(frozen=True)
class Bounds:
    """How much work one document may take, and how a run asks to stop.

    Without them one document holds a worker for as long as it takes: a 15 MB line of
    figures kept the rules busy for minutes, every later batch queued behind it, and a
    cancel waited for it to end. What a cap leaves unread is named in the document's
    failures, so the report says so.
    """

    max_claims: int = MAX_CLAIMS_PER_DOCUMENT
    max_seconds: float = MAX_SECONDS_PER_DOCUMENT
    cancelled: Callable[[], bool] | None = None


class Stopped(Exception):
    """The run was cancelled while a document was read: it is not handed over, so it stays to do."""


class _Reading:
    """One document's bounds while the rules read it: asked before each piece of text."""

    def __init__(self, doc: Document, bounds: Bounds) -> None:
        self.doc, self.bounds = doc, bounds
        self.started = time.monotonic()
        self.note: str | None = None

    def keep_going(self, claims: int, offset: int) -> bool:
        bounds = self.bounds
        if bounds.cancelled is not None and bounds.cancelled():
            raise Stopped(self.doc.id)
        if claims >= bounds.max_claims:
            self._stop(offset, f"{bounds.max_claims:,} claims (--max-claims)")
        elif time.monotonic() - self.started > bounds.max_seconds:
            self._stop(offset, f"{bounds.max_seconds:g} seconds (--max-document-seconds)")
        return self.note is None

    def _stop(self, offset: int, cap: str) -> None:
        size = len(self.doc.text)
        self.note = (f"{self.doc.id}: read in part: stopped at {cap}, at character {offset:,} of {size:,} "
                     f"({100 * offset / max(size, 1):.0f}%); the rest was not read")


def extract_documents(
    documents: list[Document], *, keys: KeyMaker, on_document: DocumentDone, calls: Calls | None = None,
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS, concurrency: int = 4, admit: Callable[[Document], bool] | None = None,
    bounds: Bounds | None = None,
) -> list[Document]:
    """Extract every document, handing each one over as soon as all its chunks are done.

    With an LLM, chunks of several documents are in flight at once (at most `concurrency`
    calls, and a bounded queue behind them, so memory does not grow with the batch). A
    document is handed to `on_document` only when complete, so the caller can commit it
    in one transaction. `admit` is asked before each new document (a budget); the
    documents not started are returned. `bounds` caps each document's claims (and, for
    the rules, its seconds) and is asked for cancellation between chunks: a cancelled
    document is not handed over. An unreachable endpoint raises LLMTransportError.
    """
    bounds = bounds or Bounds()
    if calls is None:
        return _extract_by_rules(documents, RulesExtractor(keys), on_document, admit, bounds)
    return _extract_concurrently(documents, calls, chunk_tokens, concurrency, on_document, admit, bounds)


def _extract_by_rules(documents: list[Document], extractor: RulesExtractor, on_document: DocumentDone,
                      admit: Callable[[Document], bool] | None, bounds: Bounds) -> list[Document]:
    for n, doc in enumerate(documents):
        if admit and not admit(doc):
            return documents[n:]
        reading = _Reading(doc, bounds)
        try:
            claims = extractor.extract(doc, reading.keep_going)
        except Stopped:
            return documents[n:]
        on_document(doc, claims[:bounds.max_claims], [reading.note] if reading.note else [])
    return []


def _extract_concurrently(
    documents: list[Document], calls: Calls, chunk_tokens: int, concurrency: int, on_document: DocumentDone,
    admit: Callable[[Document], bool] | None, bounds: Bounds,
) -> list[Document]:
    cancelled = bounds.cancelled or (lambda: False)
    pool = ThreadPoolExecutor(max_workers=max(concurrency, 1))
    in_flight: dict[Future[list[CandidateClaim] | str], tuple[int, int]] = {}
    results: dict[int, list[list[CandidateClaim] | str | None]] = {}
    chunks_of: dict[int, list[Span]] = {}
    next_doc = 0
    limit = max(concurrency, 1) * 4
    try:
        while next_doc < len(documents) or in_flight:
            while next_doc < len(documents) and len(in_flight) < limit:
                doc = documents[next_doc]
                if admit and not admit(doc):
                    break
                chunks_of[next_doc] = chunk_paragraphs(doc.text, chunk_tokens) or [Span(doc.text, 0)]
                results[next_doc] = [None] * len(chunks_of[next_doc])
                for j, chunk in enumerate(chunks_of[next_doc]):
                    in_flight[pool.submit(_extract_chunk, calls, doc, chunk, cancelled)] = (next_doc, j)
                next_doc += 1
            if not in_flight:
                break
            done, _ = wait(in_flight, timeout=CANCEL_POLL_SECONDS, return_when=FIRST_COMPLETED)
            if cancelled():
                raise Stopped
            for future in done:
                i, j = in_flight.pop(future)
                results[i][j] = future.result()
                if all(r is not None for r in results[i]):
                    _hand_over(documents[i], chunks_of.pop(i), results.pop(i), on_document, bounds.max_claims)
    except Stopped:  # cancelled: no new call starts; those in flight end on their own, their answers cached
        pool.shutdown(wait=False, cancel_futures=True)
        return [d for i, d in enumerate(documents) if i >= next_doc or i in results]
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # stop queueing calls; let those in flight end
        raise
    pool.shutdown()
    return documents[next_doc:]


def _hand_over(doc: Document, chunks: list[Span], outcomes: list[list[CandidateClaim] | str | None],
               on_document: DocumentDone, max_claims: int) -> None:
    claims: list[CandidateClaim] = []
    failures: list[str] = []
    for chunk, outcome in zip(chunks, outcomes, strict=True):
        if isinstance(outcome, str):
            failures.append(f"{doc.id} chars {chunk.start}-{chunk.end}: {outcome}")
        elif outcome:
            claims.extend(outcome)
    if len(claims) > max_claims:
        failures.append(f"{doc.id}: {len(claims):,} claims extracted; the first {max_claims:,} are kept "
                        "(--max-claims)")
    on_document(doc, claims[:max_claims], failures)


MIN_SPLIT_CHARS = 400


CANCEL_POLL_SECONDS = 0.5  # how often a run waiting on calls asks whether it was cancelled


def _extract_chunk(calls: Calls, doc: Document, chunk: Span,
                   cancelled: Callable[[], bool] = lambda: False) -> list[CandidateClaim] | str:
    """One chunk's claims, or the one-line reason the chunk failed.

    An output cut at the token limit is retried on the chunk's two halves: a smaller
    passage asks for fewer claims. A cancelled run asks nothing more (Stopped).
    """
    if cancelled():
        raise Stopped(doc.id)
    try:
        response = calls.extract(doc.title, chunk.text)
    except LLMOutputError as exc:
        if exc.truncated and len(chunk.text) >= MIN_SPLIT_CHARS:
            found: list[CandidateClaim] = []
            for half in split_in_two(chunk):
                part = _extract_chunk(calls, doc, half, cancelled)
                if isinstance(part, str):
                    return part
                found.extend(part)
            return found
        return str(exc)  # this chunk's output stayed invalid; the batch goes on
    return [CandidateClaim(document=doc.id, claim=claim, hint=chunk.start, origin="llm") for claim in response.claims]


def split_in_two(chunk: Span) -> tuple[Span, Span]:
    """Halves of a chunk, cut at the paragraph or sentence end nearest the middle."""
    text, middle = chunk.text, len(chunk.text) // 2
    cuts = [m.end() for m in re.finditer(r"\n+|(?<=[.!?])\s+", text) if 0 < m.end() < len(text)]
    cut = min(cuts, key=lambda c: abs(c - middle)) if cuts else middle
    return Span(text[:cut].rstrip(), chunk.start), Span(text[cut:], chunk.start + cut)
