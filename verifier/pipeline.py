"""One batch, end to end: ingest → extract → ground → time → align → compare → store and report.

`run_batch` is what `verifier run` calls; tests and other programs call it directly.
Data flows one way through the stages; only `llm` reaches the network and only
`store` touches SQLite.

A batch survives being killed: it is recorded as running before any work, each
document is committed with its claims in one transaction as soon as it is done, and
every finished LLM call is in the cache. Started again with the same command (or
`--resume BATCH`), it skips the committed documents, and the calls of the others come
from the cache, so nothing completed is paid for twice.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from . import align, collector, compare, copies, extract, framing, ground, ingest, pairing, report
from .budget import Budget
from .embed import Embedder, EndpointEmbedder, FallbackEmbedder, default_embedder
from .findings import Findings
from .keys import KeyMaker
from .llm import LLM, Calls, LLMSettings, load_prompt
from .locks import BatchLock, batch_key
from .models import (
    CandidateClaim,
    Counts,
    Document,
    Report,
    ReportDocument,
    SkippedFile,
    Usage,
)
from .progress import Progress, silent
from .store import Store, database_url, default_home, lineage_of, shared_database

Backend = Literal["llm", "rules"]
Aligner = Literal["code", "llm"]
LLM_PROMPTS = ("extract", "entities", "questions", "judge")


class RunError(Exception):
    """A run cannot start as asked (a batch to resume that does not exist or is finished)."""


@dataclass
class RunOptions:
    """Everything `verifier run` can be told."""

    paths: list[str]
    out_dir: Path = Path("verifier-out")
    backend: Backend = "rules"
    aligner: Aligner | None = None  # default: the LLM when the backend is llm, else code
    embed_model: str | None = None  # an endpoint's embeddings model; default: wordllama, offline
    llm: LLMSettings | None = None
    concurrency: int = 4
    chunk_tokens: int = extract.DEFAULT_CHUNK_TOKENS
    use_cache: bool = True
    home: Path | None = None
    aliases: Path | None = None
    resume: str | None = None
    max_cost: float | None = None
    prices: Path | None = None
    max_document_bytes: int = ingest.MAX_DOCUMENT_BYTES
    max_claims: int = extract.MAX_CLAIMS_PER_DOCUMENT  # per document; the rest of it is named, not read
    max_document_seconds: float = extract.MAX_SECONDS_PER_DOCUMENT  # the rules' reading of one document
    cancelled: Callable[[], bool] | None = None  # asked between documents and chunks; True stops the run unfinished
    wait: bool = False  # for another process running the same batch, instead of refusing
    warn: Callable[[str], None] = field(default=lambda message: None)
    progress: Progress = field(default_factory=silent)


@dataclass
class RunResult:
    report: Report
    json_path: Path
    md_path: Path
    database: Path | str


def run_batch(options: RunOptions) -> RunResult:
    """Verify one batch of documents (or finish an interrupted one) and store and write its report.

    What can be checked before any work is: the options, the report folder, the database
    and the batch lock; a mistake there costs nothing and changes nothing.
    """
    started = time.monotonic()
    home = options.home or default_home()
    aligner, prompt_hashes, model = plan(options)
    report.check_out_dir(options.out_dir)
    store = Store.open(home)
    try:
        inputs = [str(p) for p in options.paths]
        settings = settings_of(options, model, prompt_hashes, aligner)
        lock = BatchLock(home, _lock_key(store, options, inputs, settings))
        lock.acquire(options.wait, on_wait=lambda pid: options.warn(
            f"waiting for process {pid or '(unknown pid)'}, which is running this batch"))
        try:
            with collector.sparing():
                return _run_locked(options, home, store, started, inputs, settings, aligner, prompt_hashes, model)
        finally:
            lock.release()
    finally:
        store.close()


def plan(options: RunOptions) -> tuple[Aligner, dict[str, str], str | None]:
    """The aligner, prompt hashes and model a run will use, refusing combinations that cannot work."""
    uses_llm = options.backend == "llm"
    aligner: Aligner = options.aligner or ("llm" if uses_llm else "code")
    if aligner == "llm" and not uses_llm:
        raise RunError("--align llm needs the llm backend and an endpoint")
    if options.embed_model and not uses_llm:
        raise RunError("--embed-model needs the llm backend and an endpoint")
    prompt_hashes = {name: load_prompt(name).hash for name in LLM_PROMPTS
                     if uses_llm and (aligner == "llm" or name not in ("entities", "questions"))}
    model = (options.llm or LLMSettings()).model if uses_llm else None
    return aligner, prompt_hashes, model


def settings_of(options: RunOptions, model: str | None, prompt_hashes: dict[str, str],
                aligner: Aligner) -> dict[str, object]:
    """What makes two runs of the same inputs the same batch (a run resumes the batch they match)."""
    return {"backend": options.backend, "model": model, "chunk_tokens": options.chunk_tokens,
            "prompts": prompt_hashes, "aligner": aligner}


def carry_key(options: RunOptions, settings: dict[str, object]) -> str | None:
    """What an earlier batch's stored claims must have been made under for a run to carry them
    forward instead of extracting again: the settings, this code, the aliases and the claim cap.

    Only the llm backend with its cache: there the answers are the cache's and every claim follows
    from them by code; the rules' reading is bounded by seconds, and `--no-cache` asks anew.
    """
    if options.backend != "llm" or not options.use_cache:
        return None
    aliases = hashlib.sha256(options.aliases.read_bytes()).hexdigest() if options.aliases else None
    material = {"settings": settings, "code": code_digest(), "aliases": aliases, "max_claims": options.max_claims,
                "rapidfuzz": importlib.metadata.version("rapidfuzz")}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:16]


@functools.cache
def code_digest() -> str:
    """The verifier package's source: claims and frames stored by other code are not carried."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def new_batch_id() -> str:
    return "b" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(3)


def _lock_key(store: Store, options: RunOptions, inputs: list[str], settings: dict[str, object]) -> str:
    """The key of the batch this run would resume: the one asked for, else its inputs and settings."""
    found = store.batch(options.resume) if options.resume else None
    if found is not None:
        return batch_key(found.lineage, found.settings_key)
    return batch_key(lineage_of(inputs), json.dumps(settings, sort_keys=True))


def _run_locked(options: RunOptions, home: Path, store: Store, started: float, inputs: list[str],
                settings: dict[str, object], aligner: Aligner, prompt_hashes: dict[str, str],
                model: str | None) -> RunResult:
    """The batch itself, with the store open and the batch's lock held."""
    keys = KeyMaker.from_file(options.aliases)
    ahead = framing.Ahead()
    documents, skipped = read_documents(options, ahead)
    collector.spare()
    llm = open_llm(options, home) if options.backend == "llm" else None
    budget = Budget.for_run(options.max_cost, model, options.prices, llm.usage if llm else None,
                            options.chunk_tokens)
    calls = Calls(llm, budget.gate if budget is not None else None) if llm is not None else None
    batch_id = _batch_to_run(store, options, inputs, settings, prompt_hashes)
    earlier_usage = store.stored_usage(batch_id)
    done = store.done_documents(batch_id)
    todo = [d for d in documents if done.get(d.id) != d.sha256]
    carry = carry_key(options, settings)
    store.note_carry(batch_id, carry)
    if carry is not None:
        carried = store.carry_forward(batch_id, carry, [d for d in todo if d.id not in done])
        ahead.stored(carried)
        todo = [d for d in todo if d.id not in carried]
    if done and len(todo) < len(documents):
        options.warn(f"resuming batch {batch_id}: {len(documents) - len(todo)} of {len(documents)} documents "
                     "already done")
    if budget is not None and todo:
        options.warn(budget.announce(todo))
    options.progress.start(total=len(documents), done=len(documents) - len(todo))
    stages = Stages(llm)
    try:
        unprocessed = commit_documents(
            Committer(store, batch_id, options, keys, prompt_hashes.get("extract"), replace=set(done),
                      usage=lambda: _usage(llm, earlier_usage, started, budget=budget), budget=budget,
                      ahead=ahead),
            todo, calls)
        if options.cancelled is not None and options.cancelled():
            raise Cancelled(batch_id, len(documents) - len(unprocessed))
        if unprocessed:
            options.warn(f"stopped before the budget of ${options.max_cost:.2f} ran out; "
                         f"{len(unprocessed)} document(s) not processed (see the report)")
        whole = [d for d in documents if d not in unprocessed]
        # pairing asks whom a document names anywhere in it: read before the texts are cut to their heads
        words = pairing.vocabulary(whole) if not _groups_by_llm(calls, aligner) else None
        processed = ahead.headed(whole)
        documents = todo = whole = []  # their texts are committed; from here on only the heads are held
        checked = cross_check_batch(store, batch_id, processed, options, keys, llm, calls, aligner, stages, ahead,
                                    words)
    finally:
        options.progress.stop()
        if llm is not None:
            llm.close()
    usage = _usage(llm, earlier_usage, started, failed_chunks=checked.failed_chunks, budget=budget)
    usage.calls_by_stage = stages.add_to(earlier_usage)
    batch_report = build_report(store, batch_id, options, model, prompt_hashes, checked, unprocessed, skipped,
                                usage, aligner)
    collector.spare()
    json_path, md_path = report.write_report(batch_report, options.out_dir)
    store.finish_batch(batch_report, str(options.out_dir))
    return RunResult(batch_report, json_path, md_path, store.path)


def read_documents(options: RunOptions, ahead: framing.Ahead | None = None) -> tuple[list[Document], list[SkippedFile]]:
    """The readable documents of the inputs, syndicated copies marked; each skipped file said in one line.
    `ahead` is given the dates each document gives for itself, read here to date it."""
    ingested = ingest.ingest(options.paths, options.max_document_bytes)
    if ahead is not None:
        ahead.known(ingested.readings)
    for skipped in ingested.skipped:
        options.warn(f"skipped {skipped.path}: {skipped.reason}")
    for note in ingested.notes:
        options.warn(note)
    if not ingested.documents:
        raise ingest.IngestError("no document could be read from " + ", ".join(options.paths))
    return copies.mark_copies(ingested.documents), ingested.skipped


SPARE_EVERY = 50  # documents committed between two freezes of what lives on (collector.spare)


@dataclass
class Committer:
    """How each extracted document is grounded and committed: one transaction per document.

    `holder` (job, slice, worker) makes a worker's commit depend on its still holding the slice.
    """

    store: Store
    batch_id: str
    options: RunOptions
    keys: KeyMaker
    prompt_hash: str | None
    replace: set[str]
    usage: Callable[[], Usage]
    budget: Budget | None = None
    holder: tuple[str, int, str] | None = None
    ahead: framing.Ahead | None = None  # claims' times read here, while the calls of others are in flight
    committed: int = 0

    def __call__(self, doc: Document, candidates: list[CandidateClaim], failures: list[str]) -> None:
        grounded = ground.ground([doc], candidates, self.keys, words=self.options.backend == "rules")
        if self.ahead is not None:
            self.ahead.add(doc, grounded.claims)
        if self.budget is not None:
            self.budget.settle(doc)
        usage = self.usage()
        self.store.save_document(self.batch_id, doc, grounded.claims, grounded.dropped, failures,
                                 self.options.backend, self.prompt_hash,
                                 None if self.holder else usage.model_dump_json(), replace=doc.id in self.replace,
                                 holder=self.holder)
        self.options.progress.document_done(usage)
        self.committed += 1
        if self.committed % SPARE_EVERY == 0:
            collector.spare()  # what the time stage read ahead lives till the report


def commit_documents(committer: Committer, todo: list[Document], calls: Calls | None) -> list[Document]:
    """Extract `todo` and commit each document as soon as it is done; the documents not started
    (the budget, a cancel) are returned."""
    options = committer.options
    return extract.extract_documents(
        todo, keys=committer.keys, on_document=committer, calls=calls, chunk_tokens=options.chunk_tokens,
        concurrency=options.concurrency, admit=_admission(options, committer.budget),
        bounds=extract.Bounds(options.max_claims, options.max_document_seconds, options.cancelled),
    )


@dataclass
class Checked:
    """What the stages after extraction found, for the report."""

    documents: list[Document]
    alignment: align.Alignment
    findings: Findings
    dropped: int
    failures: list[str]
    notes: list[str]
    failed_chunks: int


def _groups_by_llm(calls: Calls | None, aligner: Aligner) -> bool:
    """Whether alignment groups claims with the LLM; without it, code pairs figures across entities."""
    return calls is not None and aligner == "llm"


def cross_check_batch(store: Store, batch_id: str, processed: list[Document], options: RunOptions,
                      keys: KeyMaker, llm: LLM | None, calls: Calls | None, aligner: Aligner,
                      stages: Stages, ahead: framing.Ahead | None = None,
                      words: Mapping[str, frozenset[str]] | None = None) -> Checked:
    """Time, alignment and comparison over the committed claims of `processed`: the same for a run in
    one process and for the worker that finishes a sliced batch (`ahead`: what the commits read)."""
    ids = [d.id for d in processed]
    dropped, failures = store.extraction_losses(batch_id, ids)
    failed_chunks = len(failures)  # alignment and judge failures follow in `failures`; they are not chunks
    stages.mark("extract")
    # the claims are framed as they are read from the store: the batch's claims are held once, framed
    framed = framing.frame(processed, store.claims_of(batch_id, ids), ahead)
    if ahead is not None:
        ahead.release()
    collector.spare()
    embedder_notes: list[str] = []
    grouper = align.Grouper(calls.entities, calls.questions) if calls is not None and aligner == "llm" else None
    alignment = align.align(framed.claims, keys, embedder=_embedder(options, llm, embedder_notes, calls),
                            grouper=grouper, concurrency=options.concurrency, judged=calls is not None,
                            words=(words if words is not None else pairing.vocabulary(processed))
                            if grouper is None else None)
    for note in alignment.notes:
        options.warn(note)
    stages.mark("align")
    collector.spare()
    findings = compare.cross_check(framed.documents, alignment, calls.judge if calls else None,
                                   options.concurrency, independent=copies.independence(processed))
    stages.mark("judge")
    failures += embedder_notes + alignment.failures + findings.failures
    return Checked(framed.documents, alignment, findings, dropped, failures,
                   framed.notes + alignment.notes + findings.notes, failed_chunks)


class Cancelled(Exception):
    """The run was told to stop: what was done is stored, and the batch stays unfinished (resumable)."""

    def __init__(self, batch_id: str, documents_done: int) -> None:
        super().__init__(f"batch {batch_id} cancelled after {documents_done} document(s)")
        self.batch_id = batch_id
        self.documents_done = documents_done


def _admission(options: RunOptions, budget: Budget | None) -> Callable[[Document], bool] | None:
    """Asked before each document: not when the run is cancelled, nor past the budget."""
    cancelled = options.cancelled
    if cancelled is None:
        return budget.admit if budget else None
    return lambda doc: not cancelled() and (budget is None or budget.admit(doc))


def open_llm(options: RunOptions, home: Path) -> LLM:
    """The model client, with its answer cache: in the database when the database is a server every
    worker reaches (PostgreSQL), else on disk under the data folder."""
    settings = options.llm or LLMSettings()
    if options.use_cache and settings.cache_dir is None and settings.answers_url is None:
        url = database_url() if shared_database() else None
        settings.answers_url = url
        settings.cache_dir = None if url else home / "cache"
    if not options.use_cache:
        settings.cache_dir = settings.answers_url = None
    return LLM(settings, warn=options.warn)


def _batch_to_run(store: Store, options: RunOptions, inputs: list[str], settings: dict[str, object],
                  prompt_hashes: dict[str, str]) -> str:
    """The batch asked to resume, an unfinished run of the same inputs and settings, or a new one."""
    if options.resume:
        found = store.batch(options.resume)
        if found is None:
            raise RunError(f"no batch {options.resume!r} to resume")
        if found.status == "done":
            raise RunError(f"batch {options.resume} is already finished")
        return options.resume
    unfinished = store.unfinished_batch(inputs, settings)
    if unfinished:
        return unfinished
    batch_id = new_batch_id()
    store.begin_batch(batch_id, datetime.now(UTC).isoformat(timespec="seconds"), options.backend,
                      str(settings["model"]) if settings["model"] else None, inputs, settings, prompt_hashes)
    return batch_id


class Stages:
    """LLM calls made per stage of this run (cache hits are not calls)."""

    def __init__(self, llm: LLM | None) -> None:
        self.llm = llm
        self.calls: dict[str, int] = {}
        self._before = 0

    def mark(self, stage: str) -> None:
        """The stage just ended: its calls are those since the previous mark (extraction: since the start)."""
        now = self.llm.usage.calls if self.llm is not None else 0
        self.calls[stage] = now - self._before
        self._before = now

    def add_to(self, earlier: dict[str, object]) -> dict[str, int]:
        """This run's calls per stage added to what earlier runs of the same batch made."""
        before = earlier.get("calls_by_stage") if isinstance(earlier, dict) else None
        total = {k: int(v) for k, v in before.items()} if isinstance(before, dict) else {}
        for stage, n in self.calls.items():
            total[stage] = total.get(stage, 0) + n
        return total


def _embedder(options: RunOptions, llm: LLM | None, notes: list[str], calls: Calls | None) -> Embedder | None:
    """An endpoint's embeddings model when asked for (the offline one if it fails or the budget
    refuses it), else the offline one."""
    if options.embed_model and llm is not None:
        model = options.embed_model
        endpoint = EndpointEmbedder(model, lambda texts: llm.embed(model, texts))
        return FallbackEmbedder(endpoint, default_embedder(), notes, calls.gate if calls else None)
    return default_embedder()


def _usage(llm: LLM | None, earlier: dict[str, object], started: float, failed_chunks: int = 0,
           budget: Budget | None = None) -> Usage:
    """This run's usage added to what earlier runs of the same batch spent."""
    base = Usage.model_validate(earlier) if earlier else Usage()
    usage = Usage(
        llm_calls=base.llm_calls, cache_hits=base.cache_hits, prompt_tokens=base.prompt_tokens,
        completion_tokens=base.completion_tokens, failed_chunks=failed_chunks,
        seconds=round(time.monotonic() - started, 3), cost_usd=base.cost_usd,
    )
    if llm is not None:
        u = llm.usage
        usage.llm_calls += u.calls
        usage.cache_hits += u.cache_hits
        usage.prompt_tokens += u.prompt_tokens
        usage.completion_tokens += u.completion_tokens
        if budget is not None:
            usage.cost_usd = round((base.cost_usd or 0.0) + budget.spent(), 6)
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens
    return usage


def build_report(
    store: Store, batch_id: str, options: RunOptions, model: str | None, prompt_hashes: dict[str, str],
    checked: Checked, unprocessed: list[Document], skipped: list[SkippedFile], usage: Usage, aligner: Aligner,
) -> Report:
    found = store.batch(batch_id)
    alignment, findings = checked.alignment, checked.findings
    claims = alignment.claims
    processed = checked.documents
    return Report(
        batch=batch_id,
        created=found.created if found else datetime.now(UTC).isoformat(timespec="seconds"),
        backend=options.backend,
        aligner=aligner,
        model=model,
        prompt_hashes=prompt_hashes,
        documents=[ReportDocument(**d.model_dump(exclude={"text"})) for d in processed],
        unprocessed=[d.id for d in unprocessed],
        skipped=skipped,
        claims=claims,
        entities=alignment.entities,
        questions=alignment.questions,
        contradictions=findings.contradictions,
        explained=findings.explained,
        timelines=findings.timelines,
        corroborations=findings.corroborations,
        single_source=findings.single_source,
        failures=checked.failures,
        notes=checked.notes,
        counts=Counts(
            documents=len(processed), skipped_files=len(skipped), claims=len(claims),
            ungrounded_dropped=checked.dropped,
            candidate_pairs=findings.candidate_pairs, contradictions=len(findings.contradictions),
            corroborations=len(findings.corroborations), single_source=len(findings.single_source),
            entities=len(alignment.entities), questions=len(alignment.questions),
            questions_compared=findings.questions_compared, judge_groups=findings.judge_groups,
            judge_calls=findings.judge_calls, safety_net=alignment.safety_net, paired=alignment.paired,
            explained=len(findings.explained), timelines=len(findings.timelines),
        ),
        usage=usage,
    )
