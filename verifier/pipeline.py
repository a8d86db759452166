"""One batch, end to end: ingest → extract → ground → cross-check → store and report.

`run_batch` is what `verifier run` calls; tests and other programs call it directly.
Data flows one way through the stages; only `llm` reaches the network and only
`store` touches SQLite.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from . import compare, extract, ground, ingest, report
from .keys import KeyMaker
from .llm import LLM, LLMError, LLMSettings, load_prompt
from .models import Counts, GroundedClaim, JudgeVerdict, Report, ReportDocument, Usage
from .store import Store, default_home

Backend = Literal["llm", "rules"]


@dataclass
class RunOptions:
    """Everything `verifier run` can be told."""

    paths: list[str]
    out_dir: Path = Path("verifier-out")
    backend: Backend = "rules"
    llm: LLMSettings | None = None
    concurrency: int = 4
    chunk_tokens: int = extract.DEFAULT_CHUNK_TOKENS
    use_cache: bool = True
    home: Path | None = None
    aliases: Path | None = None
    warn: Callable[[str], None] = field(default=lambda message: None)


@dataclass
class RunResult:
    report: Report
    json_path: Path
    md_path: Path
    database: Path


def run_batch(options: RunOptions) -> RunResult:
    """Verify one batch of documents and store and write its report."""
    started = time.monotonic()
    home = options.home or default_home()
    keys = KeyMaker.from_file(options.aliases)
    ingested = ingest.ingest(options.paths)
    for skipped in ingested.skipped:
        options.warn(f"skipped {skipped.path}: {skipped.reason}")
    for note in ingested.notes:
        options.warn(note)
    if not ingested.documents:
        raise ingest.IngestError("no document could be read from " + ", ".join(options.paths))
    documents = ingested.documents

    llm: LLM | None = None
    prompt_hashes: dict[str, str] = {}
    if options.backend == "llm":
        settings = options.llm or LLMSettings()
        if options.use_cache and settings.cache_dir is None:
            settings.cache_dir = home / "cache"
        if not options.use_cache:
            settings.cache_dir = None
        llm = LLM(settings)
        extraction = extract.extract_with_llm(
            documents, llm, chunk_tokens=options.chunk_tokens, concurrency=options.concurrency, progress=options.warn
        )
        prompt_hashes = {"extract": load_prompt("extract").hash, "judge": load_prompt("judge").hash}
    else:
        extraction = extract.extract_with_rules(documents, keys)

    try:
        grounded = ground.ground(documents, extraction.candidates, keys)
        failures = list(extraction.failures)
        judge = _judge_with(llm, failures) if llm is not None else None
        findings = compare.cross_check(documents, grounded.claims, keys, judge, options.concurrency)
    finally:
        if llm is not None:
            llm.close()

    usage = Usage(failed_chunks=len(extraction.failures), seconds=round(time.monotonic() - started, 3))
    if llm is not None:
        u = llm.usage
        usage.llm_calls, usage.cache_hits = u.calls, u.cache_hits
        usage.prompt_tokens, usage.completion_tokens = u.prompt_tokens, u.completion_tokens
        usage.total_tokens = u.prompt_tokens + u.completion_tokens
    batch_report = Report(
        batch=_batch_id(),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        backend=options.backend,
        model=(options.llm or LLMSettings()).model if options.backend == "llm" else None,
        prompt_hashes=prompt_hashes,
        documents=[ReportDocument(**d.model_dump(exclude={"text"})) for d in documents],
        skipped=ingested.skipped,
        claims=grounded.claims,
        contradictions=findings.contradictions,
        corroborations=findings.corroborations,
        single_source=findings.single_source,
        failures=failures,
        counts=Counts(
            documents=len(documents), skipped_files=len(ingested.skipped), claims=len(grounded.claims),
            ungrounded_dropped=grounded.dropped, candidate_pairs=findings.candidate_pairs,
            contradictions=len(findings.contradictions), corroborations=len(findings.corroborations),
            single_source=len(findings.single_source),
        ),
        usage=usage,
    )
    json_path, md_path = report.write_report(batch_report, options.out_dir)
    store = Store.open(home)
    try:
        store.save_report(batch_report, documents, [str(p) for p in options.paths], str(options.out_dir))
    finally:
        store.close()
    return RunResult(batch_report, json_path, md_path, store.path)


def _batch_id() -> str:
    """Sortable and unique: UTC time, then random bits."""
    return "b" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(3)


def _judge_with(llm: LLM, failures: list[str]) -> compare.Judge:
    """The LLM judge for two text claims; a failed call is recorded and judged 'no finding'."""
    prompt = load_prompt("judge")

    def judge(a: GroundedClaim, b: GroundedClaim) -> JudgeVerdict | None:
        variables: dict[str, str] = {}
        for side, claim in (("a", a), ("b", b)):
            variables |= {
                f"doc_{side}": claim.document, f"subject_{side}": claim.subject,
                f"attribute_{side}": claim.attribute, f"value_{side}": claim.value,
                f"conditions_{side}": ", ".join(claim.conditions) or "none stated",
                f"asserted_{side}": claim.asserted_by or "the author", f"quote_{side}": claim.quote,
            }
        try:
            return llm.structured(prompt, variables, JudgeVerdict)
        except LLMError as exc:
            failures.append(f"judge {a.id} vs {b.id}: {exc}")
            return None

    return judge
