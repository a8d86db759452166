"""Batches over HTTP: documents submitted to one running instance, verified in the background.

A submitted batch is a *job*: its uploads are stored under `VERIFIER_HOME/uploads` by content
hash (a client never chooses a path on the server), its options and progress are rows in the
store, and a bounded pool of worker threads runs it with the same code path as `verifier run`
(resume, cache, budget). A server killed mid-batch runs its unfinished jobs again on the next
start; the pipeline skips the documents already committed and the cache answers calls already
made, so no call is repeated. All clients of one server share one store and so one review queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import secrets
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from dataclasses import replace as replaced
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from . import pipeline
from .ingest import SUPPORTED
from .llm import LLMError, LLMSettings
from .models import Usage
from .store import JobRecord, Jobs, SliceCounts, Store, WorkerRecord, WorkQueue, default_home, store_errors

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"done", "failed", "cancelled"})


class Refused(Exception):
    """A submission the server will not take; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """What one submission may hold. Defaults a newsroom would not hit by accident."""

    max_files: int = 500
    max_file_bytes: int = 20 * 1024 * 1024
    max_batch_bytes: int = 200 * 1024 * 1024
    types: frozenset[str] = frozenset(SUPPORTED)
    max_streams: int = 512  # open event streams in all: each is a socket, and a process has ~1,024 by default
    max_streams_per_client: int = 128  # from one address (behind a proxy, every client is the proxy's)


@dataclass(frozen=True)
class Upload:
    """One uploaded document: the name the client gave (shown, never used as a path) and its bytes."""

    name: str
    data: bytes


class SubmitOptions(BaseModel):
    """The run options a client may set; the endpoint is the server's unless the operator allows otherwise."""

    backend: Literal["llm", "rules"] | None = Field(None, description="default: llm when the server has an endpoint")
    model: str | None = None
    concurrency: int = Field(4, ge=1, le=64)
    max_cost: float | None = Field(None, ge=0, description="US dollars; the batch stops cleanly before passing it")
    base_url: str | None = Field(None, description="only when the server runs with --allow-client-endpoints")


class JobStatus(BaseModel):
    """Where a submitted batch stands."""

    id: str
    status: JobState
    created: str
    finished: str | None = None
    batch: str | None = Field(None, description="the stored batch, whose flags are in the review queue")
    documents: list[str] = Field(default_factory=list, description="the names the documents were submitted under")
    documents_done: int = 0
    documents_total: int = 0
    calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    eta_seconds: float | None = None
    contradictions: int | None = None
    error: str | None = None
    url: str
    events_url: str
    report_url: str | None = None
    review_url: str | None = None
    slices: dict[str, int] | None = Field(None, description="a batch run by workers: its slices done, running "
                                                             "and waiting")


LEASE_SECONDS = 30.0  # a job run in this process is held this long past its last heartbeat
POLL_SECONDS = 0.5  # how often the server looks for progress that workers in other processes made


_SAFE_NAME = re.compile(r"[^\w.\- ]+")


def safe_name(name: str) -> str:
    """The last part of a client's file name, in plain characters: shown in reports, never a path.

    A long name is cut in its stem, so it keeps the suffix its type is read from.
    """
    leaf = re.split(r"[\\/]", name)[-1].strip().lstrip(".")
    cleaned = _SAFE_NAME.sub("_", leaf).strip()
    stem, dot, suffix = cleaned.rpartition(".")
    if len(cleaned) > 120:
        cleaned = (stem[:110].strip() + dot + suffix[:9]) if dot and len(suffix) < 10 else cleaned[:120].strip()
    return cleaned or "document.txt"


class BatchService:
    """Jobs, their uploads and the workers that run them, over one `VERIFIER_HOME`."""

    def __init__(self, home: Path | None = None, workers: int = 1, llm: LLMSettings | None = None,
                 limits: Limits | None = None, allow_root: Path | None = None,
                 allow_client_endpoints: bool = False) -> None:
        self.home = home or default_home()
        self.llm = llm
        self.limits = limits or Limits()
        self.allow_root = allow_root.resolve() if allow_root else None
        self.allow_client_endpoints = allow_client_endpoints
        self._pool = ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="verifier-batch")
        self._cancel: dict[str, threading.Event] = {}
        self._live: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.changes = Changes()
        self._snapshots: dict[str, tuple[int, JobStatus]] = {}
        self._running: set[str] = set()  # jobs a worker of this process is running now
        self._ended: set[str] = set()  # jobs this process has ended (done, failed or cancelled)
        self._unsaved: dict[str, dict[str, object]] = {}  # job fields the store refused, to write later
        self._snapshot_lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one flush at a time: writes reach the store in order
        self._started = False
        self.threads = workers  # batches run at once in this process (0: none, `verifier worker`s run them)
        self.worker_id = f"serve:{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._stop = threading.Event()
        self._fingerprints: dict[str, str] = {}
        self._unclaimed: set[str] = set()  # jobs another process held when this one tried to run them

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> list[str]:
        """Queue the jobs a previous server left unfinished; return their ids."""
        if self._started:
            return []
        self._started = True
        with self._jobs() as jobs:
            pending = [row.id for row in jobs.unfinished()] if self.threads else []
        for job_id in pending:
            self._queue(job_id)
        threading.Thread(target=self._watch, name="verifier-watch", daemon=True).start()
        return pending

    def _watch(self) -> None:
        """Renew the leases of the jobs this process runs, and wake the event streams of jobs that
        workers in other processes moved (they cannot bump this process's versions)."""
        renewed = 0.0
        while not self._stop.wait(POLL_SECONDS):
            try:
                with self._jobs() as jobs:
                    if time.monotonic() - renewed > LEASE_SECONDS / 3:
                        jobs.renew(self.worker_id, LEASE_SECONDS)
                        renewed = time.monotonic()
                    self._bump_moved(jobs)
                with self._lock:
                    again, self._unclaimed = self._unclaimed, set()
                for job_id in again:  # its holder may have died since: `_run` claims it once its lease lapsed
                    self._pool.submit(self._run, job_id)
            except store_errors():  # a store that fails is said by the routes; the watch goes on
                continue

    def _bump_moved(self, jobs: Jobs) -> None:
        unfinished = jobs.unfinished()
        counts = jobs.slice_counts([j.id for j in unfinished])
        for job in unfinished:
            fingerprint = f"{job.status}|{job.progress}|{counts.get(job.id)}"
            if self._fingerprints.get(job.id) != fingerprint:
                self._fingerprints[job.id] = fingerprint
                self.changes.bump(job.id)
        for gone in set(self._fingerprints) - {j.id for j in unfinished}:  # ended elsewhere: one last wake
            del self._fingerprints[gone]
            self.changes.bump(gone)

    def close(self) -> None:
        """Stop taking work; running jobs are told to stop and stay resumable."""
        self._stop.set()
        for event in self._cancel.values():
            event.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # --- submitting ---------------------------------------------------------------------------

    def submit(self, uploads: list[Upload], options: SubmitOptions) -> JobStatus:
        """Check a submission against the limits, store its files by content hash, queue it."""
        self._check_options(options)
        self._check_uploads(uploads)
        try:
            paths = [self._store_upload(upload) for upload in uploads]
        except OSError as exc:  # the client learns that storing failed, not where the server stores
            raise Refused(503, f"the server cannot store uploads now: {exc.strerror or type(exc).__name__}") from exc
        return self._add(paths, [u.name for u in uploads], options)

    def submit_paths(self, paths: list[str], options: SubmitOptions) -> JobStatus:
        """Queue files already on the server: only under the operator's --allow-root folder."""
        if self.allow_root is None:
            raise Refused(403, "reading files on the server is off (the operator can allow a folder with --allow-root)")
        if not paths:
            raise Refused(400, "no paths given")
        self._check_options(options)
        resolved: list[str] = []
        for raw in paths:
            path = (self.allow_root / raw).resolve()
            if not path.is_relative_to(self.allow_root):
                raise Refused(403, f"{raw!r} is outside the allowed folder")
            if not path.exists():
                raise Refused(404, f"{raw!r} does not exist under the allowed folder")
            resolved += self._files_under(path, raw) if path.is_dir() else [str(path)]
        if not resolved:
            raise Refused(400, "no files under the paths given")
        return self._add(resolved, [self._shown_path(p) for p in resolved], options)

    def _shown_path(self, path: str) -> str:
        """A server file as a client may see it: relative to the allowed folder the client named it in."""
        assert self.allow_root is not None
        resolved = Path(path)
        return str(resolved.relative_to(self.allow_root)) if resolved.is_relative_to(self.allow_root) else resolved.name

    def _files_under(self, folder: Path, raw: str) -> list[str]:
        """Every file below a named folder, each resolved and checked: a symlink inside the allowed
        folder that points out of it is refused, not read."""
        assert self.allow_root is not None
        files = []
        for parent, dirs, names in os.walk(folder, followlinks=True):
            for name in sorted(names) + [d for d in dirs if Path(parent, d).is_symlink()]:
                target = Path(parent, name).resolve()
                if not target.is_relative_to(self.allow_root):
                    shown = Path(parent, name).relative_to(self.allow_root)
                    raise Refused(403, f"{str(shown)!r} (under {raw!r}) points outside the allowed folder")
                if target.is_file():
                    files.append(str(target))
            dirs[:] = [d for d in sorted(dirs) if Path(parent, d).resolve().is_relative_to(self.allow_root)]
        return sorted(dict.fromkeys(files))

    def _check_options(self, options: SubmitOptions) -> None:
        if options.base_url and not self.allow_client_endpoints:
            raise Refused(403, "this server uses its own LLM endpoint (the operator can allow "
                               "--allow-client-endpoints)")
        backend = options.backend or ("llm" if self._has_endpoint() else "rules")
        if not self.threads:
            if options.max_cost is not None:  # a budget no worker enforces would be a promise broken
                raise Refused(400, "max_cost is not enforced by `verifier worker`s yet; submit without it, "
                                   "or to a server that runs batches itself (--workers 1 or more)")
            return  # run by `verifier worker`s, whose endpoint is their own
        if backend == "llm" and not (self._has_endpoint() or options.base_url):
            raise Refused(400, "the llm backend needs an endpoint and this server has none configured")

    def _has_endpoint(self) -> bool:
        return bool(self.llm and (self.llm.base_url or self.llm.api_key))

    def _check_uploads(self, uploads: list[Upload]) -> None:
        limits = self.limits
        if not uploads:
            raise Refused(400, "no files in the upload (send them in the field 'files')")
        if len(uploads) > limits.max_files:
            raise Refused(413, f"{len(uploads)} files; at most {limits.max_files} per batch")
        total = 0
        for upload in uploads:
            suffix = Path(safe_name(upload.name)).suffix.lower()
            if suffix not in limits.types:
                raise Refused(415, f"{safe_name(upload.name)!r}: type {suffix or '(none)'!r} is not one of "
                                   + ", ".join(sorted(limits.types)))
            if not upload.data:
                raise Refused(400, f"{safe_name(upload.name)!r} is empty")
            if len(upload.data) > limits.max_file_bytes:
                raise Refused(413, f"{safe_name(upload.name)!r} is {len(upload.data):,} bytes; "
                                   f"at most {limits.max_file_bytes:,} per file")
            total += len(upload.data)
        if total > limits.max_batch_bytes:
            raise Refused(413, f"{total:,} bytes in all; at most {limits.max_batch_bytes:,} per batch")

    def _store_upload(self, upload: Upload) -> str:
        """uploads/<sha256>/<name>: the folder by content, the leaf a cleaned copy of the client's name.
        The bytes are kept in the database too, where a worker on another machine reads them."""
        digest = hashlib.sha256(upload.data).hexdigest()
        with self._jobs() as jobs:
            jobs.keep_upload(digest, upload.data)
        folder = self.home / "uploads" / digest
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / safe_name(upload.name)
        if not path.exists():
            partial = path.with_name(path.name + ".part")
            partial.write_bytes(upload.data)
            partial.replace(path)
        return str(path)

    def _add(self, paths: list[str], names: list[str], options: SubmitOptions) -> JobStatus:
        job_id = "j" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(3)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        stored = options.model_dump()
        stored["names"] = names
        with self._jobs() as jobs:
            jobs.add(job_id, created, stored, paths)
        self._queue(job_id)
        return self.status(job_id)

    # --- reading ------------------------------------------------------------------------------

    def status(self, job_id: str) -> JobStatus:
        """A job's state; KeyError when there is no such job."""
        self._flush()
        with self._jobs() as jobs:
            row = jobs.get(job_id)
            slices = jobs.slice_counts([job_id]).get(job_id)
        if row is None:
            raise KeyError(job_id)
        return self._status_of(row, slices)

    def snapshot(self, job_id: str) -> tuple[int, JobStatus]:
        """The job's status and the version of it: every event stream of a job shares one store read
        per change, so a hundred streams woken at once cost one read, not a hundred."""
        with self._snapshot_lock:
            version = self.changes.version(job_id)
            cached = self._snapshots.get(job_id)
            if cached is None or cached[0] != version:
                cached = self._snapshots[job_id] = (version, self.status(job_id))
            return cached

    def all(self) -> list[JobStatus]:
        self._flush()
        with self._jobs() as jobs:
            rows = jobs.all()
            slices = jobs.slice_counts([row.id for row in rows])
        return [self._status_of(row, slices.get(row.id)) for row in rows]

    def workers(self) -> list[WorkerRecord]:
        """The `verifier worker` processes that have used this store, with what each holds."""
        with self._jobs() as jobs:
            return WorkQueue(jobs.store).workers()

    def report_path(self, job_id: str, name: Literal["report.json", "report.md"]) -> Path | None:
        """The finished job's report file (None while it runs); KeyError when there is no such job."""
        status = self.status(job_id)
        path = self._out_dir(job_id) / name
        if status.status != "done":
            return None
        if not path.exists():  # finished by a worker in another process, maybe on another machine
            with self._jobs() as jobs:
                body = jobs.report(job_id, name)
            if body is None:
                return None
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")  # readers never see half
            partial.write_text(body, encoding="utf-8")
            partial.replace(path)
        return path

    def public_report(self, job_id: str, name: Literal["report.json", "report.md"]) -> str | None:
        """The finished job's report as clients see it: each document named as it was submitted,
        never by where the server keeps it (None while it runs; KeyError when there is no such job)."""
        path = self.report_path(job_id, name)
        if path is None:
            return None
        with self._jobs() as jobs:
            row = jobs.get(job_id)
        assert row is not None
        names = _names(row)
        text = path.read_text(encoding="utf-8")
        if name == "report.md":
            return self._public(text, names)
        report = json.loads(text)
        for item in (*report.get("documents", []), *report.get("skipped", [])):
            item["path"] = names.get(item.get("path", ""), safe_name(str(item.get("path", ""))))
        return json.dumps(report, ensure_ascii=False)

    def _public(self, text: str, names: dict[str, str]) -> str:
        """`text` (a report, an error) with each stored document named as it was submitted, and the
        server's own folders never shown."""
        for stored, shown in sorted(names.items(), key=lambda item: -len(item[0])):
            text = text.replace(stored, shown)
        for folder, shown in ((self.home, "$VERIFIER_HOME"), (self.allow_root, "the allowed folder")):
            if folder is not None:
                text = text.replace(str(folder), shown)
        return text

    def _status_of(self, stored: JobRecord, slices: SliceCounts | None = None) -> JobStatus:
        job_id = stored.id
        with self._lock:  # what the store has not taken yet wins over what it holds
            row = replaced(stored, **self._unsaved.get(job_id, {}))  # type: ignore[arg-type]
            progress = dict(self._live.get(job_id) or stored.progress)
        if slices is not None and row.status not in FINISHED:  # run in slices by workers: counted from them
            progress.update(done=slices.documents_done, total=slices.documents_total)
        options = row.options
        done = row.status == "done"
        return JobStatus(
            id=job_id, status=row.status, created=row.created, finished=row.finished, batch=row.batch_id,  # type: ignore[arg-type]
            documents=options.get("names", []),
            documents_done=progress.get("done", 0),
            documents_total=progress.get("total", len(options.get("names", []))),
            calls=progress.get("calls", 0), tokens=progress.get("tokens", 0), cost_usd=progress.get("cost_usd") or 0.0,
            eta_seconds=progress.get("eta_seconds"), contradictions=progress.get("contradictions"),
            error=row.error, url=f"/api/batches/{job_id}", events_url=f"/api/batches/{job_id}/events",
            report_url=f"/api/batches/{job_id}/report" if done else None,
            review_url=f"/?batch={row.batch_id}&status=all" if done and row.batch_id else None,
            slices={"done": slices.done, "running": slices.running, "waiting": slices.waiting} if slices else None,
        )

    # --- cancelling -----------------------------------------------------------------------------

    def cancel(self, job_id: str) -> JobStatus:
        """Stop a queued or running job; what it finished stays stored. KeyError when there is no such job.

        The job's worker is told first, so a cancel takes effect even while the store cannot be
        read (the answer is then a StoreError); a job no worker is running is marked cancelled here.
        """
        if job_id in self._cancel:
            self._cancel[job_id].set()
        status = self.status(job_id)
        if status.status in FINISHED:
            return status
        self._cancel.setdefault(job_id, threading.Event()).set()
        with self._jobs() as jobs:
            jobs.request_cancel(job_id)  # a worker in another process stops at its next heartbeat
            elsewhere = jobs.held_elsewhere(job_id, self.worker_id)
        if not self.working(job_id) and not elsewhere:
            self._finish(job_id, "cancelled")
        return self.status(job_id)

    def working(self, job_id: str) -> bool:
        """Whether a worker of this server is running the job now (a job the store calls running may
        have been left so by a killed server, or by a worker that could not record its end)."""
        with self._lock:
            return job_id in self._running

    # --- running --------------------------------------------------------------------------------

    def _queue(self, job_id: str) -> None:
        """Run the job in this process's pool; with no pool (`--workers 0`) `verifier worker`s take it."""
        self._cancel.setdefault(job_id, threading.Event())
        if self.threads:
            self._pool.submit(self._run, job_id)

    def _run(self, job_id: str) -> None:
        """Run one job; whatever happens, it ends done, failed or cancelled, with one line for a failure."""
        with self._lock:
            self._running.add(job_id)
        try:
            self._run_job(job_id)
        except Exception as exc:  # a worker must never die silently, not even when the store fails
            self._finish(job_id, "failed", error=self._one_line(None, _reason(exc)))
        finally:
            with self._lock:
                self._running.discard(job_id)

    def _run_job(self, job_id: str) -> None:
        cancel = self._cancel[job_id]
        with self._jobs() as jobs:
            row = jobs.get(job_id)
            if row is None or row.status in FINISHED or cancel.is_set():
                return
            if not jobs.claim(job_id, self.worker_id, LEASE_SECONDS):
                if row.stage == "whole":  # held by a process that may die: asked again by the watch
                    with self._lock:
                        self._unclaimed.add(job_id)
                return
        self._set(job_id, status="running")
        options = SubmitOptions.model_validate({k: v for k, v in row.options.items() if k != "names"})
        tracker = _Tracker(self, job_id)
        try:
            result = pipeline.run_batch(self._run_options(row.paths, options, job_id, tracker, cancel))
        except pipeline.Cancelled as exc:
            self._finish(job_id, "cancelled", batch_id=exc.batch_id)
        except Exception as exc:  # a worker must never die silently: the job says what happened
            self._finish(job_id, "failed", error=self._one_line(row, _reason(exc)))
        else:
            tracker.contradictions = len(result.report.contradictions)
            tracker.publish(final=True)
            self._finish(job_id, "done", batch_id=result.report.batch)

    def _one_line(self, row: Any, message: str) -> str:
        """An error as the job shows it: one line, its documents named as they were submitted."""
        return " ".join(self._public(message, _names(row) if row is not None else {}).split())[:500]

    def _run_options(self, paths: list[str], options: SubmitOptions, job_id: str, tracker: _Tracker,
                     cancel: threading.Event) -> pipeline.RunOptions:
        backend = options.backend or ("llm" if self._has_endpoint() or options.base_url else "rules")
        settings = None
        if backend == "llm":
            settings = replace(self.llm) if self.llm else LLMSettings()
            if options.model:
                settings.model = options.model
            if options.base_url:  # allowed by the operator, checked at submission
                settings.base_url = options.base_url
        return pipeline.RunOptions(
            paths=paths, out_dir=self._out_dir(job_id), backend=backend, llm=settings, home=self.home,
            concurrency=options.concurrency, max_cost=options.max_cost, progress=tracker, cancelled=cancel.is_set,
            wait=True,  # a second job of the same documents waits for the first, then finds its work done
        )

    def _out_dir(self, job_id: str) -> Path:
        return self.home / "jobs" / job_id

    def _set(self, job_id: str, **fields: object) -> None:
        self._persist(job_id, **fields)
        with self._lock:
            self._live.setdefault(job_id, {})["status"] = fields.get("status")
        self.changes.bump(job_id)

    def _finish(self, job_id: str, status: JobState, **fields: object) -> None:
        """End a job once (a cancel racing the worker's own end does not overwrite it)."""
        with self._lock:
            if job_id in self._ended:
                return
            self._ended.add(job_id)
            progress = dict(self._live.get(job_id, {}))
        progress.pop("status", None)
        finished = datetime.now(UTC).isoformat(timespec="seconds")
        self._set(job_id, status=status, finished=finished, progress=progress, **fields)

    def _persist(self, job_id: str, **fields: object) -> None:
        """Write a job's fields to the store, or keep them to write when it works again.

        A store that fails (made read-only, full, locked) used to end the worker silently,
        leaving the job `running` for ever: now what the job became is shown from memory
        (`_status_of`) and written by the next read once the store takes writes.
        """
        with self._lock:
            self._unsaved.setdefault(job_id, {}).update(fields)
        self._flush()

    def _flush(self) -> None:
        """Write what the store refused before; keep it for later if it still refuses.

        Flushes run one at a time. Every status read flushes too, and two flushes at once lost
        updates: a request's flush that had read "running" wrote it after the worker's own flush had
        written "done", and the job stayed running for ever (seen as a rare hang in the service tests).
        """
        with self._flush_lock:
            with self._lock:
                todo = {job_id: dict(fields) for job_id, fields in self._unsaved.items()}
            if not todo:
                return
            try:
                with self._jobs() as jobs:
                    for job_id, fields in todo.items():
                        jobs.update(job_id, **fields)
            except STORE_ERRORS:
                return
            with self._lock:
                for job_id, fields in todo.items():
                    if self._unsaved.get(job_id) == fields:
                        del self._unsaved[job_id]

    def _jobs(self) -> _JobsSession:
        return _JobsSession(self.home)


STORE_ERRORS = store_errors()


def _reason(exc: Exception) -> str:
    """What ended a job, in one line: the store's failure said as such, known errors as they are."""
    if isinstance(exc, STORE_ERRORS) and not isinstance(exc, OSError):
        return f"the store cannot be used: {exc}; the job can be submitted again once it can"
    if isinstance(exc, LLMError | pipeline.RunError | ValueError | OSError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _names(row: JobRecord) -> dict[str, str]:
    """A job's stored paths -> the names its documents were submitted under."""
    return dict(zip(row.paths, row.options.get("names", []), strict=False))


class Changes:
    """Which jobs moved, for event streams to wait on without holding a thread each.

    Worker threads `bump` a job's version; a stream awaits `after()` on the server's event
    loop and is woken through `call_soon_threadsafe`. A thread blocked per stream (the old
    way) let 40 open streams take every thread of the pool, and plain requests waited
    15 s behind them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def version(self, job_id: str) -> int:
        with self._lock:
            return self._versions.get(job_id, 0)

    def bump(self, job_id: str) -> None:
        """The job changed: a new version, and every stream waiting on it woken."""
        with self._lock:
            self._versions[job_id] = self._versions.get(job_id, 0) + 1
            waiters = list(self._waiters.get(job_id, ()))
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # a loop that closed has no stream left to wake
                loop.call_soon_threadsafe(event.set)

    async def after(self, job_id: str, seen: int, timeout: float) -> int:
        """The job's version once it is past `seen`, or after `timeout` seconds, whichever comes first."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            if self._versions.get(job_id, 0) != seen:
                return self._versions.get(job_id, 0)
            self._waiters.setdefault(job_id, set()).add(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter[1].wait(), timeout)
        finally:
            with self._lock:
                self._waiters[job_id].discard(waiter)
                if not self._waiters[job_id]:
                    del self._waiters[job_id]
        return self.version(job_id)


class _JobsSession:
    """A store connection for one use: SQLite connections are not shared across the worker threads."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.store: Store | None = None

    def __enter__(self) -> Jobs:
        self.store = Store.open(self.home)
        return Jobs(self.store)



    def __exit__(self, *exc: object) -> None:
        if self.store is not None:
            self.store.close()


@dataclass
class _Tracker:
    """The pipeline's progress hooks, kept where the status route and event streams can read them."""

    service: BatchService
    job_id: str
    total: int = 0
    done: int = 0
    at_start: int = 0
    started: float = field(default_factory=time.monotonic)
    usage: Usage = field(default_factory=Usage)
    contradictions: int | None = None

    def start(self, total: int, done: int) -> None:
        self.total, self.done, self.at_start, self.started = total, done, done, time.monotonic()
        self.publish()

    def document_done(self, usage: Usage) -> None:
        self.done += 1
        self.usage = usage
        self.publish()

    def stop(self) -> None:
        self.publish()

    def publish(self, final: bool = False) -> None:
        progress = {"done": self.done, "total": self.total, "calls": self.usage.llm_calls,
                    "tokens": self.usage.total_tokens, "cost_usd": self.usage.cost_usd,
                    "eta_seconds": None if final else self._eta(), "contradictions": self.contradictions}
        service = self.service
        with service._lock:
            live = service._live.setdefault(self.job_id, {})
            status = live.get("status")
            live.clear()
            live.update(progress, status=status)
        service.changes.bump(self.job_id)
        service._persist(self.job_id, progress=progress)

    def _eta(self) -> float | None:
        finished_here = self.done - self.at_start
        if finished_here <= 0 or self.done >= self.total:
            return None
        rate = (time.monotonic() - self.started) / finished_here
        return round(rate * (self.total - self.done), 1)
