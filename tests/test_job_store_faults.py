"""A store that stops taking writes while batches run never leaves a job `running` for ever.

The database made read-only under a running server (`chmod`, a full disk) used to end the
worker thread silently: the job stayed `running`, a cancel did nothing, and restoring the
permissions did not help until a restart. Root ignores file modes, so the store is made
read-only here where it checks for that (`os.access`), as a chmod does for anyone else.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import SEEDS
from verifier import pipeline, store
from verifier.service import FINISHED, BatchService
from verifier.web import create_app

WAIT = 60.0


class ReadOnly:
    """Switches the store to read-only (as the database file's mode would) and back."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
        self.on = False
        real = os.access
        database = str(home / store.DATABASE)
        monkeypatch.setattr(store.os, "access",
                            lambda path, mode: not (self.on and str(path) == database and mode & os.W_OK)
                            and real(path, mode))
        save = store.Store.save_document

        def saving(*args: object, **kwargs: object) -> None:  # a connection opened before: its writes fail too
            if self.on:
                raise sqlite3.OperationalError("attempt to write a readonly database")
            save(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(store.Store, "save_document", saving)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Batches wait before their first document until the event is set."""
    gate = threading.Event()
    real = pipeline.extract.extract_documents

    def waiting(documents, **kwargs):  # type: ignore[no-untyped-def]
        admit = kwargs["admit"]
        kwargs["admit"] = lambda doc: gate.wait(WAIT) and admit(doc)
        return real(documents, **kwargs)

    monkeypatch.setattr(pipeline.extract, "extract_documents", waiting)
    yield gate
    gate.set()


@pytest.fixture
def served(verifier_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[BatchService, TestClient, ReadOnly]]:
    """A batch service (one worker) behind the app, and the switch that makes its store read-only."""
    service = BatchService(home=verifier_home)
    service.start()
    client = TestClient(create_app(home=verifier_home, service=service), base_url="http://localhost")
    yield service, client, ReadOnly(monkeypatch, verifier_home)
    service.close()


def _files() -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (p.name, p.read_bytes(), "text/plain")) for p in sorted(SEEDS.iterdir())]


def _ended(client: TestClient, url: str) -> dict[str, object]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        answer = client.get(url)
        if answer.status_code == 200 and answer.json()["status"] in FINISHED:
            return dict(answer.json())
        time.sleep(0.05)
    raise AssertionError(f"{url} never ended: {answer.status_code} {answer.text}")


def _running(client: TestClient, url: str) -> None:
    deadline = time.monotonic() + WAIT
    while client.get(url).json()["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_job_whose_store_goes_read_only_fails_with_one_line_and_says_so_once_it_is_writable(
        verifier_home: Path, served: tuple[BatchService, TestClient, ReadOnly], held: threading.Event) -> None:
    service, client, read_only = served
    job = client.post("/api/batches", files=_files(), data={"backend": "rules"}).json()
    _running(client, job["url"])
    read_only.on = True
    held.set()  # the batch commits its first document into a store that refuses it
    deadline = time.monotonic() + WAIT
    while service.working(job["id"]):  # its worker ends it while the store still refuses writes
        assert time.monotonic() < deadline, "the job's worker never let go"
        time.sleep(0.05)
    refused = client.get(job["url"])
    assert refused.status_code == 503 and "read-only" in refused.json()["detail"]
    read_only.on = False
    failed = _ended(client, job["url"])
    error = str(failed["error"])  # the batch's store refused it at its start or at its first commit
    assert failed["status"] == "failed" and error.startswith("the store cannot be used: "), failed
    assert ("read-only" in error or "readonly" in error) and "\n" not in error and str(verifier_home) not in error
    with sqlite3.connect(verifier_home / store.DATABASE) as db:  # written, not only shown
        assert db.execute("SELECT status FROM jobs WHERE id = ?", (job["id"],)).fetchone() == ("failed",)
    again = client.post("/api/batches", files=_files(), data={"backend": "rules"}).json()
    assert _ended(client, again["url"])["status"] == "done"  # the same documents, submitted again


def test_a_cancel_lands_while_the_store_cannot_be_read(served: tuple[BatchService, TestClient, ReadOnly],
                                                      held: threading.Event) -> None:
    _, client, read_only = served
    job = client.post("/api/batches", files=_files(), data={"backend": "rules"}).json()
    _running(client, job["url"])
    read_only.on = True
    answer = client.post(f"{job['url']}/cancel")
    assert answer.status_code == 503 and len(answer.json()["detail"].splitlines()) == 1
    read_only.on = False
    held.set()
    cancelled = _ended(client, job["url"])
    assert cancelled["status"] == "cancelled" and cancelled["documents_done"] == 0, cancelled


def test_a_queued_job_the_store_cannot_start_fails_with_one_line(
        verifier_home: Path, served: tuple[BatchService, TestClient, ReadOnly], held: threading.Event) -> None:
    service, client, read_only = served  # one worker: the second job waits its turn
    first = client.post("/api/batches", files=_files()[:2], data={"backend": "rules"}).json()
    second = client.post("/api/batches", files=_files()[2:], data={"backend": "rules"}).json()
    _running(client, first["url"])
    read_only.on = True
    held.set()
    deadline = time.monotonic() + WAIT
    while service.changes.version(second["id"]) == 0 or service.working(second["id"]):
        assert time.monotonic() < deadline, "the second job was never started and ended"
        time.sleep(0.05)
    read_only.on = False
    assert _ended(client, first["url"])["status"] == "failed"
    failed = _ended(client, second["url"])
    assert failed["status"] == "failed" and str(failed["error"]).startswith("the store cannot be used: "), failed
    assert "is read-only" in str(failed["error"]) and str(verifier_home) not in str(failed["error"])
