"""Batches over HTTP: submit, follow, fetch the report, cancel; limits and auth on every route."""

from __future__ import annotations

import faulthandler
import json
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from tests.conftest import SEEDS
from verifier.cli import cli
from verifier.service import BatchService, Limits
from verifier.store import Jobs
from verifier.web import create_app

TOKEN = "t0ken-for-tests"
pytestmark = pytest.mark.usefixtures("both_engines")


def _seed_files() -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (p.name, p.read_bytes(), "text/plain")) for p in sorted(SEEDS.iterdir())]


def _client(verifier_home: Path, **kwargs: object) -> tuple[TestClient, BatchService]:
    service = BatchService(home=verifier_home, **kwargs)  # type: ignore[arg-type]
    service.start()
    client = TestClient(create_app(home=verifier_home, service=service), base_url="http://localhost")
    # a browser-like client: it keeps the session cookie, so it sends the session's CSRF token
    client.headers["X-CSRF-Token"] = client.get("/api/session").json()["csrf_token"]
    return client, service


def _wait(client: TestClient, url: str, seconds: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job: dict[str, object] = client.get(url).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    faulthandler.dump_traceback(file=sys.stderr)  # where every thread stood: a hang says where it hung
    raise AssertionError(f"{url} did not finish in {seconds:.0f} s; last seen: {job}")


def _findings(report: dict[str, object]) -> tuple[list[str], list[str]]:
    return (sorted(f["id"] for f in report["contradictions"]),  # type: ignore[attr-defined,index]
            sorted(f["id"] for f in report["corroborations"]))  # type: ignore[attr-defined,index]


def test_an_uploaded_batch_runs_in_the_background_and_reports_what_the_cli_finds(
        verifier_home: Path, tmp_path: Path) -> None:
    client, service = _client(verifier_home)
    answer = client.post("/api/batches", files=_seed_files(), data={"backend": "rules"})
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert answer.headers["location"] == job["url"] and job["documents_total"] == 5
    finished = _wait(client, job["url"])
    assert finished["status"] == "done" and finished["documents_done"] == 5, finished
    report = client.get(f"{job['url']}/report").json()
    markdown = client.get(f"{job['url']}/report.md")
    assert markdown.headers["content-type"].startswith("text/markdown") and "# Verification report" in markdown.text

    assert CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(tmp_path / "cli")]).exit_code == 0
    by_cli = json.loads((tmp_path / "cli" / "report.json").read_text())
    assert _findings(report) == _findings(by_cli) and report["contradictions"]

    queue = client.get("/api/flags", params={"batch": finished["batch"]}).json()  # one shared review queue
    assert sorted(f["id"] for f in queue) == _findings(report)[0]
    assert sorted(d["path"] for d in report["documents"]) == sorted(p.name for p in SEEDS.iterdir())
    assert str(verifier_home) not in json.dumps(report) + markdown.text  # the server's folders stay its own
    stored = sorted(p.name for p in (verifier_home / "uploads").glob("*/*"))
    assert stored == sorted(p.name for p in SEEDS.iterdir())  # kept by content hash, under the server's home
    assert [j["id"] for j in client.get("/api/batches").json()] == [job["id"]]
    service.close()


def test_json_documents_and_progress_as_server_sent_events(verifier_home: Path) -> None:
    client, service = _client(verifier_home)
    documents = [{"name": p.name, "text": p.read_text(encoding="utf-8")} for p in sorted(SEEDS.iterdir())]
    job = client.post("/api/batches", json={"documents": documents, "backend": "rules"}).json()
    events = []
    with client.stream("GET", f"{job['url']}/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line.removeprefix("data: ")))
    progress, end = events[:-1], events[-1]
    assert end == {"status": "done"}
    assert progress[-1]["documents_done"] == progress[-1]["documents_total"] == 5
    assert [p["documents_done"] for p in progress] == sorted(p["documents_done"] for p in progress)
    service.close()


@pytest.mark.parametrize(("files", "status", "reason"), [
    ([("files", ("a.txt", b"x" * 2048, "text/plain"))], 413, "at most 1,024 per file"),
    ([("files", (f"{n}.txt", b"Acme grew 5%.", "text/plain")) for n in range(4)], 413, "at most 3 files per batch"),
    ([("files", ("run.exe", b"MZ....", "application/octet-stream"))], 415, "type '.exe' is not one of"),
    ([("files", ("empty.txt", b"", "text/plain"))], 400, "is empty"),
    ([], 400, "no files"),
])
def test_uploads_over_the_limits_are_refused_and_leave_nothing_behind(
        verifier_home: Path, files: list[object], status: int, reason: str) -> None:
    client, service = _client(verifier_home, limits=Limits(max_files=3, max_file_bytes=1024, max_batch_bytes=4096))
    answer = client.post("/api/batches", files=files or None, data={"backend": "rules"})  # type: ignore[arg-type]
    assert answer.status_code == status and reason in answer.json()["detail"], answer.text
    assert client.get("/api/batches").json() == []
    assert not list((verifier_home / "uploads").glob("**/*")) if (verifier_home / "uploads").exists() else True
    service.close()


_UPLOAD = [("files", ("a.txt", b"Acme grew 5%.", "text/plain"))]


@pytest.mark.parametrize(("content_type", "body", "reason"), [
    ("multipart/form-data; boundary=xyz", b"garbage, not multipart at all", "malformed multipart body: "),
    ("multipart/form-data", b"--xyz\r\n\r\nno boundary declared\r\n--xyz--\r\n", "Missing boundary"),
    (None, ("x" * 5000 + ".txt", b"Acme grew 5%."), "malformed multipart body: Maximum header size exceeded"),
])
def test_a_malformed_multipart_body_is_a_400_that_says_so(
        verifier_home: Path, content_type: str | None, body: object, reason: str) -> None:
    client, service = _client(verifier_home)
    if content_type is None:  # a well-formed body whose part header (a 5,000-character file name) is too long
        answer = client.post("/api/batches", files=[("files", (*body, "text/plain"))])  # type: ignore[misc]
    else:
        answer = client.post("/api/batches", content=body, headers={"content-type": content_type})  # type: ignore[arg-type]
    detail = answer.json()["detail"]
    assert answer.status_code == 400 and reason in detail and "files" not in detail, answer.text
    assert len(detail.splitlines()) == 1 and client.get("/api/batches").json() == []
    too_many = client.post("/api/batches", files=_UPLOAD * 501)
    assert too_many.status_code == 413
    assert too_many.json()["detail"] == "more than 500 files; at most 500 files per batch"  # a limit stays a 413
    service.close()


def test_a_long_file_name_keeps_its_type(verifier_home: Path) -> None:
    client, service = _client(verifier_home)
    answer = client.post("/api/batches", files=[("files", ("n" * 500 + ".txt", b"Acme's revenue was $5 billion."))],
                         data={"backend": "rules"})
    assert answer.status_code == 202, answer.text
    [name] = answer.json()["documents"]
    assert _wait(client, answer.json()["url"])["status"] == "done"
    [stored] = (verifier_home / "uploads").glob("*/*")
    assert stored.suffix == ".txt" and len(stored.name) <= 120 and name.startswith("nnn")
    service.close()


def test_errors_name_documents_as_submitted_never_where_the_server_keeps_them(verifier_home: Path) -> None:
    client, service = _client(verifier_home)
    unreadable = [("files", ("scan.pdf", b"%PDF-1.7 not really a pdf", "application/pdf"))]
    job = client.post("/api/batches", files=unreadable, data={"backend": "rules"}).json()
    failed = _wait(client, job["url"])
    assert failed["status"] == "failed" and "scan.pdf" in failed["error"], failed
    assert str(verifier_home) not in failed["error"] and "uploads" not in failed["error"], failed["error"]
    assert str(verifier_home) not in client.get("/batches").text
    service.close()


def test_a_status_read_while_a_job_ends_never_writes_the_old_status_back(
    verifier_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every status read flushes the job fields not yet written; a read that had taken "running"
    must not write it over the "done" the worker wrote meanwhile (the job then stayed running)."""
    service = BatchService(home=verifier_home, workers=0)
    with service._jobs() as jobs:
        jobs.add("j1", "2026-12-04T10:00:00+00:00", {"names": ["a.txt"]}, ["a.txt"])
    update = Jobs.update
    slow_write_started = threading.Event()

    def slow_running(self: Jobs, job_id: str, **fields: object) -> None:
        if fields.get("status") == "running":  # the stale write is slow, so the worker's lands first
            slow_write_started.set()
            time.sleep(0.5)
        update(self, job_id, **fields)

    monkeypatch.setattr(Jobs, "update", slow_running)
    reader = threading.Thread(target=service._persist, args=("j1",), kwargs={"status": "running"})
    reader.start()
    assert slow_write_started.wait(5)
    service._persist("j1", status="done", finished="2026-12-04T10:00:01+00:00")
    reader.join()
    assert service.status("j1").status == "done"
    with service._jobs() as jobs:
        stored = jobs.get("j1")
    assert stored is not None and stored.status == "done"
    service.close()


def test_a_budget_is_refused_where_only_workers_would_run_the_batch(verifier_home: Path) -> None:
    client, service = _client(verifier_home, workers=0)
    files = [("files", ("a.txt", b"Acme's revenue was $5 billion.", "text/plain"))]
    refused = client.post("/api/batches", files=files, data={"backend": "rules", "max_cost": "1.5"})
    assert refused.status_code == 400 and "max_cost" in refused.json()["detail"]
    assert client.get("/api/batches").json() == []  # nothing queued that would overspend
    accepted = client.post("/api/batches", files=files, data={"backend": "rules"})
    assert accepted.status_code == 202, accepted.text
    service.close()


def test_a_body_over_the_batch_limit_is_refused_before_it_is_read(verifier_home: Path) -> None:
    client, service = _client(verifier_home, limits=Limits(max_batch_bytes=1024))
    big = [("files", ("big.txt", b"y" * (3 * 1024 * 1024), "text/plain"))]
    answer = client.post("/api/batches", files=big)
    assert answer.status_code == 413 and "bytes" in answer.json()["detail"]
    service.close()


def test_path_like_names_are_stored_under_the_home_by_content(verifier_home: Path, tmp_path: Path) -> None:
    client, service = _client(verifier_home)
    files = [("files", ("../../etc/evil.txt", b"Acme's revenue was $5 billion.", "text/plain")),
             ("files", ("..\\..\\boot.ini.md", b"Acme's revenue was $4 billion.", "text/plain"))]
    job = client.post("/api/batches", files=files, data={"backend": "rules"}).json()
    assert _wait(client, job["url"])["status"] == "done"
    stored = [p for p in (verifier_home / "uploads").rglob("*") if p.is_file()]
    assert sorted(p.name for p in stored) == ["boot.ini.md", "evil.txt"]
    assert all(p.resolve().is_relative_to(verifier_home.resolve()) for p in stored)
    assert not (tmp_path / "etc").exists()
    service.close()


def test_server_side_paths_only_under_the_allowed_root(verifier_home: Path, tmp_path: Path) -> None:
    client, service = _client(verifier_home)
    refused = client.post("/api/batches", json={"paths": [str(SEEDS)], "backend": "rules"})
    assert refused.status_code == 403 and "--allow-root" in refused.json()["detail"]
    service.close()

    root = tmp_path / "root"
    (root / "inside").mkdir(parents=True)
    (root / "inside" / "a.txt").write_text("Acme's revenue was $5 billion.", encoding="utf-8")
    (root / "escape").symlink_to(SEEDS)
    (root / "inside" / "sneaky.txt").symlink_to(SEEDS / sorted(p.name for p in SEEDS.iterdir())[0])
    client, service = _client(verifier_home, allow_root=root)
    for outside in ("../", "escape", str(SEEDS)):
        answer = client.post("/api/batches", json={"paths": [outside], "backend": "rules"})
        assert answer.status_code == 403 and "outside the allowed folder" in answer.json()["detail"], outside
    sneaky = client.post("/api/batches", json={"paths": ["inside"], "backend": "rules"})
    assert sneaky.status_code == 403 and "points outside the allowed folder" in sneaky.json()["detail"]
    (root / "inside" / "sneaky.txt").unlink()
    job = client.post("/api/batches", json={"paths": ["inside"], "backend": "rules"}).json()
    assert _wait(client, job["url"])["status"] == "done"
    service.close()


def test_a_client_cannot_point_the_server_at_another_endpoint(verifier_home: Path) -> None:
    client, service = _client(verifier_home)
    answer = client.post("/api/batches", files=_seed_files(), data={"backend": "llm", "base_url": "http://evil/v1"})
    assert answer.status_code == 403 and "--allow-client-endpoints" in answer.json()["detail"]
    answer = client.post("/api/batches", files=_seed_files(), data={"backend": "llm"})
    assert answer.status_code == 400 and "has none configured" in answer.json()["detail"]
    service.close()


def test_unknown_batches_are_404_and_unfinished_reports_409(verifier_home: Path) -> None:
    client, service = _client(verifier_home)
    for route in ("", "/report", "/report.md", "/events"):
        assert client.get(f"/api/batches/jnope{route}").status_code == 404
    assert client.post("/api/batches/jnope/cancel").status_code == 404
    service.close()


def test_cancel_stops_a_batch_and_keeps_what_was_done(verifier_home: Path) -> None:
    gate = threading.Event()
    client, service = _client(verifier_home)
    from verifier import pipeline

    real = pipeline.extract.extract_documents

    def slow(documents, **kwargs):  # type: ignore[no-untyped-def]
        admit = kwargs["admit"]
        kwargs["admit"] = lambda doc: gate.wait(10) and admit(doc)
        return real(documents, **kwargs)

    pipeline.extract.extract_documents = slow  # type: ignore[assignment]
    try:
        job = client.post("/api/batches", files=_seed_files(), data={"backend": "rules"}).json()
        while client.get(job["url"]).json()["status"] != "running":
            time.sleep(0.05)
        cancelled = client.post(f"{job['url']}/cancel").json()
        gate.set()
        finished = _wait(client, job["url"])
    finally:
        pipeline.extract.extract_documents = real  # type: ignore[assignment]
    assert cancelled["status"] in ("running", "cancelled") and finished["status"] == "cancelled"
    assert finished["documents_done"] < 5 and client.get(f"{job['url']}/report").status_code == 409
    service.close()


def test_every_batch_route_refuses_a_missing_or_wrong_token(verifier_home: Path) -> None:
    service = BatchService(home=verifier_home)
    client = TestClient(create_app(home=verifier_home, token=TOKEN, service=service), base_url="http://localhost")
    routes = [("post", "/api/batches"), ("get", "/api/batches"), ("get", "/api/batches/j1"),
              ("get", "/api/batches/j1/report"), ("get", "/api/batches/j1/report.md"),
              ("post", "/api/batches/j1/cancel"), ("get", "/api/batches/j1/events"), ("get", "/batches")]
    for method, route in routes:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            assert getattr(client, method)(route, headers=headers).status_code == 401, (route, headers)
    ok = client.get("/api/batches", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json() == []
    service.close()


def test_the_batches_page_has_an_upload_form_and_the_list(verifier_home: Path) -> None:
    client, service = _client(verifier_home)
    job = client.post("/api/batches", files=_seed_files(), data={"backend": "rules"}).json()
    _wait(client, job["url"])
    page = client.get("/batches").text
    assert 'type="file" name="files" multiple' in page and f'id="job-{job["id"]}"' in page
    assert "review queue" in page
    service.close()


def test_openapi_documents_the_batch_routes(verifier_home: Path) -> None:
    client, service = _client(verifier_home)
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for route in ("/api/batches", "/api/batches/{job_id}", "/api/batches/{job_id}/report",
                  "/api/batches/{job_id}/report.md", "/api/batches/{job_id}/cancel", "/api/batches/{job_id}/events"):
        assert route in paths, route
    upload = paths["/api/batches"]["post"]["requestBody"]["content"]
    assert "files" in upload["multipart/form-data"]["schema"]["properties"]
    assert "documents" in upload["application/json"]["schema"]["properties"]
    assert "JobStatus" in spec["components"]["schemas"]
    service.close()
