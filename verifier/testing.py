"""A fake OpenAI-compatible endpoint on loopback, for tests and benchmarks.

It speaks real HTTP, so the whole client stack (openai, instructor, retries, timeouts)
is exercised, not mocked. It answers extraction requests deterministically from the
passage it is sent (every sentence with a figure becomes a claim quoting that sentence),
judges by a fixed rule, and can be told to misbehave: refuse, hang, fail with 500 or 429,
drop the connection mid-body, or answer with invalid JSON, a schema violation, empty
choices, a truncated output, a refusal or no content. It counts every request.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Behaviour = str  # "ok", "500", "429", "hang", "drop", "invalid_json", "schema", "empty_choices", "length",
#                  "refusal", "no_content", "wrong_quote"

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_SUBJECT = re.compile(r"\b([A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)")
_FIGURE = re.compile(
    r"(?<![\w.$€£])[$€£]?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|billion|million|km)\b|bn\b|m\b)?"
)
_ATTRIBUTE = re.compile(r"\b(?:reported|posted|has|had|scored|recorded)\s+(?P<attr>[a-z][a-z ]*?)\s+of\s", re.I)
_BASED = re.compile(r"^(?P<subject>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*) is headquartered in (?P<city>[A-Z][\w-]*)")


@dataclass
class FakeEndpoint:
    """A loopback server; use as a context manager. `script` is consumed first, then `default`."""

    latency: float = 0.0
    default: Behaviour = "ok"
    script: deque[Behaviour] = field(default_factory=deque)
    hang_seconds: float = 30.0
    retry_after: str = "1"
    answer: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    requests: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    embedding_dims: int = 768
    max_in_flight: int = 0  # requests served at once (0: no limit); the rest wait, as at a busy endpoint
    keep_bodies: bool = True
    bodies: list[dict[str, Any]] = field(default_factory=list)
    answered: list[dict[str, Any]] = field(default_factory=list)  # bodies answered to a client still there
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _limit: threading.BoundedSemaphore | None = None
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> FakeEndpoint:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def setup(self) -> None:
                super().setup()
                # headers and body go out in separate writes: without this, Nagle's algorithm and
                # delayed ACKs add ~40 ms to every response on a kept-alive connection
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:
                if self.path.endswith("/stats"):
                    self._send(200, {"requests": endpoint.requests, "kinds": dict(endpoint.kinds)})
                else:
                    self._send(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/").endswith("/embeddings"):
                    endpoint._embeddings(self, body)
                    return
                behaviour = endpoint._next(body)
                with endpoint._slots():
                    if endpoint.latency:
                        time.sleep(endpoint.latency)
                if _peer_gone(self.connection):  # the client died waiting (SIGKILL): nobody to answer
                    self.close_connection = True
                    return
                endpoint._serve(self, behaviour, body)
                if endpoint.keep_bodies and "messages" in body:
                    with endpoint._lock:
                        endpoint.answered.append(body)

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._server.request_queue_size = 256
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _slots(self) -> Any:
        """One of `max_in_flight` places to be served in (none needed without a limit)."""
        if not self.max_in_flight:
            return contextlib.nullcontext()
        with self._lock:
            if self._limit is None:
                self._limit = threading.BoundedSemaphore(self.max_in_flight)
        return self._limit

    def _embeddings(self, handler: Any, body: dict[str, Any]) -> None:
        """An OpenAI-compatible /v1/embeddings answer: letter-trigram counts folded into
        `embedding_dims` dimensions (texts sharing words are near), or 404 when turned off."""
        with self._lock:
            self.kinds["embeddings"] += 1
        if not self.embedding_dims:
            handler._send(404, {"error": {"message": "no embeddings model here", "type": "invalid_request_error"}})
            return
        inputs = body.get("input", [])
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        data = []
        for n, text in enumerate(texts):
            vector = [0.0] * self.embedding_dims
            folded = f"  {str(text).lower()}  "
            for i in range(len(folded) - 2):
                vector[int(hashlib.md5(folded[i:i + 3].encode()).hexdigest(), 16) % self.embedding_dims] += 1.0
            data.append({"object": "embedding", "index": n, "embedding": vector})
        tokens = sum(len(str(t)) for t in texts) // 4
        handler._send(200, {"object": "list", "data": data, "model": body.get("model", "fake"),
                            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    def bodies_of(self, kind: str) -> list[dict[str, Any]]:
        """The kept request bodies of one kind of call ('extract', 'entities', 'questions', 'judge'); a
        body cut short (a client killed mid-request) is no call."""
        return [b for b in self.bodies if "messages" in b and request_kind(b) == kind]

    def stop(self) -> None:
        """Stop listening: later connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _next(self, body: dict[str, Any]) -> Behaviour:
        with self._lock:
            self.requests += 1
            self.kinds[request_kind(body)] += 1
            if self.keep_bodies:
                self.bodies.append(body)
            return self.script.popleft() if self.script else self.default

    def _serve(self, handler: Any, behaviour: Behaviour, body: dict[str, Any]) -> None:
        if behaviour == "500":
            handler._send(500, {"error": {"message": "injected failure", "type": "server_error"}})
        elif behaviour == "429":
            handler._send(429, {"error": {"message": "slow down", "type": "requests"}},
                          {"retry-after": self.retry_after})
        elif behaviour == "hang":
            time.sleep(self.hang_seconds)
            handler.close_connection = True
        elif behaviour == "drop":
            handler.send_response(200)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", "5000")
            handler.end_headers()
            handler.wfile.write(b'{"id": "chatcmpl-drop", "choices": [{"mess')
            handler.wfile.flush()
            handler.connection.shutdown(socket.SHUT_RDWR)
            handler.close_connection = True
        else:
            handler._send(200, self._completion(behaviour, body))

    def _completion(self, behaviour: Behaviour, body: dict[str, Any]) -> dict[str, Any]:
        content: str | None
        finish = "stop"
        refusal = None
        if behaviour == "invalid_json":
            content = '{"claims": [{"subject": "unterminated'
        elif behaviour == "schema":
            content = json.dumps({"claims": [{"subject": "x"}]})
        elif behaviour == "length" or (behaviour == "length_if_long" and len(passage_of(body)) > 400):
            content, finish = '{"claims": [{"subject": "Acme", "attribute": "rev', "length"
        elif behaviour == "refusal":
            content, refusal = None, "I can't help with that."
        elif behaviour == "no_content":
            content = None
        elif behaviour == "wrong_quote":
            content = json.dumps({"claims": [{"subject": "Acme", "attribute": "revenue", "value": "9",
                                              "quote": "a sentence that is nowhere in the passage"}]})
        else:
            answer = (self.answer or default_answer)(body)
            content = json.dumps(answer)
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
        completion_tokens = len(content or "") // 4
        choices = [] if behaviour == "empty_choices" else [{
            "index": 0, "finish_reason": finish,
            "message": {"role": "assistant", "content": content, "refusal": refusal},
        }]
        return {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": body.get("model", "fake"),
            "choices": choices,
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }


def _peer_gone(connection: socket.socket) -> bool:
    """Whether the client closed its end (a killed process's sockets are closed by the kernel)."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def repeated_answers(bodies: list[dict[str, Any]]) -> list[str]:
    """The requests (by their messages) answered more than once: each is a call paid for twice."""
    seen = Counter(json.dumps(b.get("messages"), sort_keys=True) for b in bodies)
    return [messages for messages, n in seen.items() if n > 1]


def passage_of(body: dict[str, Any]) -> str:
    """The passage of an extraction request (between the triple quotes of the user message)."""
    user = next((m["content"] for m in body.get("messages", []) if m.get("role") == "user"), "")
    m = re.search(r'"""\n(.*)\n"""', str(user), re.S)
    return m.group(1) if m else ""


def request_kind(body: dict[str, Any]) -> str:
    """Which of verifier's calls a request is: 'extract', 'entities', 'questions' or 'judge'.

    Told by the response model's name, which instructor puts in the system message (and,
    for non-OpenAI hosts, verifier also sends in response_format).
    """
    text = json.dumps(body.get("messages", [])) + json.dumps(body.get("response_format") or {})
    for title, kind in (("EntityGrouping", "entities"), ("QuestionAssignment", "questions"),
                        ("GroupVerdict", "judge")):
        if title in text:
            return kind
    return "extract"


def numbered_items(body: dict[str, Any]) -> list[tuple[int, str]]:
    """The numbered lines ('12. …') of an alignment or judge request's user message: (number, rest)."""
    user = next((m["content"] for m in body.get("messages", []) if m.get("role") == "user"), "")
    return [(int(n), rest) for n, rest in re.findall(r"(?m)^(\d+)\. (.*)$", str(user))]


def default_answer(body: dict[str, Any]) -> dict[str, Any]:
    """Claims for every sentence with a figure and every "X is headquartered in Y"; alignment keeps
    every item on its own; the judge calls contradictory the figures code shows it as different in
    matching frames, and nothing else."""
    kind = request_kind(body)
    if kind == "entities":
        return {"groups": [{"name": (re.findall(r'"([^"]*)"', rest) or [rest])[0], "kind": "other", "members": [n]}
                           for n, rest in numbered_items(body)]}
    if kind == "questions":
        return {"questions": [{"question": f"What is stated in claim {n}?", "claims": [n]}
                              for n, _ in numbered_items(body)]}
    if kind == "judge":
        user = next((m["content"] for m in body.get("messages", []) if m.get("role") == "user"), "")
        pairs = re.findall(r"(?m)^\s*Code: (\d+) vs (\d+): [^\n]* differ[^\n]*; frames match", str(user))
        return {"contradictions": [{"a": int(a), "b": int(b), "conditions_match": True,
                                    "rationale": "The figures differ for the same thing."} for a, b in pairs],
                "agreements": []}
    claims: list[dict[str, Any]] = []
    for sentence in _SENTENCE_END.split(passage_of(body)):
        sentence = sentence.strip()
        based = _BASED.match(sentence)
        if based:
            claims.append({"subject": based.group("subject"), "attribute": "headquarters", "value": based.group("city"),
                           "conditions": [], "asserted_by": "", "hedged": False, "quote": sentence.rstrip(".!?")})
            continue
        figure = _FIGURE.search(sentence)
        subject = _SUBJECT.search(sentence)
        if not figure or not subject:
            continue
        attribute = _ATTRIBUTE.search(sentence)
        claims.append({
            "subject": subject.group(1), "attribute": attribute.group("attr") if attribute else "figure",
            "value": figure.group(0), "conditions": [], "asserted_by": "", "hedged": False,
            "quote": sentence.rstrip(".!?"),
        })
    return {"claims": claims}


# --- a PostgreSQL server of its own, for tests, benchmarks and CI ---------------------------------------

PG_USER, PG_PASSWORD = "verifier", "verifier"


def pg_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl): on the PATH, else Debian's place."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL server on loopback: `initdb` and `pg_ctl` in a temporary folder, run as
    the unprivileged `postgres` user when this process is root (the server refuses to run as root).
    Passwords are checked on TCP (scram-sha-256), so a wrong one is refused as in production."""

    port: int = 0
    folder: Path | None = None
    _user: str | None = None

    def start(self) -> PostgresServer:
        binaries = pg_bin()
        if binaries is None:
            raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.bin = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="verifier-pg-"))
        self._user = "postgres" if os.geteuid() == 0 else None
        if not self.port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        password = self.folder / "password"
        password.write_text(PG_PASSWORD + "\n")
        if self._user:
            shutil.chown(self.folder, self._user)
            shutil.chown(password, self._user)
        self._run("initdb", "-D", str(self.folder / "data"), "-U", PG_USER, f"--pwfile={password}",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8")
        self.pg_ctl("start", "-w", "-t", "60")
        return self

    def pg_ctl(self, action: str, *extra: str) -> None:
        """start, stop (fast), restart: the server's own control program."""
        assert self.folder is not None
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        if action == "start" or action == "restart":
            self._run("pg_ctl", action, "-D", str(self.folder / "data"), "-l", str(self.folder / "log"),
                      "-o", options, *extra)
        else:
            self._run("pg_ctl", action, "-D", str(self.folder / "data"), "-m", "fast", *extra)

    def url(self, database: str = "postgres", password: str = PG_PASSWORD) -> str:
        return f"postgresql://{PG_USER}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.folder is None:
            return
        try:
            self.pg_ctl("stop", "-w")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd=self.folder)


def main() -> None:
    """`python -m verifier.testing postgres`: start a throwaway server, print its URL, stop it on a line
    read from standard input (or its end). For benchmarks and manual trials."""
    server = PostgresServer().start()
    try:
        print(server.url(), flush=True)
        sys.stdin.readline()
    finally:
        server.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
