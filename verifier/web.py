"""The review queue in a browser, and its JSON API: server-rendered pages, no build step.

FastAPI serves the queue page, the flag page and `/api/flags…` with its OpenAPI document
at `/openapi.json`. Every request opens its own store connection, and decisions are
appended, so two reviewers deciding the same flag at once both land in the history.
`guard.Guard` stands in front of every route (Host, token, session, CSRF, body size).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import BaseModel

from . import guard, review
from .api_batches import add_batch_routes
from .service import BatchService
from .store import store_errors
from .terminal import printable


def _csrf(request: Request) -> str:
    """The CSRF token the guard derived for this request's session ('' without a cookie session)."""
    return str(getattr(request.state, "csrf_token", ""))


def _csrf_context(request: Request) -> dict[str, Any]:
    """Every page gets the session's CSRF token: forms post it, scripts send it as X-CSRF-Token."""
    return {"csrf_token": _csrf(request), "csrf_field": guard.CSRF_FIELD}


def _visible(value: Any) -> Any:
    """Every value a template prints, with control and bidi characters shown as escapes (`\\u202e`).

    HTML escaping stops markup, not a right-to-left override: a file name or quote carrying
    U+202E displays reversed ('txt.exe' as 'exe.txt'). `verifier show` and report.md escape
    them with `terminal.printable`, and so does every page, as Jinja's finalize hook.
    """
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Markup):
        return Markup(printable(str(value)))
    return printable(value)


TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"), context_processors=[_csrf_context])
TEMPLATES.env.finalize = _visible
MAX_NOTE_CHARS = 10_000
StatusFilter = Literal["all", "open", "confirmed", "dismissed", "needs-info", "stale"]
Severity = Literal["major", "minor"]


class BindingError(Exception):
    """Serving off loopback without a token would expose the queue to the network."""


def check_binding(host: str, token: str | None) -> None:
    """Refuse to bind anything but loopback without a token."""
    if token or guard.is_loopback(host):
        return
    raise BindingError(f"refusing to serve on {host} without --token, --token-file or $VERIFIER_TOKEN: "
                       "anyone on the network could decide flags")


class DecisionIn(BaseModel):
    """A decision posted to the API."""

    decision: review.Decision
    note: str = ""
    reviewer: str = ""


class Session(BaseModel):
    """What a cookie-session client needs to send with a state-changing request."""

    csrf_token: str
    header: str = "X-CSRF-Token"


async def _store_unavailable(request: Request, exc: Exception) -> Response:
    """The database went bad (or away) while serving: one line, and a 503, never a traceback."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return JSONResponse({"detail": f"the store cannot be used: {detail}"}, status_code=503)


def body_limit(max_note_chars: int) -> int:
    """The request body limit: 1 MB, or more when a note at the limit could not fit in it.

    A character is at most 4 bytes of UTF-8 and a byte at most 3 of a urlencoded form.
    """
    return max(guard.MAX_BODY_BYTES, 12 * max_note_chars + 65_536)


def create_app(
    home: Path | None = None, token: str | None = None, *, host: str = "127.0.0.1",
    allowed_hosts: Iterable[str] = (), max_note_chars: int = MAX_NOTE_CHARS,
    body_limits: Mapping[str, int] | None = None, service: BatchService | None = None,
) -> FastAPI:
    """The review app over the store in `home` (default: $VERIFIER_HOME), bound (or to be bound) on `host`;
    with a batch service, also the routes that take and run batches over the same store.

    `body_limits` raises the body limit of upload paths (by exact path) above the default.
    """
    app = FastAPI(title="verifier", version="1",
                  description="Submit batches of documents, follow them, and review flagged contradictions.")
    limits = dict(body_limits or {})
    if service is not None:  # an upload may be as large as the batch limit, plus its form's framing
        limits.setdefault("/api/batches", service.limits.max_batch_bytes + 1024 * 1024)
    settings = guard.GuardSettings(token=token or None, allowed_hosts=guard.allowed_names(host, allowed_hosts),
                                   max_body_bytes=body_limit(max_note_chars), body_limits=limits)
    app.add_middleware(guard.Guard, settings=settings)
    for error in store_errors():
        if error is not OSError:  # an OSError is not the store's unless the store says so
            app.add_exception_handler(error, _store_unavailable)
    if service is not None:
        add_batch_routes(app, service, TEMPLATES)

    def _check_note(note: str) -> None:
        if len(note) > max_note_chars:
            raise HTTPException(status_code=422, detail=f"note is {len(note)} characters; the limit is "
                                                        f"{max_note_chars}")

    def _queue(batch: str | None) -> list[review.FlagSummary]:
        try:
            return review.list_flags(home, batch)
        except review.ReviewError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc

    def _detail(flag_id: str, batch: str | None = None) -> review.FlagDetail:
        try:
            return review.show_flag(flag_id, home, batch)
        except review.ReviewError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc

    @app.get("/api/session", response_model=Session)
    def api_session(request: Request) -> Session:
        """The CSRF token of this cookie session, for a client that posts without a bearer token."""
        token = _csrf(request)
        if not token:
            raise HTTPException(status_code=404, detail="no cookie session: this request authenticated with a token")
        return Session(csrf_token=token)

    @app.get("/api/flags", response_model=list[review.FlagSummary])
    def api_flags(
        batch: str | None = None, status: StatusFilter = "all", severity: Severity | None = None
    ) -> list[review.FlagSummary]:
        """Flags of a batch (default: the latest) with their status."""
        try:
            return review.list_flags(home, batch, status, severity)
        except review.ReviewError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc

    @app.get("/api/flags/{flag_id}", response_model=review.FlagDetail)
    def api_flag(flag_id: str, batch: str | None = None) -> review.FlagDetail:
        """One flag with both passages and its decision history."""
        return _detail(flag_id, batch)

    @app.post("/api/flags/{flag_id}/decisions", response_model=review.DecisionRecord, status_code=201)
    def api_decide(flag_id: str, body: DecisionIn) -> review.DecisionRecord:
        """Append a decision; the latest is the flag's status."""
        _check_note(body.note)
        try:
            return review.decide(flag_id, body.decision, body.note, body.reviewer, home)
        except review.ReviewError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def queue(
        request: Request, batch: str | None = None, status: StatusFilter = "open",
        severity: Literal["", "major", "minor"] = "",
    ) -> Response:
        try:
            everything = review.list_flags(home, batch)
        except review.ReviewError as exc:
            code = 404 if batch else 200  # an unknown batch is a wrong address; an empty store is not
            return TEMPLATES.TemplateResponse(request, "empty.html", {"message": str(exc)}, status_code=code)
        counts = {s: sum(1 for f in everything if f.status == s) for s in review.STATUSES}
        shown = [f for f in everything
                 if (status == "all" or f.status == status) and (not severity or f.severity == severity)]
        batches = review.list_batches(home)
        context = {"flags": shown, "counts": counts, "status": status, "severity": severity,
                   "batch": batch or batches[0].id, "batches": batches, "statuses": review.STATUSES,
                   "explained": review.list_explained(home, batch)}
        return TEMPLATES.TemplateResponse(request, "queue.html", context)

    @app.get("/flags/{flag_id}", response_class=HTMLResponse, include_in_schema=False)
    def flag_page(request: Request, flag_id: str, batch: str | None = None) -> Response:
        detail = _detail(flag_id, batch)
        queue_ids = [f.id for f in _queue(batch)]
        at = queue_ids.index(flag_id) if flag_id in queue_ids else -1
        context = {
            "flag": detail,
            "previous": queue_ids[at - 1] if at > 0 else None,
            "next": queue_ids[at + 1] if 0 <= at < len(queue_ids) - 1 else None,
            "position": at + 1, "total": len(queue_ids),
            "max_note_chars": max_note_chars,
        }
        return TEMPLATES.TemplateResponse(request, "flag.html", context)

    @app.post("/flags/{flag_id}/decide", include_in_schema=False)
    def decide_form(
        flag_id: str,
        decision: Annotated[review.Decision, Form()],
        note: Annotated[str, Form()] = "",
        reviewer: Annotated[str, Form()] = "",
    ) -> Response:
        _check_note(note)
        try:
            review.decide(flag_id, decision, note, reviewer, home)
        except review.ReviewError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        following = review.next_open(flag_id, home)
        return RedirectResponse(f"/flags/{following}" if following else "/", status_code=303)

    return app

