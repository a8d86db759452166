"""The review queue in a browser, and its JSON API: server-rendered pages, no build step.

FastAPI serves the queue page, the flag page and `/api/flags…` with its OpenAPI document
at `/openapi.json`. Every request opens its own store connection, and decisions are
appended, so two reviewers deciding the same flag at once both land in the history.
"""

from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from . import review
from .api_batches import add_batch_routes
from .service import BatchService

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TOKEN_COOKIE = "verifier_token"


class BindingError(Exception):
    """Serving off loopback without a token would expose the queue to the network."""


def check_binding(host: str, token: str | None) -> None:
    """Refuse to bind anything but loopback without a token."""
    if token or _is_loopback(host):
        return
    raise BindingError(f"refusing to serve on {host} without --token: anyone on the network could decide flags")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class DecisionIn(BaseModel):
    """A decision posted to the API."""

    decision: review.Decision
    note: str = ""
    reviewer: str = ""


class _TokenGate(BaseHTTPMiddleware):
    """Every request carries the token: bearer header, X-Verifier-Token, ?token= or the cookie it sets."""

    def __init__(self, app: FastAPI, token: str) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        offered = (
            request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            or request.headers.get("x-verifier-token", "")
            or request.query_params.get("token", "")
            or request.cookies.get(TOKEN_COOKIE, "")
        )
        if not hmac.compare_digest(offered.encode(), self.token.encode()):
            return JSONResponse({"detail": "missing or wrong token"}, status_code=401)
        response = await call_next(request)
        if request.query_params.get("token"):
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
        return response


def create_app(home: Path | None = None, token: str | None = None, service: BatchService | None = None) -> FastAPI:
    """The review app over the store in `home` (default: $VERIFIER_HOME), and with a batch
    service, the routes that take and run batches over the same store."""
    app = FastAPI(title="verifier", version="1",
                  description="Submit batches of documents, follow them, and review flagged contradictions.")
    if token:
        app.add_middleware(_TokenGate, token=token)  # type: ignore[arg-type]
    if service is not None:
        add_batch_routes(app, service, TEMPLATES)

    def _detail(flag_id: str, batch: str | None = None) -> review.FlagDetail:
        try:
            return review.show_flag(flag_id, home, batch)
        except review.ReviewError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc

    @app.get("/api/flags", response_model=list[review.FlagSummary])
    def api_flags(
        batch: str | None = None, status: str = "all", severity: str | None = None
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
        try:
            return review.decide(flag_id, body.decision, body.note, body.reviewer, home)
        except review.ReviewError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def queue(
        request: Request, batch: str | None = None, status: str = "open", severity: str | None = None
    ) -> Response:
        try:
            everything = review.list_flags(home, batch)
        except review.ReviewError as exc:
            return TEMPLATES.TemplateResponse(request, "empty.html", {"message": str(exc)}, status_code=200)
        counts = {s: sum(1 for f in everything if f.status == s) for s in review.STATUSES}
        shown = [f for f in everything
                 if (status == "all" or f.status == status) and (not severity or f.severity == severity)]
        batches = review.list_batches(home)
        context = {"flags": shown, "counts": counts, "status": status, "severity": severity or "",
                   "batch": batch or batches[0].id, "batches": batches, "statuses": review.STATUSES}
        return TEMPLATES.TemplateResponse(request, "queue.html", context)

    @app.get("/flags/{flag_id}", response_class=HTMLResponse, include_in_schema=False)
    def flag_page(request: Request, flag_id: str, batch: str | None = None) -> Response:
        detail = _detail(flag_id, batch)
        queue_ids = [f.id for f in review.list_flags(home, batch)]
        at = queue_ids.index(flag_id) if flag_id in queue_ids else -1
        context = {
            "flag": detail,
            "previous": queue_ids[at - 1] if at > 0 else None,
            "next": queue_ids[at + 1] if 0 <= at < len(queue_ids) - 1 else None,
            "position": at + 1, "total": len(queue_ids),
        }
        return TEMPLATES.TemplateResponse(request, "flag.html", context)

    @app.post("/flags/{flag_id}/decide", include_in_schema=False)
    def decide_form(
        flag_id: str,
        decision: Annotated[review.Decision, Form()],
        note: Annotated[str, Form()] = "",
        reviewer: Annotated[str, Form()] = "",
    ) -> Response:
        try:
            review.decide(flag_id, decision, note, reviewer, home)
        except review.ReviewError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from exc
        following = review.next_open(flag_id, home)
        return RedirectResponse(f"/flags/{following}" if following else "/", status_code=303)

    return app
