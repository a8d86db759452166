"""Shared fixtures: a temporary data folder, no ambient endpoint, and vcrpy set up to scrub.

Every test runs with VERIFIER_HOME in a temp dir and without OPENAI_* variables, so a
developer's own key or database can never leak into a test or change its outcome.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = ROOT / "tests" / "gold" / "seeds.json"
CASSETTES = ROOT / "cassettes"
# Where recordings are made: llama.cpp's OpenAI-compatible server on loopback (see README).
RECORD_URL = os.environ.get("VERIFIER_RECORD_URL", "http://127.0.0.1:8765/v1")

_SCRUBBED_RESPONSE_HEADERS = {"set-cookie", "openai-organization", "openai-project", "x-request-id", "cf-ray"}


def free_port() -> int:
    """A loopback port nobody listens on (free now; closed, so a connection to it is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@contextmanager
def served(app: Any) -> Iterator[str]:
    """An ASGI app served by uvicorn in a thread on a free loopback port; yields its base URL."""
    import uvicorn

    port = free_port()
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def verifier_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("VERIFIER_HOME", str(home))
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "VERIFIER_MODEL", "VERIFIER_SCHEMA_IN_RESPONSE_FORMAT",
                 "VERIFIER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return home


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in _SCRUBBED_RESPONSE_HEADERS:
            del headers[name]
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": ["authorization", "api-key", "x-api-key", "openai-organization", "openai-project",
                           "cookie"],
        "decode_compressed_response": True,
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "before_record_response": _scrub_response,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """One cassette a test, under the top-level cassettes/<test module>/."""
    return str(CASSETTES / request.module.__name__.split(".")[-1])


# --- the two engines: SQLite (the default) and PostgreSQL -----------------------------------------------

POSTGRES_REQUIRED = os.environ.get("VERIFIER_POSTGRES_REQUIRED") == "1"  # CI: no PostgreSQL is a failure


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """One PostgreSQL server for the session: CI's (VERIFIER_TEST_POSTGRES_URL names it, its admin
    database), else one started here; skipped when neither can be had (failed in CI)."""
    from verifier.testing import PostgresServer, pg_bin

    given = os.environ.get("VERIFIER_TEST_POSTGRES_URL")
    if given:
        yield _GivenServer(given)
        return
    if pg_bin() is None:
        if POSTGRES_REQUIRED:
            pytest.fail("PostgreSQL's server programs are not installed (VERIFIER_POSTGRES_REQUIRED=1)")
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    with PostgresServer() as server:
        yield server


class _GivenServer:
    """A server started outside the tests: databases are made and dropped in it through its admin URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def both_engines(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test on SQLite, then on a fresh PostgreSQL database (VERIFIER_DATABASE_URL, as a user sets it)."""
    if request.param == "sqlite":
        monkeypatch.delenv("VERIFIER_DATABASE_URL", raising=False)
        yield "sqlite"
        return
    server = request.getfixturevalue("postgres")
    name = f"t_{os.getpid()}_{time.monotonic_ns()}"
    monkeypatch.setenv("VERIFIER_DATABASE_URL", server.create_database(name))
    try:
        yield "postgresql"
    finally:
        server.drop_database(name)
