"""The store on both engines: one list of migrations, a database of the previous release upgraded in
place, and one-line errors for a database that cannot be reached or refuses the credentials."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, SEEDS
from verifier import review
from verifier.cli import cli
from verifier.database import PostgreSQLDatabase
from verifier.models import Document
from verifier.store import MIGRATIONS, Jobs, Store, WorkQueue

# made by the code of 2026-12-04 (migrations 1-6): `verifier run seeds/`, one flag confirmed by
# 'ana', and one job queued over HTTP
RELEASED = ROOT / "tests" / "fixtures" / "upgrade" / "main-2026-12-04.db"
RELEASED_LEVEL = 6
TABLES = ("batches", "documents", "claims", "findings", "decisions", "entities", "questions", "jobs", "explained")

pytestmark = pytest.mark.usefixtures("both_engines")


def test_migrations_build_a_blank_database_once(both_engines: str) -> None:
    store = Store.open()
    try:
        assert store.engine == both_engines
        assert store.migrate() == []
        assert store.migrations() == list(range(1, len(MIGRATIONS) + 1))
        assert {"batches", "claims", "jobs", "slices", "workers", "answers", "uploads"} <= store.tables()
    finally:
        store.close()
    again = Store.open()  # opened again (another worker starting): nothing is applied twice
    assert again.migrate() == [] and again.migrations() == list(range(1, len(MIGRATIONS) + 1))
    again.close()


def _released_rows() -> Iterator[tuple[str, list[str], list[tuple[Any, ...]]]]:
    source = sqlite3.connect(RELEASED)
    for table in TABLES:
        cursor = source.execute(f"SELECT * FROM {table}")
        yield table, [d[0] for d in cursor.description], cursor.fetchall()
    source.close()


def _released_database_on_postgresql(url: str) -> None:
    """The released schema (migrations 1-6 in PostgreSQL's spelling) holding the released database's rows."""
    db = PostgreSQLDatabase(url)
    db.execute("CREATE TABLE _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)")
    for number, migration in enumerate(MIGRATIONS[:RELEASED_LEVEL], start=1):
        for statement in migration.statements("postgresql"):
            db.execute(statement)
        db.execute("INSERT INTO _migrations VALUES (?, ?, ?)", (number, migration.name, "2026-12-04"))
    for table, columns, rows in _released_rows():
        names = ", ".join(f'"{c}"' for c in columns)
        db.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
    db.close()


def test_a_database_of_the_released_code_is_upgraded_in_place(both_engines: str, verifier_home: Path,
                                                               tmp_path: Path) -> None:
    if both_engines == "sqlite":
        verifier_home.mkdir(parents=True)
        shutil.copy(RELEASED, verifier_home / "verifier.db")
    else:
        _released_database_on_postgresql(os.environ["VERIFIER_DATABASE_URL"])
    store = Store.open()
    try:
        assert store.migrations() == list(range(1, len(MIGRATIONS) + 1))
        [job] = Jobs(store).all()
        assert job.status == "queued" and job.stage == "whole" and job.options["names"] == ["a.txt"]
    finally:
        store.close()
    flags = review.list_flags()
    assert len(flags) == 4 and [f.status for f in flags].count("confirmed") == 1
    confirmed = next(f for f in flags if f.status == "confirmed")
    assert review.show_flag(confirmed.id).history[0].reviewer == "ana"
    ran = CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(tmp_path / "out")])  # the same inputs again
    assert ran.exit_code == 0, ran.output
    assert [f.status for f in review.list_flags()].count("confirmed") == 1  # the decision carried over


def test_an_unreachable_database_or_wrong_password_is_one_line(both_engines: str, tmp_path: Path) -> None:
    if both_engines == "sqlite":
        pytest.skip("a file has no server to reach nor a password")
    url = os.environ["VERIFIER_DATABASE_URL"]
    host = url.split("@", 1)[1]
    user, password = url.split("@", 1)[0].removeprefix("postgresql://").split(":", 1)
    wrong = url.replace(f":{password}@", ":not-the-password@", 1)
    for database, reason in ((wrong, "password authentication failed"),
                             (f"postgresql://{user}@127.0.0.1:1/{host.rsplit('/', 1)[1]}", "Connection refused")):
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["flags", "--database", database])
        assert result.exit_code == 1 and reason in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "not-the-password" not in result.stderr
        assert time.monotonic() - started < 30


@pytest.mark.parametrize("url", ["postgresql://ana:s3cret-pw@[::1/verifier",  # an IPv6 host left open
                                 "postgresql://ana:s3cret-pw@127.0.0.1:notaport/verifier"])
def test_a_malformed_database_url_is_one_line_without_its_password(url: str, verifier_home: Path) -> None:
    result = CliRunner().invoke(cli, ["status", "--database", url])
    assert result.exit_code == 1, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "s3cret-pw" not in result.stderr and "ana:***@" in result.stderr, result.stderr


# --- the work queue: leases, as two workers see them ---------------------------------------------------


def _document(n: int) -> Document:
    return Document(id=f"d{n}", path=f"d{n}.txt", sha256=f"{n:064x}", title=f"d{n}", text=f"Document {n}.")


def _sliced_job(store: Store, job_id: str = "j1", documents: int = 4, slice_size: int = 2) -> str:
    """A job prepared by worker 'w0' and cut into slices, as `verifier worker` leaves it; its batch id."""
    Jobs(store).add(job_id, "2026-12-04T00:00:00+00:00", {}, [])
    claimed = WorkQueue(store).claim_job("w0", 30)
    assert claimed is not None and claimed[1] == "prepare"
    batch_id = f"b-{job_id}"
    store.begin_batch(batch_id, "2026-12-04T00:00:00+00:00", "rules", None, [], {}, {})
    WorkQueue(store).plan(job_id, "w0", batch_id, [_document(n) for n in range(documents)], slice_size)
    return batch_id


def test_a_document_commit_while_another_connection_writes_waits_its_turn(both_engines: str) -> None:
    """The holder check and the document's rows are one write transaction from its start: another
    connection's write in between waits (a deferred SQLite transaction failed at once, SQLITE_BUSY)."""
    if both_engines == "postgresql":
        pytest.skip("a row lock (FOR UPDATE) does this on PostgreSQL")
    store, other = Store.open(), Store.open()
    try:
        batch_id = _sliced_job(store)
        taken = WorkQueue(store).claim_slice("w1", 30)
        assert taken is not None and taken[1] == 0
        written: list[str] = []

        def write() -> None:
            WorkQueue(other).register("w2", 30)
            written.append("w2")

        writer = threading.Thread(target=write)
        check = store._check_holder

        def checked_then_another_writes(job_id: str, n: int, worker_id: str) -> None:
            check(job_id, n, worker_id)
            writer.start()
            writer.join(timeout=0.5)  # with the write lock held, the other connection waits for the commit

        store._check_holder = checked_then_another_writes  # type: ignore[method-assign]
        store.save_document(batch_id, _document(0), [], 0, [], "rules", None, None, holder=("j1", 0, "w1"))
        writer.join(timeout=10)
        assert written == ["w2"]  # the other connection's write went through, after the commit
        assert store.done_documents(batch_id) == {"d0": _document(0).sha256}
    finally:
        store.close()
        other.close()
