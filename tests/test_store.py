"""The store on both engines: one list of migrations, a database of the previous release upgraded in
place, and one-line errors for a database that cannot be reached or refuses the credentials."""

from __future__ import annotations

import os
import shutil
import sqlite3
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
from verifier.store import MIGRATIONS, Jobs, Store

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
