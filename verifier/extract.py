"""Claim extraction: documents into candidate claims, by the LLM or by the rules.

The LLM backend sends paragraph-aligned chunks that fit a token budget; a chunk whose
calls fail is recorded with its reason and the batch goes on. Nothing returned here is
trusted yet: grounding checks every quote and figure next.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from .keys import KeyMaker
from .llm import Calls, LLMOutputError
from .models import CandidateClaim, Document
from .rules import RulesExtractor
from .text import Span, chunk_paragraphs

DEFAULT_CHUNK_TOKENS = 1200


DocumentDone = Callable[[Document, list[CandidateClaim], list[str]], None]


def extract_documents(
    documents: list[Document], *, keys: KeyMaker, on_document: DocumentDone, calls: Calls | None = None,
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS, concurrency: int = 4, admit: Callable[[Document], bool] | None = None,
) -> list[Document]:
    """Extract every document, handing each one over as soon as all its chunks are done.

    With an LLM, chunks of several documents are in flight at once (at most `concurrency`
    calls, and a bounded queue behind them, so memory does not grow with the batch). A
    document is handed to `on_document` only when complete, so the caller can commit it
    in one transaction. `admit` is asked before each new document (a budget); the
    documents not started are returned. An unreachable endpoint raises LLMTransportError.
    """
    if calls is None:
        extractor = RulesExtractor(keys)
        for n, doc in enumerate(documents):
            if admit and not admit(doc):
                return documents[n:]
            on_document(doc, extractor.extract(doc), [])
        return []
    return _extract_concurrently(documents, calls, chunk_tokens, concurrency, on_document, admit)


def _extract_concurrently(
    documents: list[Document], calls: Calls, chunk_tokens: int, concurrency: int, on_document: DocumentDone,
    admit: Callable[[Document], bool] | None,
) -> list[Document]:
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
                    in_flight[pool.submit(_extract_chunk, calls, doc, chunk)] = (next_doc, j)
                next_doc += 1
            if not in_flight:
                break
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                i, j = in_flight.pop(future)
                results[i][j] = future.result()
                if all(r is not None for r in results[i]):
                    _hand_over(documents[i], chunks_of.pop(i), results.pop(i), on_document)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # stop queueing calls; let those in flight end
        raise
    pool.shutdown()
    return documents[next_doc:]


def _hand_over(doc: Document, chunks: list[Span], outcomes: list[list[CandidateClaim] | str | None],
               on_document: DocumentDone) -> None:
    claims: list[CandidateClaim] = []
    failures: list[str] = []
    for chunk, outcome in zip(chunks, outcomes, strict=True):
        if isinstance(outcome, str):
            failures.append(f"{doc.id} chars {chunk.start}-{chunk.end}: {outcome}")
        elif outcome:
            claims.extend(outcome)
    on_document(doc, claims, failures)


MIN_SPLIT_CHARS = 400


def _extract_chunk(calls: Calls, doc: Document, chunk: Span) -> list[CandidateClaim] | str:
    """One chunk's claims, or the one-line reason the chunk failed.

    An output cut at the token limit is retried on the chunk's two halves: a smaller
    passage asks for fewer claims.
    """
    try:
        response = calls.extract(doc.title, chunk.text)
    except LLMOutputError as exc:
        if exc.truncated and len(chunk.text) >= MIN_SPLIT_CHARS:
            found: list[CandidateClaim] = []
            for half in split_in_two(chunk):
                part = _extract_chunk(calls, doc, half)
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
