"""`verifier serve` hardened: Host allow-list, CSRF, the token kept out of logs and cookies, limits.

Only HTTP and the command line are used here, so each test also runs (and fails) against
a server without these defences.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import SEEDS
from verifier.cli import cli
from verifier.web import create_app

TOKEN = "tok-4e1f9c2a7d"
CROSS_SITE = {"Origin": "http://evil.example"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store with the seeds' flags, shared by the tests (they only add decisions)."""
    base = tmp_path_factory.mktemp("serve")
    result = CliRunner(env={"VERIFIER_HOME": str(base / "home")}).invoke(
        cli, ["run", str(SEEDS), "--out", str(base / "out")])
    assert result.exit_code == 0, result.output
    return base / "home"


@pytest.fixture
def flag_id(home: Path) -> str:
    found: list[dict[str, Any]] = TestClient(create_app(home), base_url="http://localhost").get("/api/flags").json()
    return str(found[0]["id"])


def _client(home: Path, token: str | None = None, base_url: str = "http://localhost", **options: Any) -> TestClient:
    return TestClient(create_app(home, token, **options), base_url=base_url)


def _csrf(client: TestClient) -> str:
    token: str = client.get("/api/session").json()["csrf_token"]
    return token


def _decision(note: str = "") -> dict[str, str]:
    return {"decision": "confirmed", "note": note, "reviewer": "test"}


# --- Host -------------------------------------------------------------------------------------------


def test_only_loopback_names_and_allowed_hosts_are_answered(home: Path) -> None:
    for url in ("http://localhost:8000", "http://127.0.0.1:8000", "http://[::1]:8000"):
        assert _client(home, base_url=url).get("/api/flags").status_code == 200, url
    refused = _client(home, base_url="http://rebound.example:8000").get("/api/flags")
    assert refused.status_code == 400
    assert refused.json()["detail"] == "host 'rebound.example' is not allowed (start verifier serve with " \
                                       "--allowed-host rebound.example)"
    assert _client(home, base_url="http://review.example", allowed_hosts=["review.example"]).get(
        "/api/flags").status_code == 200
    assert _client(home, TOKEN, base_url="http://10.1.2.3:8000", host="10.1.2.3").get(
        "/api/flags", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200  # the bound host


def _served(monkeypatch: pytest.MonkeyPatch, *args: str, env: dict[str, str] | None = None) -> tuple[Any, FastAPI]:
    """Run `verifier serve ARGS` with uvicorn.run stubbed: (the CLI result, the app it would serve)."""
    import uvicorn

    served: list[FastAPI] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    result = CliRunner(env=env).invoke(cli, ["serve", *args])
    assert result.exit_code == 0, result.output
    return result, served[0]


def test_serve_allowed_host_option(monkeypatch: pytest.MonkeyPatch) -> None:
    _, app = _served(monkeypatch, "--allowed-host", "review.example", "--allowed-host", "other.example")
    assert TestClient(app, base_url="http://review.example:8000").get("/").status_code == 200
    assert TestClient(app, base_url="http://other.example").get("/").status_code == 200
    assert TestClient(app, base_url="http://third.example").get("/").status_code == 400


# --- CSRF -------------------------------------------------------------------------------------------


def test_cookie_sessions_need_the_same_origin_and_the_csrf_token(home: Path, flag_id: str) -> None:
    client = _client(home)
    url = f"/api/flags/{flag_id}/decisions"
    # a page on another site, even before any visit: the browser sends its Origin
    assert client.post(url, json=_decision(), headers=CROSS_SITE).status_code == 403
    token = _csrf(client)  # now the client holds a session cookie, as a browser would
    assert client.post(url, json=_decision()).status_code == 403  # no CSRF token
    assert client.post(url, json=_decision(), headers={"X-CSRF-Token": "f" * 64}).status_code == 403
    cross = client.post(url, json=_decision(), headers={"X-CSRF-Token": token, **CROSS_SITE})
    assert cross.status_code == 403
    assert cross.json()["detail"] == "cross-site request refused: Origin http://evil.example is not http://localhost"
    referer = {"X-CSRF-Token": token, "Referer": "http://evil.example/page"}
    assert client.post(url, json=_decision(), headers=referer).status_code == 403
    own = {"X-CSRF-Token": token, "Origin": "http://localhost"}
    assert client.post(url, json=_decision(), headers=own).status_code == 201
    other = _client(home)  # another session's token is no good
    other.get("/api/session")
    assert other.post(url, json=_decision(), headers={"X-CSRF-Token": token}).status_code == 403


def test_a_script_with_no_cookie_origin_or_referer_needs_no_csrf_token(home: Path, flag_id: str) -> None:
    # curl or httpx against a loopback server without --token: no ambient credential, no page
    script = _client(home)
    assert script.post(f"/api/flags/{flag_id}/decisions", json=_decision()).status_code == 201


def test_the_api_hands_out_no_cookie_so_a_script_client_keeps_posting(home: Path, flag_id: str) -> None:
    script = _client(home)  # keeps cookies, as httpx.Client does
    url = f"/api/flags/{flag_id}/decisions"
    for _ in range(2):  # the second POST is the one a cookie kept from the first answer turned into a 403
        answer = script.post(url, json=_decision())
        assert answer.status_code == 201 and "set-cookie" not in answer.headers, answer.text
    assert "set-cookie" not in script.get("/api/flags").headers and not script.cookies
    browser = _client(home)
    assert "set-cookie" in browser.get("/").headers  # a page's forms need the session
    refused = browser.post(url, json=_decision())
    assert refused.status_code == 403 and "X-CSRF-Token (from GET /api/session" in refused.json()["detail"]
    assert browser.post(url, json=_decision(), headers={"X-CSRF-Token": _csrf(browser)}).status_code == 201


def test_the_html_form_needs_its_csrf_field(home: Path, flag_id: str) -> None:
    client = _client(home)
    page = client.get(f"/flags/{flag_id}")
    url = f"/flags/{flag_id}/decide"
    assert client.post(url, data=_decision(), follow_redirects=False).status_code == 403
    token = _csrf(client)
    assert f'name="csrf_token" value="{token}"' in page.text
    cross = client.post(url, data={**_decision(), "csrf_token": token}, headers=CROSS_SITE, follow_redirects=False)
    assert cross.status_code == 403
    done = client.post(url, data={**_decision(), "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303


def test_bearer_clients_skip_csrf_but_token_cookies_do_not(home: Path, flag_id: str) -> None:
    url = f"/api/flags/{flag_id}/decisions"
    api = _client(home, TOKEN)
    for header in ({"Authorization": f"Bearer {TOKEN}"}, {"X-Verifier-Token": TOKEN}):
        assert api.post(url, json=_decision(), headers=header).status_code == 201
    browser = _client(home, TOKEN)
    assert browser.get(f"/?token={TOKEN}").status_code == 200
    assert browser.post(url, json=_decision()).status_code == 403  # the cookie alone is ambient
    assert browser.post(url, json=_decision(), headers={"X-CSRF-Token": _csrf(browser)}).status_code == 201


# --- the token stays secret ----------------------------------------------------------------------------


def test_the_cookie_is_a_signed_session_never_the_token(home: Path) -> None:
    client = _client(home, TOKEN)
    login = client.get(f"/?token={TOKEN}&status=all", follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/?status=all"  # the token leaves the URL
    cookie = login.headers["set-cookie"]
    assert TOKEN not in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/api/flags").status_code == 200  # the session cookie authenticates
    forged = _client(home, TOKEN)
    forged.cookies.set("verifier_token", TOKEN)
    forged.cookies.set("verifier_session", "made-up.0000")
    assert forged.get("/api/flags").status_code == 401


@pytest.mark.parametrize("how", ["flag", "file", "env"])
def test_the_start_up_line_names_the_source_not_the_token(how: str, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    secret_file = tmp_path / "token"
    secret_file.write_text(TOKEN + "\n")
    args, env, source = {
        "flag": (["--token", TOKEN], None, "--token"),
        "file": (["--token-file", str(secret_file)], None, f"file {secret_file}"),
        "env": ([], {"VERIFIER_TOKEN": TOKEN}, "$VERIFIER_TOKEN"),
    }[how]
    result, app = _served(monkeypatch, "--host", "0.0.0.0", *args, env=env)
    assert TOKEN not in result.output and f"token from {source}" in result.stderr
    client = TestClient(app, base_url="http://127.0.0.1:8000")
    assert client.get("/openapi.json").status_code == 401
    assert client.get("/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_empty_or_doubled_token_options_are_one_line_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    for args in (["--token-file", str(empty)], ["--token", "a", "--token-file", str(empty)],
                 ["--token-file", str(tmp_path / "missing")]):
        result = CliRunner().invoke(cli, ["serve", *args])
        assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1, result.output


# --- unknown batches and filters -------------------------------------------------------------------


def test_unknown_batches_are_404_and_unknown_filters_422(home: Path, flag_id: str) -> None:
    client = _client(home)
    for url in (f"/flags/{flag_id}", f"/api/flags/{flag_id}", "/api/flags", "/"):
        answer = client.get(url, params={"batch": "unknown"})
        assert answer.status_code == 404, url
        if url.startswith("/api"):
            assert answer.json() == {"detail": "no batch 'unknown'"}, url
    for url in ("/api/flags", "/"):
        for params in ({"status": "bogus"}, {"severity": "bogus"}):
            assert client.get(url, params=params).status_code == 422, (url, params)
    assert client.get("/", params={"severity": ""}).status_code == 200  # the form's "any"


def test_show_with_an_unknown_batch_is_an_error(home: Path, flag_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERIFIER_HOME", str(home))
    result = CliRunner().invoke(cli, ["show", flag_id, "--batch", "unknown"])
    assert result.exit_code == 1 and result.stderr.strip() == "Error: no batch 'unknown'"


# --- limits ------------------------------------------------------------------------------------------


BEARER = {"Authorization": f"Bearer {TOKEN}"}  # exempt from CSRF, so only the limits are tested


def test_long_notes_are_refused(home: Path, flag_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client(home, TOKEN)
    url = f"/api/flags/{flag_id}/decisions"
    assert client.post(url, json=_decision("x" * 10_000), headers=BEARER).status_code == 201
    long = client.post(url, json=_decision("x" * 10_001), headers=BEARER)
    assert long.status_code == 422 and long.json() == {"detail": "note is 10001 characters; the limit is 10000"}
    form = client.post(f"/flags/{flag_id}/decide", data=_decision("x" * 10_001), headers=BEARER,
                       follow_redirects=False)
    assert form.status_code == 422
    _, app = _served(monkeypatch, "--max-note-chars", "5", env={"VERIFIER_TOKEN": TOKEN})
    monkeypatch.setenv("VERIFIER_HOME", str(home))
    small = TestClient(app, base_url="http://localhost")
    assert small.post(url, json=_decision("12345"), headers=BEARER).status_code == 201
    assert small.post(url, json=_decision("123456"), headers=BEARER).status_code == 422


def _chunks(size: int) -> Iterator[bytes]:
    yield b'{"decision": "confirmed", "note": "'
    for _ in range(size // 65_536 + 1):
        yield b"x" * 65_536
    yield b'"}'


def test_bodies_over_a_megabyte_are_refused(home: Path, flag_id: str) -> None:
    client = _client(home, TOKEN)
    headers = {**BEARER, "Content-Type": "application/json"}
    url = f"/api/flags/{flag_id}/decisions"
    padded = b'{"decision": "confirmed"' + b" " * 1_100_000 + b"}"
    big = client.post(url, content=padded, headers=headers)
    assert big.status_code == 413 and big.json() == {"detail": "request body over 1000000 bytes"}
    streamed = client.post(url, content=_chunks(1_100_000), headers=headers)  # no Content-Length
    assert streamed.status_code == 413


def test_a_form_over_the_limit_is_refused_before_its_csrf_field_is_read(home: Path, flag_id: str) -> None:
    client = _client(home)
    client.get("/api/session")
    huge = {**_decision("x" * 1_100_000)}
    assert client.post(f"/flags/{flag_id}/decide", data=huge, follow_redirects=False).status_code == 413


def test_an_upload_path_can_have_a_larger_limit(home: Path, flag_id: str) -> None:
    url = f"/api/flags/{flag_id}/decisions"
    client = _client(home, TOKEN, body_limits={url: 2_000_000})
    padded = b'{"decision": "confirmed"' + b" " * 1_100_000 + b"}"
    headers = {**BEARER, "Content-Type": "application/json"}
    assert client.post(url, content=padded, headers=headers).status_code == 201
    assert client.post(url, content=_chunks(2_100_000), headers=headers).status_code == 413


def test_every_page_carries_the_csrf_token_for_scripts(home: Path) -> None:
    client = _client(home)
    page = client.get("/")
    assert f'<meta name="csrf-token" content="{_csrf(client)}">' in page.text


def test_a_database_that_goes_bad_while_serving_is_a_503_with_one_line(home: Path, flag_id: str) -> None:
    client = _client(home)
    assert client.get("/api/flags").status_code == 200
    (home / "verifier.db").write_bytes(b"this is no database any more " * 100)
    for wal in home.glob("verifier.db-*"):
        wal.unlink()
    answer = client.get("/api/flags")
    assert answer.status_code == 503 and answer.json()["detail"].startswith("the store cannot be used: ")
