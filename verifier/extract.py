"""Claim extraction: documents into candidate claims, by the LLM or by the rules.

The LLM backend sends paragraph-aligned chunks that fit a token budget; a chunk whose
calls fail is recorded with its reason and the batch goes on. Nothing returned here is
trusted yet: grounding checks every quote and figure next.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .keys import KeyMaker
from .llm import LLM, LLMOutputError, LLMTransportError, Prompt, load_prompt
from .models import CandidateClaim, Document, ExtractedClaims
from .rules import RulesExtractor
from .text import Span, chunk_paragraphs

DEFAULT_CHUNK_TOKENS = 1200


@dataclass
class Extraction:
    """Candidate claims in document order, and the chunks that failed with their reasons."""

    candidates: list[CandidateClaim] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    prompt_hash: str | None = None


def extract_with_rules(documents: list[Document], keys: KeyMaker) -> Extraction:
    """Numeric claims of every document, without an LLM."""
    extractor = RulesExtractor(keys)
    result = Extraction()
    for doc in documents:
        result.candidates.extend(extractor.extract(doc))
    return result


def extract_with_llm(
    documents: list[Document], llm: LLM, *, chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
    concurrency: int = 4, progress: Callable[[str], None] | None = None,
) -> Extraction:
    """Claims of every chunk of every document, `concurrency` calls at a time, in stable order."""
    prompt = load_prompt("extract")
    jobs = [(doc, chunk) for doc in documents for chunk in chunk_paragraphs(doc.text, chunk_tokens)]
    result = Extraction(prompt_hash=prompt.hash)
    pool = ThreadPoolExecutor(max_workers=max(concurrency, 1))
    try:
        outcomes = list(pool.map(lambda job: _extract_chunk(llm, prompt, *job), jobs))
    except LLMTransportError:
        pool.shutdown(wait=True, cancel_futures=True)  # the endpoint is down: stop, do not queue more calls
        raise
    pool.shutdown()
    for (doc, chunk), outcome in zip(jobs, outcomes, strict=True):
        if isinstance(outcome, str):
            result.failures.append(f"{doc.id} chars {chunk.start}-{chunk.end}: {outcome}")
            if progress:
                progress(f"chunk failed: {doc.id} chars {chunk.start}-{chunk.end}: {outcome}")
        else:
            result.candidates.extend(outcome)
    return result


def _extract_chunk(llm: LLM, prompt: Prompt, doc: Document, chunk: Span) -> list[CandidateClaim] | str:
    """One chunk's claims, or the one-line reason the chunk failed."""
    try:
        response = llm.structured(prompt, {"title": doc.title, "text": chunk.text}, ExtractedClaims)
    except LLMOutputError as exc:
        return str(exc)  # this chunk's output stayed invalid; the batch goes on
    return [CandidateClaim(document=doc.id, claim=claim, hint=chunk.start, origin="llm") for claim in response.claims]
