"""`verifier worker`: processes, on any machine that reaches the database and the model endpoint,
that take batches submitted over HTTP from the store and run them together.

A worker loops over three kinds of work, all claimed in the database:

- **a slice** of a prepared batch (a run of documents): claimed with a row lock that skips what
  another worker holds, extracted and committed document by document, each commit made only
  while the worker still holds the slice;
- **preparing a job** (a queued one): its documents read, syndicated copies marked, the batch
  begun and cut into slices of `slice_size` documents;
- **finishing a job** (every slice committed): time, alignment, comparison and the report, run
  once, by whichever worker claims that step.

What a worker holds has a lease on the database's clock, renewed by a heartbeat thread. A worker
killed at any moment (SIGKILL) stops renewing: once the lease lapses another worker takes the
slice and finishes it from what was committed; answered calls come from the answer cache (in the
database with PostgreSQL), so none is paid for twice. A worker whose lease lapsed while it was
alive (paused, cut off) commits nothing more: its next commit finds the slice is not its own.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from . import pipeline, report
from .keys import KeyMaker
from .llm import LLM, Calls, LLMSettings
from .models import SkippedFile, Usage
from .service import SubmitOptions
from .store import JobRecord, Jobs, LeaseLost, Store, WorkQueue, default_home, store_errors

SLICE_SIZE = 50  # documents a worker takes at once: small enough to share a batch, large enough to stay busy
LEASE_SECONDS = 30.0


@dataclass
class WorkerOptions:
    """How a worker runs: its data folder, its model endpoint, and its pace."""

    home: Path | None = None
    llm: LLMSettings | None = None
    slice_size: int = SLICE_SIZE
    lease_seconds: float = LEASE_SECONDS
    poll_seconds: float = 0.5
    exit_when_idle: bool = False  # stop once no job is queued or running (benchmarks, tests)
    log: Callable[[str], None] = field(default=lambda message: None)


class _Log:
    """The worker's log: one line per event, and a database that went away said once, not by each
    connection (main, heartbeat, answers) that noticed."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self._said_at = 0.0
        self._lock = threading.Lock()

    def __call__(self, message: str) -> None:
        if message.startswith("lost the database connection"):
            with self._lock:
                if time.monotonic() - self._said_at < 30:
                    return
                self._said_at = time.monotonic()
        self.write(message)


class Worker:
    """One worker process's loop; `run()` until stopped (SIGTERM, SIGINT) or, if asked, idle."""

    def __init__(self, options: WorkerOptions) -> None:
        self.options = options
        self.home = options.home or default_home()
        self.log = _Log(options.log)
        self.id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.store = Store.open(self.home, warn=self.log)
        self.queue = WorkQueue(self.store)
        self.stopping = threading.Event()
        self.lost = threading.Event()  # what it holds is no longer its own (lease lapsed, or cancelled)
        self._holding: tuple[str | None, int | None, str] = (None, None, "idle")
        self._hold_lock = threading.Lock()

    # --- the loop ------------------------------------------------------------------------------

    def run(self) -> None:
        self.queue.register(self.id, self.options.lease_seconds)
        self.log(f"worker {self.id} started")
        beat = threading.Thread(target=self._heartbeat, name="verifier-heartbeat", daemon=True)
        beat.start()
        try:
            while not self.stopping.is_set():
                try:
                    if self.step():
                        continue
                except store_errors() as exc:  # the database went away for longer than a reconnect waits
                    self.log(f"the store cannot be used ({one_line(exc)}); trying again")
                    self.stopping.wait(5.0)
                    continue
                if self.options.exit_when_idle and self._idle():
                    break
                self.stopping.wait(self.options.poll_seconds)
        finally:
            self.stopping.set()
            beat.join(timeout=5)
            self.queue.stopped(self.id)
            self.store.close()
            self.log(f"worker {self.id} stopped")

    def stop(self, signum: int = 0, frame: FrameType | None = None) -> None:
        """Stop after the current document: the slice is given back, nothing half-done is stored."""
        self.stopping.set()
        self.lost.set()

    def step(self) -> bool:
        """Do one piece of work if there is one; False when there was none."""
        self.lost.clear()
        taken = self.queue.claim_slice(self.id, self.options.lease_seconds)
        if taken is not None:
            self._guarded(taken[0], lambda: self._slice(*taken), slice_n=taken[1])
            return True
        for job_id in self.queue.end_abandoned_cancels(_now()):
            self.log(f"job {job_id} cancelled (the worker that ran it stopped before it could)")
        claimed = self.queue.claim_job(self.id, self.options.lease_seconds)
        if claimed is not None:
            job, step = claimed
            self._guarded(job, lambda: self._prepare(job) if step == "prepare" else self._finish(job))
            return True
        return False

    def _idle(self) -> bool:
        jobs = Jobs(self.store)
        return not jobs.unfinished()

    def _guarded(self, job: JobRecord, work: Callable[[], None], slice_n: int | None = None) -> None:
        """Run one piece of work (slice `slice_n`, or the job's whole step); a lost lease abandons it, a
        cancel ends the job, a failure fails it."""
        try:
            work()
        except LeaseLost as exc:
            self.log(f"{exc}; left to the worker that holds it")
        except pipeline.Cancelled:
            self._end_cancelled(job)
        except Exception as exc:
            if isinstance(exc, store_errors()) and not isinstance(exc, OSError):
                raise  # the store itself is gone: this worker cannot go on
            self._fail(job, exc, slice_n)
        finally:
            self._hold(None, None, "idle")
            with contextlib.suppress(*store_errors()):
                self.queue.holds(self.id, None, None, "idle")
        if self.lost.is_set() and not self.stopping.is_set() and self.queue.cancel_requested(job.id):
            self._end_cancelled(job)

    def _fail(self, job: JobRecord, exc: Exception, slice_n: int | None) -> None:
        """Fail the job, only while this worker still holds what failed: one whose lease lapsed (another
        worker took the step over, or has even finished the job) leaves the job to that worker."""
        try:
            self.queue.end_job(job.id, self.id, "failed", slice_n=slice_n, error=one_line(exc), finished=_now())
        except LeaseLost as lost:
            self.log(f"{lost}; not failed by this worker ({one_line(exc)})")
            return
        self.log(f"job {job.id} failed: {one_line(exc)}")

    def _end_cancelled(self, job: JobRecord) -> None:
        row = Jobs(self.store).get(job.id)
        if row is not None and row.status in ("queued", "running"):
            self.queue.end_job(job.id, None, "cancelled", finished=_now())
            self.log(f"job {job.id} cancelled")

    # --- the heartbeat ---------------------------------------------------------------------------

    def _hold(self, job_id: str | None, slice_n: int | None, state: str) -> None:
        with self._hold_lock:
            self._holding = (job_id, slice_n, state)

    def _heartbeat(self) -> None:
        """Renew the lease of what the worker holds, and hear a cancel, every third of a lease.
        Its own connection: a long commit on the main one never delays a beat."""
        beats = Store.open(self.home, warn=self.log)
        queue = WorkQueue(beats)
        try:
            while not self.stopping.wait(self.options.lease_seconds / 3):
                try:
                    self._beat(queue)
                except store_errors() as exc:
                    self.log(f"heartbeat failed: {one_line(exc)}")
        finally:
            beats.close()

    def _beat(self, queue: WorkQueue) -> None:
        """One beat. What it renewed may be behind the main thread (a slice marked done, the next one
        taken since it read `_holding`): a lease it finds lost, or a cancel, stops the work only if the
        worker still holds what the beat was about, else the next slice would be given back for nothing."""
        with self._hold_lock:
            holding = self._holding
        job_id, slice_n, state = holding
        renewed = queue.beat(self.id, self.options.lease_seconds, job_id, slice_n, state)
        if renewed and not (job_id is not None and queue.cancel_requested(job_id)):
            return
        with self._hold_lock:  # the main thread moves on (`_hold`) only after this
            if self._holding[:2] == holding[:2]:
                self.lost.set()

    # --- the three kinds of work -----------------------------------------------------------------

    def _prepare(self, job: JobRecord) -> None:
        """Read a job's documents, mark copies, begin its batch and cut it into slices."""
        self._hold(job.id, None, "preparing")
        options = self._run_options(job)
        documents, skipped = pipeline.read_documents(options)
        aligner, prompt_hashes, model = pipeline.plan(options)
        batch_id = job.batch_id or pipeline.new_batch_id()
        if self.store.batch(batch_id) is None:
            settings = pipeline.settings_of(options, model, prompt_hashes, aligner)
            self.store.begin_batch(batch_id, _now(), options.backend, model, job.paths, settings, prompt_hashes)
        Jobs(self.store).update(job.id, progress={"total": len(documents), "done": 0,
                                                  "skipped": [s.model_dump() for s in skipped]})
        self.queue.plan(job.id, self.id, batch_id, documents, self.options.slice_size)
        slices = -(-len(documents) // self.options.slice_size)
        self.log(f"job {job.id}: batch {batch_id}, {len(documents)} documents in {slices} slice(s)")

    def _slice(self, job: JobRecord, n: int, first: int, last: int) -> None:
        """Extract and commit one slice's documents; those committed before (by a worker that died)
        are skipped, and answers it was given come from the cache. A failure keeps the slice held: the
        job is failed by its holder (`_fail`); a store gone away lets its lease lapse, as a kill does."""
        self._hold(job.id, n, "extracting")
        assert job.batch_id is not None
        options = self._run_options(job)
        documents = self.queue.planned(job.id, first, last)
        done = self.store.done_documents(job.batch_id)
        todo = [d for d in documents if done.get(d.id) != d.sha256]
        self.log(f"job {job.id}: slice {n} (documents {first}-{last - 1}), {len(todo)} to do")
        llm = pipeline.open_llm(options, self.home) if options.backend == "llm" else None
        _, prompt_hashes, _ = pipeline.plan(options)
        try:
            committer = pipeline.Committer(
                self.store, job.batch_id, options, KeyMaker.from_file(None), prompt_hashes.get("extract"),
                replace=set(done), usage=lambda: _usage_of(llm), holder=(job.id, n, self.id))
            pipeline.commit_documents(committer, todo, Calls(llm) if llm is not None else None)
            if self.lost.is_set():
                self._give_back(job, n)
                return
            self.queue.slice_done(job.id, n, self.id, _usage_of(llm).model_dump_json())
        finally:
            if llm is not None:
                llm.close()

    def _give_back(self, job: JobRecord, n: int) -> None:
        """Stopped mid-slice (SIGTERM, a cancel, a lapsed lease): what was committed stays; the rest
        goes back to waiting, for this or another worker."""
        self.queue.release_slice(job.id, n, self.id)
        self.log(f"job {job.id}: slice {n} given back")

    def _finish(self, job: JobRecord) -> None:
        """Time, alignment, comparison and the report of a job whose slices are all committed."""
        self._hold(job.id, None, "finishing")
        assert job.batch_id is not None
        options = self._run_options(job)
        aligner, prompt_hashes, model = pipeline.plan(options)
        documents = self.queue.planned(job.id)
        llm = pipeline.open_llm(options, self.home) if options.backend == "llm" else None
        started = time.monotonic()
        stages = pipeline.Stages(llm)
        try:
            stages.mark("extract")  # the slices' calls are counted in their own usage
            checked = pipeline.cross_check_batch(self.store, job.batch_id, documents, options,
                                                 KeyMaker.from_file(None), llm, Calls(llm) if llm else None,
                                                 aligner, stages)
        finally:
            if llm is not None:
                llm.close()
        usage = _total_usage(self.queue.slice_usages(job.id), llm, stages, time.monotonic() - started,
                             checked.failed_chunks)
        skipped = [SkippedFile.model_validate(s) for s in job.progress.get("skipped", [])]
        batch_report = pipeline.build_report(self.store, job.batch_id, options, model, prompt_hashes, checked, [],
                                             skipped, usage, aligner)
        json_path, md_path = report.write_report(batch_report, options.out_dir)
        for path in (json_path, md_path):
            self.store.keep_report(job.id, path.name, path.read_text(encoding="utf-8"), holder=self.id)
        self.store.finish_batch(batch_report, str(options.out_dir), holder=(job.id, self.id))
        progress = {"done": len(documents), "total": len(documents), "calls": usage.llm_calls,
                    "tokens": usage.total_tokens, "cost_usd": usage.cost_usd,
                    "contradictions": len(batch_report.contradictions)}
        self.queue.end_job(job.id, self.id, "done", batch_id=job.batch_id, finished=_now(), progress=progress)
        self.log(f"job {job.id}: done, {len(batch_report.contradictions)} contradiction(s)")

    # --- a job's options, as this worker runs them -------------------------------------------------

    def _run_options(self, job: JobRecord) -> pipeline.RunOptions:
        submitted = SubmitOptions.model_validate({k: v for k, v in job.options.items() if k != "names"})
        has_endpoint = bool(self.options.llm and (self.options.llm.base_url or self.options.llm.api_key))
        backend = submitted.backend or ("llm" if has_endpoint or submitted.base_url else "rules")
        settings = None
        if backend == "llm":
            settings = LLMSettings(**vars(self.options.llm)) if self.options.llm else LLMSettings()
            if submitted.model:
                settings.model = submitted.model
            if submitted.base_url:
                settings.base_url = submitted.base_url
        return pipeline.RunOptions(
            paths=[str(self._local(p)) for p in job.paths], out_dir=self.home / "jobs" / job.id, backend=backend,
            llm=settings, home=self.home, concurrency=submitted.concurrency, cancelled=self.lost.is_set,
            warn=lambda message: None,
        )

    def _local(self, stored: str) -> Path:
        """An uploaded file where this worker can read it: as stored when this machine has it, else
        written from the database under this worker's data folder (uploads/<sha256>/<name>)."""
        path = Path(stored)
        if path.exists():
            return path
        digest, name = path.parent.name, path.name
        local = self.home / "uploads" / digest / name
        if not local.exists():
            data = self.store.upload(digest)
            if data is None:
                return path  # not an upload: ingest names it as missing
            local.parent.mkdir(parents=True, exist_ok=True)
            partial = local.with_name(local.name + ".part")
            partial.write_bytes(data)
            partial.replace(local)
        return local


def _usage_of(llm: LLM | None) -> Usage:
    """This process's calls and tokens for one piece of work."""
    if llm is None:
        return Usage()
    u = llm.usage
    return Usage(llm_calls=u.calls, cache_hits=u.cache_hits, prompt_tokens=u.prompt_tokens,
                 completion_tokens=u.completion_tokens, total_tokens=u.prompt_tokens + u.completion_tokens)


def _total_usage(slices: list[dict[str, Any]], llm: LLM | None, stages: pipeline.Stages, seconds: float,
                 failed_chunks: int) -> Usage:
    """A sliced batch's usage: its slices' and its finisher's, added up."""
    total = _usage_of(llm)
    extract_calls = 0
    for raw in slices:
        part = Usage.model_validate(raw) if raw else Usage()
        total.llm_calls += part.llm_calls
        total.cache_hits += part.cache_hits
        total.prompt_tokens += part.prompt_tokens
        total.completion_tokens += part.completion_tokens
        extract_calls += part.llm_calls
    total.total_tokens = total.prompt_tokens + total.completion_tokens
    total.failed_chunks = failed_chunks
    total.seconds = round(seconds, 3)
    total.calls_by_stage = {**stages.calls, "extract": extract_calls}
    return total


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_worker(options: WorkerOptions) -> None:
    """Run a worker in this process until SIGTERM or SIGINT (or idle, when asked)."""
    worker = Worker(options)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()
