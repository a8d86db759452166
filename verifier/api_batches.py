"""The batch routes of `verifier serve`: submit documents, follow a batch, fetch its report.

Thin HTTP over `service.BatchService`; the review routes in `web.py` read the same store, so a
finished batch's flags are in the shared review queue at once.
"""

from __future__ import annotations

import json
import tempfile
import threading
import weakref
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import jsonbatch
from .jsonbatch import JsonBatch
from .models import first_error
from .service import FINISHED, BatchService, JobStatus, Refused, SubmitOptions, Upload

EVENT_KEEPALIVE_SECONDS = 15.0
SPOOL_IN_MEMORY_BYTES = 1 << 20  # a JSON body past this goes to a temporary file while it arrives
_FORM_OPTIONS = ("backend", "model", "concurrency", "max_cost", "base_url")


class DocumentIn(BaseModel):
    """A document sent as JSON instead of a file."""

    name: str = Field(..., description="a file name with its type, e.g. 'story.md'")
    text: str


class BatchIn(SubmitOptions):
    """A batch as JSON: documents inline, or (when the operator allows a folder) paths under it."""

    documents: list[DocumentIn] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list, description="relative to the server's --allow-root folder")


class StreamSlots:
    """Open event streams, counted in all and per client address, so they stay bounded: past a limit
    a stream is refused with 429 before it starts, and a slot is freed when its stream ends."""

    def __init__(self, total: int, per_client: int) -> None:
        self.total, self.per_client = total, per_client
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def take(self, client: str) -> _Slot:
        with self._lock:
            if self._open[client] >= self.per_client:
                raise HTTPException(status_code=429, detail=f"{self.per_client} event streams are open from this "
                                                            "client, the most it may have: close one, or poll the "
                                                            "batch's status instead")
            if sum(self._open.values()) >= self.total:
                raise HTTPException(status_code=429, detail=f"{self.total} event streams are open, the most this "
                                                            "server keeps: try again later, or poll the batch's status")
            self._open[client] += 1
        return _Slot(self, client)

    def _give_back(self, client: str) -> None:
        with self._lock:
            self._open[client] -= 1
            if self._open[client] <= 0:
                del self._open[client]


class _Slot:
    """One stream's place; `release` may be called more than once (the stream's end, and its garbage)."""

    def __init__(self, slots: StreamSlots, client: str) -> None:
        self._slots, self._client, self._held = slots, client, True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._slots._give_back(self._client)


def add_batch_routes(app: FastAPI, service: BatchService, templates: Any) -> None:
    """Mount the batch API and the batches page on `app`."""
    streams = StreamSlots(service.limits.max_streams, service.limits.max_streams_per_client)

    def _status(job_id: str) -> JobStatus:
        try:
            return service.status(job_id)
        except KeyError as exc:
            raise HTTPException(status_code=404, detail=f"no batch {job_id!r}") from exc

    @app.post("/api/batches", status_code=202, response_model=JobStatus,
              openapi_extra={"requestBody": {"content": {
                  "multipart/form-data": {"schema": {"type": "object", "properties": {
                      "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                      **{name: {"type": "string"} for name in _FORM_OPTIONS}}}},
                  "application/json": {"schema": _inline(BatchIn.model_json_schema())},
              }, "required": True}})
    async def submit(request: Request, response: Response) -> JobStatus:
        """Submit documents (multipart field `files`, or JSON `documents`) with run options; answers 202."""
        _check_length(request)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
                uploads, options = await _from_form(request, service)
                job = await run_in_threadpool(service.submit, uploads, options)
            elif kind == "application/json":
                batch = await _json_batch(request, service)
                body = _batch_in(batch.fields)
                options = SubmitOptions.model_validate(body.model_dump(include=set(SubmitOptions.model_fields)))
                if body.paths:
                    job = await run_in_threadpool(service.submit_paths, body.paths, options)
                else:
                    job = await run_in_threadpool(service.submit, batch.uploads, options)
            else:
                raise Refused(415, "send multipart/form-data (field 'files') or application/json")
        except Refused as exc:
            raise HTTPException(status_code=exc.status, detail=str(exc)) from exc
        response.headers["Location"] = job.url
        return job

    @app.get("/api/batches", response_model=list[JobStatus])
    def batches() -> list[JobStatus]:
        """Every submitted batch, newest first, with its progress."""
        return service.all()

    @app.get("/api/batches/{job_id}", response_model=JobStatus)
    def batch(job_id: str) -> JobStatus:
        """A batch's status and progress: documents done of total, calls, tokens, cost, ETA."""
        return _status(job_id)

    @app.get("/api/batches/{job_id}/report", responses={200: {"content": {"application/json": {}}}})
    def report_json(job_id: str) -> Response:
        """The finished batch's report.json (409 while it runs)."""
        return _report(job_id, "report.json", "application/json")

    @app.get("/api/batches/{job_id}/report.md", responses={200: {"content": {"text/markdown": {}}}})
    def report_md(job_id: str) -> Response:
        """The finished batch's report.md (409 while it runs)."""
        return _report(job_id, "report.md", "text/markdown; charset=utf-8")

    @app.post("/api/batches/{job_id}/cancel", response_model=JobStatus)
    def cancel(job_id: str) -> JobStatus:
        """Stop a batch: what it finished is kept, and it is marked cancelled. The batch is told before
        anything is read, so a cancel lands even when the store cannot answer (503)."""
        try:
            return service.cancel(job_id)
        except KeyError as exc:
            raise HTTPException(status_code=404, detail=f"no batch {job_id!r}") from exc

    @app.get("/api/batches/{job_id}/events", responses={200: {"content": {"text/event-stream": {}}},
                                                        429: {"description": "too many event streams open"}})
    async def events(job_id: str, request: Request) -> StreamingResponse:
        """Progress as Server-Sent Events: a `progress` event on each change, `end` when the batch ends.
        Streams are bounded per client and in all (429 beyond)."""
        await run_in_threadpool(_status, job_id)
        slot = streams.take(request.client.host if request.client else "")
        stream = _event_stream(service, job_id, slot)
        weakref.finalize(stream, slot.release)  # a stream never started (the client left first) frees it too
        return StreamingResponse(stream, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @app.get("/batches", response_class=HTMLResponse, include_in_schema=False)
    def batches_page(request: Request) -> Response:
        page: Response = templates.TemplateResponse(request, "batches.html", {
            "jobs": service.all(), "limits": service.limits, "workers": service.workers()})
        return page

    def _report(job_id: str, name: Any, media_type: str) -> Response:
        job = _status(job_id)
        text = service.public_report(job_id, name)
        if text is None:
            raise HTTPException(status_code=409, detail=f"batch {job_id} is {job.status}; its report comes when done")
        return Response(text, media_type=media_type)


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON Schema with its $defs written in place, to embed in the OpenAPI document."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        return [walk(v) for v in node] if isinstance(node, list) else node

    inlined: dict[str, Any] = walk(schema)
    return inlined


def _check_length(request: Request) -> None:
    """An upload declares its length: the guard in front of every route has already refused one over
    the batch limit by it, before the form parser would spool it all."""
    declared = request.headers.get("content-length")
    if declared is None:
        raise HTTPException(status_code=411, detail="a Content-Length header is required")
    if not declared.strip().isdigit():
        raise HTTPException(status_code=400, detail="Content-Length is not a number")


async def _from_form(request: Request, service: BatchService) -> tuple[list[Upload], SubmitOptions]:
    limits = service.limits
    try:
        form = await request.form(max_files=limits.max_files, max_fields=len(_FORM_OPTIONS) + 4)
    except StarletteHTTPException as exc:
        raise _form_refusal(exc, limits.max_files) from exc
    try:
        uploads = []
        for item in form.getlist("files"):
            if isinstance(item, str):
                raise Refused(400, "the field 'files' must hold files")
            data = await item.read(limits.max_file_bytes + 1)
            uploads.append(Upload(item.filename or "", data))
        fields = {name: form.get(name) for name in _FORM_OPTIONS if form.get(name) not in (None, "")}
    finally:
        await form.close()  # the spooled upload files
    try:
        return uploads, SubmitOptions.model_validate(fields)
    except ValidationError as exc:
        raise Refused(422, first_error(exc, whole="body")) from exc


def _form_refusal(exc: StarletteHTTPException, max_files: int) -> Refused:
    """The form parser's refusal in the server's words: a limit passed is a 413, anything else is a
    body that is not multipart (400, with the parser's innermost reason), never 'too many files'."""
    detail = str(exc.detail)
    if detail.startswith("Too many files"):
        return Refused(413, f"more than {max_files} files; at most {max_files} files per batch")
    if detail.startswith("Too many fields"):
        return Refused(413, "too many form fields; a batch takes the field 'files' and "
                            + ", ".join(repr(name) for name in _FORM_OPTIONS))
    if "exceeded maximum size" in detail:
        return Refused(413, "a form field is over the parser's limit; documents go in the field 'files', as files")
    cause: BaseException = exc.__context__ or exc  # the parser's own exception; its explicit causes are deeper
    while cause.__cause__ is not None:
        cause = cause.__cause__
    reason = " ".join(str(cause).split())[:200] or detail
    return Refused(400, f"malformed multipart body: {reason}")


async def _json_batch(request: Request, service: BatchService) -> JsonBatch:
    """A JSON body, spooled to a temporary file as it arrives (the guard in front counts it against the
    body limit), then read in the thread pool by `jsonbatch`, which stops at the first limit passed.
    Neither the whole body nor its parse is ever held in memory, and the event loop never parses."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        async for chunk in request.stream():
            await run_in_threadpool(spool.write, chunk)
        spool.seek(0)
        return await run_in_threadpool(jsonbatch.read_batch, spool, service.limits)


def _batch_in(fields: dict[str, Any]) -> BatchIn:
    """The options and paths of a JSON batch (its documents were read and checked apart)."""
    try:
        return BatchIn.model_validate({**fields, "documents": []})
    except ValidationError as exc:
        raise Refused(422, first_error(exc, whole="body")) from exc


async def _event_stream(service: BatchService, job_id: str, slot: _Slot) -> AsyncIterator[str]:
    """Server-Sent Events: the status whenever it changes, a comment to keep the line open, `end` last.

    An async generator on the event loop: between events it awaits the job's next change and
    holds no thread; the status is read in the thread pool, briefly, only when the job moved.
    """
    try:
        last, seen = None, -1
        while True:
            if service.changes.version(job_id) == seen:
                yield ": keepalive\n\n"
            else:
                version, status = await run_in_threadpool(service.snapshot, job_id)
                payload = status.model_dump_json()
                if payload != last:
                    yield f"event: progress\ndata: {payload}\n\n"
                last, seen = payload, version
                if status.status in FINISHED:
                    yield f"event: end\ndata: {json.dumps({'status': status.status})}\n\n"
                    return
            await service.changes.after(job_id, seen, EVENT_KEEPALIVE_SECONDS)
    finally:
        slot.release()
