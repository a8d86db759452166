"""What stands in front of the review app: Host allow-list, token, signed session, CSRF, body size.

A pure ASGI middleware rather than Starlette's BaseHTTPMiddleware, because it must refuse
an oversized body before reading all of it, and read a form's CSRF field while handing the
same body on to the route. Every refusal is one line in `{"detail": …}`.

- Host: a page on another site can point its own DNS name at 127.0.0.1 (DNS rebinding);
  its requests then carry that name in Host, so only loopback names, the bound host and
  `--allowed-host` names are served.
- Token: a header (`Authorization: Bearer`, `X-Verifier-Token`) or `?token=` is an explicit
  credential. `?token=` on a GET answers with a session cookie and a redirect that drops the
  token from the address bar (and so from history and Referer).
- Session: the cookie is a random id and its HMAC under a per-process secret, never the
  token; the CSRF token is a second HMAC of the id, so nothing is stored server-side. Only
  pages and `/api/session` hand out a cookie: the rest of the API never does, so a script's
  client that keeps cookies stays a cookie-less script.
- CSRF: a browser sends the cookie on its own, so a state-changing request riding on the
  cookie (or on nothing, without `--token`) must come from the server's own origin and carry
  the session's CSRF token (`X-CSRF-Token` header or a `csrf_token` form field); a script's
  request with no cookie, Origin or Referer is no page's and is let through. A request
  with an explicit credential is exempt: no other site can make a browser send it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "verifier_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_PATH = "/api/session"
MAX_BODY_BYTES = 1_000_000


def host_name(value: str) -> str:
    """The name of a Host header or host option: no port, no IPv6 brackets, lower case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def allowed_names(bound_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Loopback names, the bound host and the `--allowed-host` names, as `host_name` spells them."""
    return frozenset(host_name(name) for name in (*LOOPBACK_NAMES, bound_host, *extra) if name.strip())


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server off the network."""
    if host_name(host) == "localhost":
        return True
    try:
        return ipaddress.ip_address(host_name(host)).is_loopback
    except ValueError:
        return False


class Sessions:
    """Signed session ids: the cookie is `id.mac`, the CSRF token another MAC of the id."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, purpose: str, session_id: str) -> str:
        return hmac.new(self._secret, f"{purpose}:{session_id}".encode(), hashlib.sha256).hexdigest()

    def new(self) -> tuple[str, str]:
        """A fresh session: (id, cookie value)."""
        session_id = secrets.token_urlsafe(18)
        return session_id, f"{session_id}.{self._mac('session', session_id)}"

    def verify(self, cookie: str) -> str | None:
        """The session id a cookie value carries, or None when it is not one this server signed."""
        session_id, _, mac = cookie.partition(".")
        if session_id and hmac.compare_digest(mac.encode(), self._mac("session", session_id).encode()):
            return session_id
        return None

    def csrf(self, session_id: str) -> str:
        """The CSRF token of a session: pages embed it, state-changing requests send it back."""
        return self._mac("csrf", session_id)


@dataclass(frozen=True)
class GuardSettings:
    """What the guard enforces; `token` None means no authentication (loopback only)."""

    token: str | None
    allowed_hosts: frozenset[str]
    max_body_bytes: int = MAX_BODY_BYTES
    body_limits: Mapping[str, int] = field(default_factory=dict)  # larger limits of upload paths, by path

    def limit(self, path: str) -> int:
        """The body limit of a path: its own (an upload route checks its files itself), else the default."""
        return self.body_limits.get(path, self.max_body_bytes)


def _refuse(status: int, detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=status)


def _offered_token(request: Request) -> str:
    """The token a request offers explicitly (never from a cookie)."""
    bearer = request.headers.get("authorization", "")
    scheme, _, value = bearer.partition(" ")
    return (
        (value.strip() if scheme.lower() == "bearer" else "")
        or request.headers.get("x-verifier-token", "")
        or request.query_params.get("token", "")
    )


def cross_site(request: Request) -> str | None:
    """Why a request is not from the server's own origin (Origin, else Referer), or None."""
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    origin = request.headers.get("origin")
    if origin is not None:
        return None if origin.lower() == own else f"cross-site request refused: Origin {origin} is not {own}"
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        seen = f"{parts.scheme}://{parts.netloc}".lower()
        return None if seen == own else f"cross-site request refused: Referer {seen} is not {own}"
    return None


def _from_no_page(request: Request) -> bool:
    """A script's request (curl, httpx): no cookie, no Origin, no Referer. Browsers send Origin on
    every cross-origin POST, so a page cannot forge one; such a request rides on no ambient
    credential (without --token there is none to steal, and with one _check_token asked for it)."""
    headers = request.headers
    return SESSION_COOKIE not in request.cookies and "origin" not in headers and "referer" not in headers


def _starts_session(request: Request) -> bool:
    """Whether a cookie-less request is given a session cookie: a page (its forms need a CSRF token)
    and `/api/session` (a script that asks for one), never the rest of the API. A script's client
    that kept a cookie from its first API answer would need a CSRF token on its second POST; one
    that never gets a cookie stays a script, exempt."""
    path = request.url.path
    return not path.startswith("/api/") or path == SESSION_PATH


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip() == "application/x-www-form-urlencoded"


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it passes `limit` bytes (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    """A receive that hands the route the body already read."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class _Limited:
    """Runs the app on a body it may stream, answering 413 once the body passes the limit.

    Past the limit the app is told the client left; whatever it makes of that (FastAPI
    answers 400), the response becomes the 413, unless it had already begun.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit
        self.size, self.over, self.started, self.refused = 0, False, False, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            if self.over:
                return {"type": "http.disconnect"}
            message = await receive()
            self.size += len(message.get("body", b""))
            if self.size > self.limit:
                self.over = True
                return {"type": "http.disconnect"}
            return message

        async def sending(message: Message) -> None:
            if self.over and not self.started:
                await self._refuse(scope, receive, send)
                return
            if message["type"] == "http.response.start":
                self.started = True
            if not self.refused:
                await send(message)

        try:
            await self.app(scope, counted, sending)
        except Exception:
            if not self.over:
                raise
        if self.over and not self.started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.refused:
            self.refused = True
            await _refuse(413, f"request body over {self.limit} bytes")(scope, receive, send)


def _too_large(request: Request, limit: int) -> bool:
    length = request.headers.get("content-length", "")
    return length.isdigit() and int(length) > limit


class Guard:
    """The ASGI middleware; the session's CSRF token reaches routes as `request.state.csrf_token`."""

    def __init__(self, app: ASGIApp, settings: GuardSettings, secret: bytes | None = None) -> None:
        self.app = app
        self.settings = settings
        self.sessions = Sessions(secret or secrets.token_bytes(32))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        response = self._check_host(request) or self._check_token(request)
        if response is not None:
            await response(scope, receive, send)
            return
        explicit = bool(self.settings.token) and bool(_offered_token(request))
        known = self.sessions.verify(request.cookies.get(SESSION_COOKIE, ""))
        session_id, cookie = known, None
        logging_in = request.method == "GET" and bool(request.query_params.get("token"))
        if known is None and (logging_in or (self.settings.token is None and _starts_session(request))):
            session_id, cookie = self.sessions.new()
        if session_id is not None:
            scope.setdefault("state", {})["csrf_token"] = self.sessions.csrf(session_id)
        send = _with_cookie(send, cookie)
        if logging_in:
            await self._drop_token(request)(scope, receive, send)
            return
        await self._guarded(request, explicit, known, receive, send)

    def _check_host(self, request: Request) -> Response | None:
        name = host_name(request.headers.get("host", ""))
        if name in self.settings.allowed_hosts:
            return None
        if not name:
            return _refuse(400, "missing Host header")
        return _refuse(400, f"host {name!r} is not allowed (start verifier serve with --allowed-host {name})")

    def _check_token(self, request: Request) -> Response | None:
        token = self.settings.token
        if token is None:
            return None
        offered = _offered_token(request)
        if offered:
            if hmac.compare_digest(offered.encode(), token.encode()):
                return None
            return _refuse(401, "wrong token")
        if self.sessions.verify(request.cookies.get(SESSION_COOKIE, "")) is not None:
            return None
        return _refuse(401, "missing token: send Authorization: Bearer TOKEN, or open /?token=TOKEN once")

    @staticmethod
    def _drop_token(request: Request) -> Response:
        """Redirect to the same page without ?token=, so the token stays out of history and Referer."""
        rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
        return RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), status_code=303)

    async def _guarded(
        self, request: Request, explicit: bool, session_id: str | None, receive: Receive, send: Send
    ) -> None:
        """Body size for every request; origin and CSRF token for a state-changing one without a credential.

        `session_id` is the session the request's cookie proves, None for a fresh visitor. Only
        a urlencoded form without the header is read before the route (for its CSRF field);
        any other body streams to the route, counted.
        """
        scope = request.scope
        limit = self.settings.limit(request.url.path)
        if _too_large(request, limit):
            await _refuse(413, f"request body over {limit} bytes")(scope, receive, send)
            return
        if request.method not in SAFE_METHODS and not explicit and not _from_no_page(request):
            offered = request.headers.get(CSRF_HEADER, "")
            if not offered and _is_form(request):
                body = await _read_body(receive, limit)
                if body is None:
                    await _refuse(413, f"request body over {limit} bytes")(scope, receive, send)
                    return
                offered = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD, [""])[0]
                receive = _replay(body)
            refusal = self._csrf_refusal(request, session_id, offered)
            if refusal is not None:
                await _refuse(403, refusal)(scope, receive, send)
                return
        await _Limited(self.app, limit)(scope, receive, send)

    def _csrf_refusal(self, request: Request, session_id: str | None, offered: str) -> str | None:
        if reason := cross_site(request):
            return reason
        if session_id is None:
            return "missing CSRF token: reload the page, or send X-CSRF-Token from GET /api/session"
        if not offered:
            return ("missing CSRF token: a request with the session cookie must send X-CSRF-Token (from GET "
                    "/api/session with that cookie); reload the page, or send no cookie")
        if not hmac.compare_digest(offered.encode(), self.sessions.csrf(session_id).encode()):
            return "wrong CSRF token: reload the page"
        return None


def _with_cookie(send: Send, cookie: str | None) -> Send:
    """`send`, adding the new session cookie to the response when there is one."""
    if cookie is None:
        return send

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers.append("set-cookie", f"{SESSION_COOKIE}={cookie}; HttpOnly; SameSite=Strict; Path=/")
        await send(message)

    return sending
