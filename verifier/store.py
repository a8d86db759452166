"""The store: batches, documents, claims and findings, jobs and workers, under numbered migrations.

Only this module speaks SQL, and it hands out models (`BatchRecord`, `FindingRecord`,
`StoredClaim`…), never a driver's rows: JSON kept in a column is decoded here. It runs on
SQLite (one file under VERIFIER_HOME, the embedded default) or on PostgreSQL (`--database URL`,
`VERIFIER_DATABASE_URL`), through `database.Database`. The schema grows by appending to
MIGRATIONS, one numbered list for both engines; each migration runs once, in order, and is
recorded in `_migrations`, so an old database is upgraded in place and a blank one is created
by the same path.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from .database import (
    ENV_VAR,
    Database,
    DatabaseError,
    PostgreSQLDatabase,
    Row,
    SQLiteDatabase,
    connect,
    is_postgresql,
    shown,
    sqlite_path,
)
from .models import AsOf, Contradiction, Corroboration, Document, Frame, GroundedClaim, Report, statement_of


@dataclass(frozen=True)
class Migration:
    """One step of the schema: portable SQL, and the PostgreSQL form where the engines differ."""

    name: str
    sql: str
    postgresql: str | None = None

    def statements(self, engine: str) -> list[str]:
        text = self.postgresql if engine == "postgresql" and self.postgresql is not None else self.sql
        return [s.strip() for s in text.split(";") if s.strip()]


MIGRATIONS: list[Migration] = [
    Migration(
        "create batches, documents, claims, findings",
        """
        CREATE TABLE batches (
            id TEXT PRIMARY KEY,
            created TEXT NOT NULL,
            backend TEXT NOT NULL,
            model TEXT,
            inputs TEXT NOT NULL,
            prompt_hashes TEXT NOT NULL DEFAULT '{}',
            counts TEXT NOT NULL DEFAULT '{}',
            usage TEXT NOT NULL DEFAULT '{}',
            report_dir TEXT
        );
        CREATE TABLE documents (
            batch_id TEXT NOT NULL REFERENCES batches(id),
            id TEXT NOT NULL,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            replaced_bytes INTEGER NOT NULL DEFAULT 0,
            date TEXT,
            PRIMARY KEY (batch_id, id)
        );
        CREATE TABLE claims (
            batch_id TEXT NOT NULL REFERENCES batches(id),
            id TEXT NOT NULL,
            document_id TEXT NOT NULL,
            subject TEXT NOT NULL,
            attribute TEXT NOT NULL,
            value TEXT NOT NULL,
            number REAL,
            unit TEXT,
            conditions TEXT NOT NULL DEFAULT '[]',
            asserted_by TEXT NOT NULL DEFAULT '',
            hedged INTEGER NOT NULL DEFAULT 0,
            quote TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            match TEXT NOT NULL,
            backend TEXT NOT NULL,
            prompt_hash TEXT,
            PRIMARY KEY (batch_id, id)
        );
        CREATE TABLE findings (
            batch_id TEXT NOT NULL REFERENCES batches(id),
            id TEXT NOT NULL,
            finding TEXT NOT NULL CHECK (finding IN ('contradiction', 'corroboration')),
            kind TEXT,
            severity TEXT,
            rationale TEXT NOT NULL DEFAULT '',
            conditions_differ INTEGER NOT NULL DEFAULT 0,
            claim_ids TEXT NOT NULL,
            prompt_hash TEXT,
            PRIMARY KEY (batch_id, id)
        );
        CREATE INDEX findings_by_batch ON findings(batch_id, finding);
        CREATE INDEX claims_by_document ON claims(batch_id, document_id);
        """,
    ),
    Migration(
        "review decisions, append-only; batch lineage for re-runs",
        """
        ALTER TABLE batches ADD COLUMN lineage TEXT;
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            flag_id TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('confirmed', 'dismissed', 'needs-info')),
            note TEXT NOT NULL DEFAULT '',
            reviewer TEXT NOT NULL DEFAULT '',
            decided_at TEXT NOT NULL
        );
        CREATE INDEX decisions_by_flag ON decisions(flag_id, id);
        CREATE INDEX batches_by_lineage ON batches(lineage);
        """,
    ),
    Migration(
        "resumable batches: status and settings; per-document progress",
        """
        ALTER TABLE batches ADD COLUMN status TEXT NOT NULL DEFAULT 'done';
        ALTER TABLE batches ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE documents ADD COLUMN dropped INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE documents ADD COLUMN failures TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE documents ADD COLUMN copy_of TEXT;
        """,
    ),
    Migration(
        "alignment: entities and questions; each claim's entity, question and time; each flag's question",
        """
        CREATE TABLE entities (
            batch_id TEXT NOT NULL REFERENCES batches(id),
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            aliases TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (batch_id, id)
        );
        CREATE TABLE questions (
            batch_id TEXT NOT NULL REFERENCES batches(id),
            id TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            text TEXT NOT NULL,
            claim_ids TEXT NOT NULL,
            documents INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (batch_id, id)
        );
        ALTER TABLE claims ADD COLUMN entity_id TEXT;
        ALTER TABLE claims ADD COLUMN question_id TEXT;
        ALTER TABLE claims ADD COLUMN as_of TEXT;
        ALTER TABLE findings ADD COLUMN question_id TEXT;
        ALTER TABLE documents ADD COLUMN date_source TEXT;
        CREATE INDEX claims_by_question ON claims(batch_id, question_id);
        """,
    ),
    Migration(
        "jobs: batches submitted over HTTP, their options, state and progress",
        """
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            created TEXT NOT NULL,
            status TEXT NOT NULL,
            options TEXT NOT NULL,
            paths TEXT NOT NULL,
            batch_id TEXT,
            error TEXT,
            progress TEXT NOT NULL DEFAULT '{}',
            finished TEXT
        );
        """,
    ),
    Migration(
        "frames: what each claim's figure holds for; explained differences, for the review page",
        """
        ALTER TABLE claims ADD COLUMN frame TEXT;
        CREATE TABLE explained (
            batch_id TEXT NOT NULL REFERENCES batches(id),
            id TEXT NOT NULL,
            question_id TEXT,
            question TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            claim_ids TEXT NOT NULL,
            PRIMARY KEY (batch_id, id)
        );
        """,
    ),
    Migration(
        "insertion order on PostgreSQL too (a SQLite table keeps its rowid)",
        "",
        postgresql="""
        ALTER TABLE batches ADD COLUMN rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
        ALTER TABLE findings ADD COLUMN rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
        ALTER TABLE explained ADD COLUMN rowid BIGINT GENERATED BY DEFAULT AS IDENTITY;
        """,
    ),
    Migration(
        "workers: jobs claimed with a lease, batches in slices, answers, uploads and reports every worker reaches",
        """
        ALTER TABLE jobs ADD COLUMN worker_id TEXT;
        ALTER TABLE jobs ADD COLUMN lease_until REAL;
        ALTER TABLE jobs ADD COLUMN stage TEXT NOT NULL DEFAULT 'whole';
        ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE slices (
            job_id TEXT NOT NULL,
            n INTEGER NOT NULL,
            first_document INTEGER NOT NULL,
            last_document INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'running', 'done')),
            worker_id TEXT,
            lease_until REAL,
            done INTEGER NOT NULL DEFAULT 0,
            usage TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (job_id, n)
        );
        CREATE TABLE planned_documents (
            job_id TEXT NOT NULL,
            n INTEGER NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (job_id, n)
        );
        CREATE TABLE workers (
            id TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started TEXT NOT NULL,
            heartbeat REAL NOT NULL,
            job_id TEXT,
            slice INTEGER,
            state TEXT NOT NULL DEFAULT 'idle'
        );
        CREATE TABLE answers (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE uploads (sha256 TEXT PRIMARY KEY, data {blob} NOT NULL);
        CREATE TABLE reports (
            job_id TEXT NOT NULL,
            name TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (job_id, name)
        );
        CREATE INDEX jobs_by_status ON jobs(status, created);
        """,
    ),
    Migration(
        "workers: each one's lease, so one that stopped beating (killed) is shown as lost",
        "ALTER TABLE workers ADD COLUMN lease_seconds REAL NOT NULL DEFAULT 30",
    ),
    Migration(
        "batches: the key its claims were made under (code, aliases, caps), so a re-run can carry them forward",
        "ALTER TABLE batches ADD COLUMN carry TEXT",
    ),
]

def default_home() -> Path:
    """VERIFIER_HOME, else the user's data directory (XDG on Linux, the platform's elsewhere)."""
    if os.environ.get("VERIFIER_HOME"):
        return Path(os.environ["VERIFIER_HOME"])
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "verifier"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "verifier"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "verifier"


def database_url() -> str | None:
    """The database the user chose (`--database`, `VERIFIER_DATABASE_URL`); None is the embedded default."""
    return os.environ.get(ENV_VAR) or None


def shared_database() -> bool:
    """Whether the store is a server every worker reaches (PostgreSQL), not a file of this machine."""
    return is_postgresql(database_url())


DATABASE = "verifier.db"
CLAIM_PAGE_DOCUMENTS = 500  # documents whose claims one query reads (`Store.claims_of`)
_SQLITE_MAGIC = b"SQLite format 3\x00"
_MIGRATION_LOCK = 0x7665726966  # 'verif': the advisory lock several workers starting at once queue on


class StoreError(Exception):
    """The data folder or its database cannot be used; the one-line message names which and why."""


def store_errors() -> tuple[type[Exception], ...]:
    """What a store that went bad (or away) raises, on either engine: for callers that must survive it."""
    errors: tuple[type[Exception], ...] = (StoreError, DatabaseError, sqlite3.Error, OSError)
    try:
        import psycopg
    except ImportError:
        return errors
    return (*errors, psycopg.Error)


class LeaseLost(StoreError):
    """Another worker holds what this one was doing (its lease lapsed): stop, commit nothing more."""


def prepare_home(home: Path) -> None:
    """Create the data folder if needed and make sure this process can write in it."""
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the data folder {home}: {exc.strerror or exc}"
                         " (set VERIFIER_HOME to a folder you can write)") from exc
    if not os.access(home, os.W_OK | os.X_OK):
        raise StoreError(f"the data folder {home} is not writable (set VERIFIER_HOME to a folder you can write)")


def check_database(path: Path) -> None:
    """Refuse a database file that is not one, by reading its header: never write to a stranger.

    An absent or empty file is a new database. A truncated one is caught by comparing its
    size with the page count its header records, before SQLite reads a missing page.
    """
    try:
        with path.open("rb") as f:
            header = f.read(100)
            size = os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        return
    except IsADirectoryError as exc:
        raise StoreError(f"{path} is a folder, not a database; nothing was changed") from exc
    except OSError as exc:
        raise StoreError(f"cannot read the database {path}: {exc.strerror or exc}; nothing was changed") from exc
    if not os.access(path, os.W_OK):
        raise StoreError(f"the database {path} is read-only; nothing was changed")
    if not header:
        return
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise StoreError(f"{path} is not a database (corrupt, or another kind of file); nothing was changed")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_size_valid = header[24:28] == header[92:96]
    if page_size < 512 or page_size & (page_size - 1):
        raise StoreError(f"{path} is not a database (corrupt header); nothing was changed")
    if size % page_size or (header_size_valid and size < pages * page_size):
        raise StoreError(f"{path} is truncated or corrupt ({size} bytes); nothing was changed")


def _check_tables(db: Database, where: str) -> None:
    """A database with tables but no migration record belongs to something else."""
    tables = db.tables()
    if tables and "_migrations" not in tables:
        kind = "a SQLite database" if db.engine == "sqlite" else "a PostgreSQL database"
        raise StoreError(f"{where} is {kind} of something else, not verifier's; nothing was changed")


# --- what the store hands out ------------------------------------------------------------------------


def _json(raw: str | None, default: Any) -> Any:
    return json.loads(raw) if raw else default


@dataclass(frozen=True)
class BatchRecord:
    """A stored batch: what was run, how, and where it stands."""

    id: str
    created: str
    backend: str
    model: str | None
    inputs: list[str]
    status: str
    lineage: str
    settings_key: str  # the settings as stored, which the batch's lock is named by
    prompt_hashes: dict[str, str]
    usage: dict[str, Any]
    report_dir: str | None

    @classmethod
    def of(cls, row: Row) -> BatchRecord:
        return cls(id=row["id"], created=row["created"], backend=row["backend"], model=row["model"],
                   inputs=_json(row["inputs"], []), status=row["status"], lineage=row["lineage"] or "",
                   settings_key=row["settings"], prompt_hashes=_json(row["prompt_hashes"], {}),
                   usage=_json(row["usage"], {}), report_dir=row["report_dir"])


@dataclass(frozen=True)
class FindingRecord:
    """A stored flag (or corroboration): the claims it joins, and the question they answer."""

    batch_id: str
    id: str
    finding: str
    kind: str
    severity: str
    rationale: str
    conditions_differ: bool
    claim_ids: list[str]
    question_id: str | None

    @classmethod
    def of(cls, row: Row) -> FindingRecord:
        return cls(batch_id=row["batch_id"], id=row["id"], finding=row["finding"], kind=row["kind"] or "",
                   severity=row["severity"] or "", rationale=row["rationale"],
                   conditions_differ=bool(row["conditions_differ"]), claim_ids=_json(row["claim_ids"], []),
                   question_id=row["question_id"])


@dataclass(frozen=True)
class ExplainedRecord:
    """A stored difference the frames or conditions explain."""

    id: str
    question: str
    reason: str
    claim_ids: list[str]


@dataclass(frozen=True)
class QuestionRecord:
    id: str
    entity_id: str
    text: str
    entity_name: str | None


@dataclass(frozen=True)
class StoredClaim:
    """A claim with what a reviewer sees around it: its document's title, path, text and date."""

    id: str
    document_id: str
    subject: str
    attribute: str
    value: str
    quote: str
    start: int
    end: int
    conditions: list[str]
    asserted_by: str
    hedged: bool
    as_of: AsOf | None
    frame: Frame | None
    title: str
    path: str
    document_text: str
    document_date: str | None
    document_date_source: str | None


@dataclass(frozen=True)
class StoredDecision:
    id: int
    flag_id: str
    decision: str
    note: str
    reviewer: str
    decided_at: str


@dataclass(frozen=True)
class JobRecord:
    """A batch submitted over HTTP: what was asked, where it stands, who runs it."""

    id: str
    created: str
    status: str
    options: dict[str, Any]
    paths: list[str]
    batch_id: str | None = None
    error: str | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    finished: str | None = None
    worker_id: str | None = None
    stage: str = "whole"
    cancel_requested: bool = False

    @classmethod
    def of(cls, row: Row) -> JobRecord:
        return cls(id=row["id"], created=row["created"], status=row["status"], options=_json(row["options"], {}),
                   paths=_json(row["paths"], []), batch_id=row["batch_id"], error=row["error"],
                   progress=_json(row["progress"], {}), finished=row["finished"], worker_id=row.get("worker_id"),
                   stage=row.get("stage") or "whole", cancel_requested=bool(row.get("cancel_requested")))


@dataclass(frozen=True)
class SliceCounts:
    """A sliced job's slices by state, and its documents done of planned."""

    done: int = 0
    running: int = 0
    waiting: int = 0
    documents_done: int = 0
    documents_total: int = 0


@dataclass(frozen=True)
class WorkerRecord:
    """A worker process as it last said: where it runs, what it holds, when it last beat."""

    id: str
    host: str
    pid: int
    started: str
    state: str
    job_id: str | None
    slice: int | None
    seconds_since_heartbeat: float


# --- the store ---------------------------------------------------------------------------------------


class Store:
    """A verifier database; open it with `Store.open()` to get the migrated schema."""

    def __init__(self, db: Database, where: str) -> None:
        self.db = db
        self.where = where  # the file, or the URL without its password: for messages

    @property
    def path(self) -> Path | str:
        """The SQLite file, or the PostgreSQL URL (without its password)."""
        return self.db.path if isinstance(self.db, SQLiteDatabase) else self.where

    @property
    def engine(self) -> str:
        return self.db.engine

    @classmethod
    def open(cls, home: Path | None = None, url: str | None = None,
             warn: Callable[[str], None] | None = None) -> Store:
        """Open (or create) the database and bring its schema up to date.

        The database is `url`, else `$VERIFIER_DATABASE_URL`, else `verifier.db` under `home`.
        A file that is not a verifier database is refused before a byte is written, so a
        StoreError always means the file on disk is as it was.
        """
        url = url or database_url()
        if url and is_postgresql(url):
            return cls._open_server(url, warn)
        if url and not url.startswith("sqlite:///"):
            raise StoreError(f"unknown database URL {shown(url)!r}: use postgresql://USER@HOST/NAME or "
                             "sqlite:///FILE")
        home = home or default_home()
        prepare_home(home)
        path = sqlite_path(url) if url else home / DATABASE
        return cls._open_file(path, warn)

    @classmethod
    def _open_file(cls, path: Path, warn: Callable[[str], None] | None) -> Store:
        check_database(path)
        try:
            db = SQLiteDatabase(path, warn)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {path}: {exc}; nothing was changed") from exc
        try:
            _check_tables(db, str(path))
            db.configure()
            store = cls(db, str(path))
            store.migrate()
        except sqlite3.Error as exc:
            db.close()
            raise StoreError(f"cannot use the database {path}: {exc}; nothing was changed") from exc
        except BaseException:
            db.close()
            raise
        return store

    @classmethod
    def _open_server(cls, url: str, warn: Callable[[str], None] | None) -> Store:
        try:
            db = connect(url, warn)
        except DatabaseError as exc:
            raise StoreError(str(exc)) from exc
        assert isinstance(db, PostgreSQLDatabase)
        try:
            _check_tables(db, shown(url))
            store = cls(db, shown(url))
            with db.advisory_lock(_MIGRATION_LOCK):
                store.migrate()
        except StoreError:
            db.close()
            raise
        except Exception as exc:
            db.close()
            raise StoreError(f"cannot use the database {shown(url)}: {' '.join(str(exc).split())}") from exc
        return store

    def close(self) -> None:
        self.db.close()

    def migrate(self) -> list[int]:
        """Apply the migrations this database has not seen; return their numbers."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)"
        )
        applied = []
        for number, migration in enumerate(MIGRATIONS, start=1):
            if self._apply(number, migration):
                applied.append(number)
        return applied

    def _apply(self, number: int, migration: Migration) -> bool:
        def work() -> bool:
            if self.db.one("SELECT id FROM _migrations WHERE id = ?", (number,)):
                return False
            for statement in migration.statements(self.db.engine):
                self.db.execute(statement)
            self.db.execute("INSERT INTO _migrations (id, name, applied) VALUES (?, ?, ?)",
                            (number, migration.name, _now()))
            return True

        return self.db.atomic(work, immediate=True)

    def migrations(self) -> list[int]:
        """The numbers of the migrations applied, in order."""
        return [int(r["id"]) for r in self.db.query("SELECT id FROM _migrations ORDER BY id")]

    def tables(self) -> set[str]:
        return self.db.tables()

    # --- batches ------------------------------------------------------------------------------

    def begin_batch(self, batch_id: str, created: str, backend: str, model: str | None, inputs: list[str],
                    settings: dict[str, object], prompt_hashes: dict[str, str]) -> None:
        """Record a batch as running, before any document is processed."""
        self.db.atomic(lambda: self.db.execute(
            "INSERT INTO batches (id, created, backend, model, inputs, prompt_hashes, lineage, status, settings)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?)",
            (batch_id, created, backend, model, json.dumps(inputs), json.dumps(prompt_hashes),
             lineage_of(inputs), json.dumps(settings, sort_keys=True)),
        ))

    def unfinished_batch(self, inputs: list[str], settings: dict[str, object]) -> str | None:
        """The latest batch of the same inputs and settings that did not finish: the one to resume."""
        row = self.db.one(
            "SELECT id FROM batches WHERE lineage = ? AND settings = ? AND status != 'done' ORDER BY rowid DESC",
            (lineage_of(inputs), json.dumps(settings, sort_keys=True)),
        )
        return str(row["id"]) if row else None

    def note_carry(self, batch_id: str, carry: str | None) -> None:
        """Record the key a batch's claims are made under: kept only while every run of the batch
        (a resumed one too) had the same one, so a batch committed partly by other code carries nothing."""
        self.db.atomic(lambda: self.db.execute(
            "UPDATE batches SET carry = CASE WHEN NOT EXISTS (SELECT 1 FROM documents WHERE batch_id = ?) THEN ?"
            " WHEN carry = ? THEN carry ELSE NULL END WHERE id = ?", (batch_id, carry, carry, batch_id)))

    def carry_forward(self, batch_id: str, carry: str, documents: list[Document]) -> dict[str, str | None]:
        """Commit the documents unchanged since the latest finished batch of the same inputs, settings
        and carry key, with that batch's claims, in one transaction; {document id: the date that batch
        settled for it} of those carried.

        Unchanged is the same id, path and content (sha256), read whole and without a failed chunk
        there: extraction would give the same answers from the cache and grounding the same claims,
        so a re-run of a finished batch copies them (and their times and frames) instead of
        re-reading every answer and committing each document again.
        """
        row = self.db.one(
            "SELECT b.id FROM batches b JOIN batches n ON n.id = ? WHERE b.id != n.id AND b.status = 'done'"
            " AND b.lineage = n.lineage AND b.settings = n.settings AND b.carry = ? ORDER BY b.rowid DESC",
            (batch_id, carry))
        if row is None:
            return {}
        prior = row["id"]
        earlier = {r["id"]: r for r in self.db.query(
            "SELECT id, sha256, path, dropped, failures, date FROM documents WHERE batch_id = ?", (prior,))}
        carried = [d for d in documents if d.id in earlier and earlier[d.id]["sha256"] == d.sha256
                   and earlier[d.id]["path"] == d.path and json.loads(earlier[d.id]["failures"]) == []]

        def work() -> None:
            self.db.executemany(
                "INSERT INTO documents (batch_id, id, path, sha256, title, text, replaced_bytes, date, dropped,"
                " failures, copy_of, date_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?)",
                [(batch_id, d.id, d.path, d.sha256, d.title, d.text, d.replaced_bytes, d.date,
                  earlier[d.id]["dropped"], d.copy_of, d.date_source) for d in carried],
            )
            for start in range(0, len(carried), 500):
                ids = [d.id for d in carried[start:start + 500]]
                self.db.execute(
                    'INSERT INTO claims (batch_id, id, document_id, subject, attribute, value, number, unit,'
                    ' conditions, asserted_by, hedged, quote, start, "end", match, backend, prompt_hash, as_of, frame)'
                    ' SELECT ?, id, document_id, subject, attribute, value, number, unit, conditions, asserted_by,'
                    ' hedged, quote, start, "end", match, backend, prompt_hash, as_of, frame FROM claims'
                    f" WHERE batch_id = ? AND document_id IN ({', '.join('?' * len(ids))})",
                    (batch_id, prior, *ids),
                )

        if carried:
            self.db.atomic(work, immediate=True)
        return {d.id: earlier[d.id]["date"] for d in carried}

    def done_documents(self, batch_id: str) -> dict[str, str]:
        """Documents already committed to a batch: id -> sha256."""
        return {r["id"]: r["sha256"] for r in self.db.query(
            "SELECT id, sha256 FROM documents WHERE batch_id = ?", (batch_id,))}

    def save_document(self, batch_id: str, document: Document, claims: list[GroundedClaim], dropped: int,
                      failures: list[str], backend: str, prompt_hash: str | None, usage: str | None,
                      replace: bool = False, holder: tuple[str, int, str] | None = None) -> None:
        """Commit one document and its claims in one transaction: all of it, or none of it.

        `replace` drops what an earlier run stored for the same document id (its content changed).
        `holder` (job, slice, worker) commits only while that worker still holds the slice
        (LeaseLost otherwise), so a worker whose lease lapsed never stores what its successor does.
        """
        def work() -> None:
            if holder is not None:
                self._check_holder(*holder)
            if replace:
                self.db.execute("DELETE FROM claims WHERE batch_id = ? AND document_id = ?", (batch_id, document.id))
                self.db.execute("DELETE FROM documents WHERE batch_id = ? AND id = ?", (batch_id, document.id))
            self.db.execute(
                "INSERT INTO documents (batch_id, id, path, sha256, title, text, replaced_bytes, date, dropped,"
                " failures, copy_of, date_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (batch_id, document.id, document.path, document.sha256, document.title, document.text,
                 document.replaced_bytes, document.date, dropped, json.dumps(failures), document.copy_of,
                 document.date_source),
            )
            self.db.executemany(
                'INSERT INTO claims (batch_id, id, document_id, subject, attribute, value, number, unit,'
                ' conditions, asserted_by, hedged, quote, start, "end", match, backend, prompt_hash)'
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [_claim_row(batch_id, c, backend, prompt_hash) for c in claims],
            )
            if usage is not None:
                self.db.execute("UPDATE batches SET usage = ? WHERE id = ?", (usage, batch_id))
            if holder is not None:
                self.db.execute("UPDATE slices SET done = done + 1 WHERE job_id = ? AND n = ?", holder[:2])

        # immediate: on SQLite the holder check and the writes are one write transaction from the start; a
        # deferred one reads first and its upgrade to a writer fails at once (SQLITE_BUSY) after another's commit
        self.db.atomic(work, immediate=True)

    def _check_holder(self, job_id: str, n: int, worker_id: str) -> None:
        lock = " FOR UPDATE" if self.engine == "postgresql" else ""  # held till the commit: no claim slips in
        row = self.db.one("SELECT worker_id, status FROM slices WHERE job_id = ? AND n = ?" + lock, (job_id, n))
        if row is None or row["worker_id"] != worker_id or row["status"] != "running":
            raise LeaseLost(f"slice {n} of job {job_id} is no longer this worker's")

    def _check_job_holder(self, job_id: str, worker_id: str) -> None:
        """A job's whole step (prepare, finish) is this worker's; the row stays locked till the commit on
        PostgreSQL (on SQLite the caller's transaction is immediate), so no claim slips in."""
        lock = " FOR UPDATE" if self.engine == "postgresql" else ""
        row = self.db.one("SELECT worker_id FROM jobs WHERE id = ?" + lock, (job_id,))
        if row is None or row["worker_id"] != worker_id:
            raise LeaseLost(f"job {job_id} is no longer this worker's")

    def batch_claims(self, batch_id: str, document_ids: list[str]) -> tuple[list[GroundedClaim], int, list[str]]:
        """The committed claims of these documents, their dropped count and their failed chunks."""
        return list(self.claims_of(batch_id, document_ids)), *self.extraction_losses(batch_id, document_ids)

    def claims_of(self, batch_id: str, document_ids: list[str]) -> Iterator[GroundedClaim]:
        """The committed claims of these documents, in order of document, offset and id, read a page of
        documents at a time: the rows of the whole batch, fetched at once beside the claims made of
        them, were the largest thing a run held after extraction."""
        wanted = sorted(set(document_ids))  # code point order: SQLite's BINARY and PostgreSQL's "C" alike
        read: dict[str, AsOf | Frame] = {}  # one model for each distinct stored time or frame, read once
        for first in range(0, len(wanted), CLAIM_PAGE_DOCUMENTS):
            page = wanted[first:first + CLAIM_PAGE_DOCUMENTS]
            marks = ", ".join("?" * len(page))
            rows = self.db.query(
                f"SELECT * FROM claims WHERE batch_id = ? AND document_id IN ({marks})"
                " ORDER BY document_id COLLATE BINARY, start, id COLLATE BINARY", (batch_id, *page))
            for row in rows:
                yield _claim_of(row, read)

    def extraction_losses(self, batch_id: str, document_ids: list[str]) -> tuple[int, list[str]]:
        """The ungrounded claims dropped from these documents, and their failed chunks."""
        wanted = set(document_ids)
        dropped, failures = 0, []
        for row in self.db.query("SELECT id, dropped, failures FROM documents WHERE batch_id = ?"
                                 " ORDER BY id COLLATE BINARY", (batch_id,)):
            if row["id"] in wanted:
                dropped += row["dropped"]
                failures += json.loads(row["failures"])
        return dropped, failures

    def stored_usage(self, batch_id: str) -> dict[str, object]:
        row = self.db.one("SELECT usage FROM batches WHERE id = ?", (batch_id,))
        loaded: dict[str, object] = json.loads(row["usage"]) if row and row["usage"] else {}
        return loaded

    def finish_batch(self, report: Report, report_dir: str, holder: tuple[str, str] | None = None) -> None:
        """Store the alignment and the findings and mark the batch done, in one transaction.

        A batch stopped by its budget is marked 'stopped': the same command with a larger
        budget resumes it. `holder` (job, worker) stores it only while that worker holds the job's
        finish step (LeaseLost otherwise): two finishers never write the same rows.
        """
        def work() -> None:
            if holder is not None:
                self._check_job_holder(*holder)
            self._save_alignment(report)
            self.db.execute("DELETE FROM findings WHERE batch_id = ?", (report.batch,))
            self.db.executemany(
                "INSERT INTO findings (batch_id, id, finding, kind, severity, rationale, conditions_differ,"
                " claim_ids, prompt_hash, question_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_contradiction_row(report, f) for f in report.contradictions]
                + [_corroboration_row(report, f) for f in report.corroborations],
            )
            self.db.execute("DELETE FROM explained WHERE batch_id = ?", (report.batch,))
            self.db.executemany(
                "INSERT INTO explained (batch_id, id, question_id, question, reason, claim_ids)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(report.batch, e.id, e.question_id or None, e.question, e.reason,
                  json.dumps([c.id for c in e.claims])) for e in report.explained],
            )
            self.db.execute(
                "UPDATE batches SET status = ?, counts = ?, usage = ?, prompt_hashes = ?, report_dir = ?"
                " WHERE id = ?",
                ("stopped" if report.unprocessed else "done", report.counts.model_dump_json(),
                 report.usage.model_dump_json(), json.dumps(report.prompt_hashes), report_dir, report.batch),
            )

        self.db.atomic(work, immediate=holder is not None)

    def _save_alignment(self, report: Report) -> None:
        """Entities, questions, and each claim's entity, question and time (a re-run replaces them)."""
        batch = report.batch
        self.db.execute("DELETE FROM entities WHERE batch_id = ?", (batch,))
        self.db.execute("DELETE FROM questions WHERE batch_id = ?", (batch,))
        self.db.executemany(
            "INSERT INTO entities (batch_id, id, name, kind, aliases) VALUES (?, ?, ?, ?, ?)",
            [(batch, e.id, e.name, e.kind, json.dumps(e.aliases, ensure_ascii=False)) for e in report.entities],
        )
        self.db.executemany(
            "INSERT INTO questions (batch_id, id, entity_id, text, claim_ids, documents) VALUES (?, ?, ?, ?, ?, ?)",
            [(batch, q.id, q.entity, q.text, json.dumps(q.claims), q.documents) for q in report.questions],
        )
        question_of = {cid: q for q in report.questions for cid in q.claims}
        self.db.executemany(
            "UPDATE claims SET entity_id = ?, question_id = ?, as_of = ?, frame = ? WHERE batch_id = ? AND id = ?",
            [(question_of[c.id].entity if c.id in question_of else None,
              question_of[c.id].id if c.id in question_of else None,
              c.as_of.model_dump_json() if c.as_of else None, c.frame.model_dump_json() if c.frame else None,
              batch, c.id) for c in report.claims],
        )
        self.db.executemany(  # the time stage settles a dateline's year with the batch's other documents
            "UPDATE documents SET date = ?, date_source = ? WHERE batch_id = ? AND id = ?",
            [(d.date, d.date_source, batch, d.id) for d in report.documents],
        )

    # --- reading for review -------------------------------------------------------------------

    def question(self, batch_id: str, question_id: str | None) -> QuestionRecord | None:
        """One question of a batch, with its entity's name."""
        if not question_id:
            return None
        row = self.db.one(
            "SELECT q.id, q.entity_id, q.text, e.name AS entity_name FROM questions q LEFT JOIN entities e"
            " ON e.batch_id = q.batch_id AND e.id = q.entity_id WHERE q.batch_id = ? AND q.id = ?",
            (batch_id, question_id),
        )
        return QuestionRecord(row["id"], row["entity_id"], row["text"], row["entity_name"]) if row else None

    def batches(self) -> list[BatchRecord]:
        """Every batch, oldest first (insertion order, which a clock cannot reorder)."""
        return [BatchRecord.of(r) for r in self.db.query("SELECT * FROM batches ORDER BY rowid")]

    def batch(self, batch_id: str | None) -> BatchRecord | None:
        """One batch by id, or the latest when `batch_id` is None."""
        if batch_id is None:
            row = self.db.one("SELECT * FROM batches ORDER BY rowid DESC LIMIT 1")
        else:
            row = self.db.one("SELECT * FROM batches WHERE id = ?", (batch_id,))
        return BatchRecord.of(row) if row else None

    def contradictions(self, batch_id: str) -> list[FindingRecord]:
        """A batch's flags in report order."""
        return [FindingRecord.of(r) for r in self.db.query(
            "SELECT * FROM findings WHERE batch_id = ? AND finding = 'contradiction' ORDER BY rowid", (batch_id,))]

    def explained(self, batch_id: str) -> list[ExplainedRecord]:
        """A batch's explained differences in report order."""
        return [ExplainedRecord(r["id"], r["question"], r["reason"], _json(r["claim_ids"], []))
                for r in self.db.query("SELECT * FROM explained WHERE batch_id = ? ORDER BY rowid", (batch_id,))]

    def earlier_contradictions(self, batch_id: str) -> list[FindingRecord]:
        """Flags of earlier runs of the same inputs (same lineage), newest occurrence of each first."""
        return [FindingRecord.of(r) for r in self.db.query(
            """
            SELECT f.* FROM findings f JOIN batches b ON b.id = f.batch_id
            WHERE f.finding = 'contradiction'
              AND b.lineage = (SELECT lineage FROM batches WHERE id = ?)
              AND b.rowid < (SELECT rowid FROM batches WHERE id = ?)
            ORDER BY b.rowid DESC, f.rowid
            """,
            (batch_id, batch_id),
        )]

    def finding(self, flag_id: str) -> FindingRecord | None:
        """The latest stored occurrence of a flag, in whatever batch."""
        row = self.db.one(
            "SELECT f.* FROM findings f JOIN batches b ON b.id = f.batch_id WHERE f.id = ?"
            " AND f.finding = 'contradiction' ORDER BY b.rowid DESC LIMIT 1",
            (flag_id,),
        )
        return FindingRecord.of(row) if row else None

    def claims(self, batch_id: str, claim_ids: list[str]) -> list[StoredClaim]:
        """Claims with their document's title, path and text, in the order asked."""
        if not claim_ids:
            return []
        rows = {
            row["id"]: row for row in self.db.query(
                f"SELECT c.*, d.title, d.path, d.text AS document_text, d.date AS document_date,"
                f" d.date_source AS document_date_source FROM claims c JOIN documents d"
                f" ON d.batch_id = c.batch_id AND d.id = c.document_id"
                f" WHERE c.batch_id = ? AND c.id IN ({','.join('?' * len(claim_ids))})",
                (batch_id, *claim_ids),
            )
        }
        return [_stored_claim(rows[i]) for i in claim_ids if i in rows]

    def add_decision(self, flag_id: str, decision: str, note: str, reviewer: str, decided_at: str) -> int:
        """Append a decision; history is never rewritten. Returns the decision's id."""
        row = self.db.atomic(lambda: self.db.one(
            "INSERT INTO decisions (flag_id, decision, note, reviewer, decided_at) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id", (flag_id, decision, note, reviewer, decided_at)))
        return int(row["id"]) if row else 0

    def decisions(self, flag_ids: list[str]) -> dict[str, list[StoredDecision]]:
        """Decision history per flag, oldest first."""
        history: dict[str, list[StoredDecision]] = {i: [] for i in flag_ids}
        for start in range(0, len(flag_ids), 500):
            part = flag_ids[start:start + 500]
            for row in self.db.query(
                f"SELECT * FROM decisions WHERE flag_id IN ({','.join('?' * len(part))}) ORDER BY id", part
            ):
                history[row["flag_id"]].append(StoredDecision(
                    int(row["id"]), row["flag_id"], row["decision"], row["note"], row["reviewer"], row["decided_at"]))
        return history

    def decision_rows(self) -> list[tuple[str, str, str, str]]:
        """Every decision as (flag, decision, reviewer, note), in the order made."""
        return [(r["flag_id"], r["decision"], r["reviewer"], r["note"])
                for r in self.db.query("SELECT * FROM decisions ORDER BY id")]

    # --- what is shared between workers: answers, uploads, reports ------------------------------

    def answer(self, key: str) -> str | None:
        row = self.db.one("SELECT value FROM answers WHERE key = ?", (key,))
        return str(row["value"]) if row else None

    def keep_answer(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO answers (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", (key, value))

    def keep_upload(self, sha256: str, data: bytes) -> None:
        self.db.execute("INSERT INTO uploads (sha256, data) VALUES (?, ?) ON CONFLICT DO NOTHING", (sha256, data))

    def upload(self, sha256: str) -> bytes | None:
        row = self.db.one("SELECT data FROM uploads WHERE sha256 = ?", (sha256,))
        return bytes(row["data"]) if row else None

    def keep_report(self, job_id: str, name: str, body: str, holder: str | None = None) -> None:
        """Store a job's report file; with `holder` (a worker id) only while that worker holds the job
        (LeaseLost otherwise), so a finisher whose lease lapsed never writes over its successor's."""
        def work() -> None:
            if holder is not None:
                self._check_job_holder(job_id, holder)
            self.db.execute("DELETE FROM reports WHERE job_id = ? AND name = ?", (job_id, name))
            self.db.execute("INSERT INTO reports (job_id, name, body) VALUES (?, ?, ?)", (job_id, name, body))

        self.db.atomic(work, immediate=True)

    def report(self, job_id: str, name: str) -> str | None:
        row = self.db.one("SELECT body FROM reports WHERE job_id = ? AND name = ?", (job_id, name))
        return str(row["body"]) if row else None


class SharedAnswers:
    """The answer cache kept in the database, keyed as on disk (model, messages, schema, prompt hash,
    temperature, seed): with PostgreSQL every worker on every machine finds an answer any of them was
    given, so no answered call is paid for twice. Its own connection, shared by the call threads."""

    def __init__(self, url: str, warn: Callable[[str], None] | None = None, patience: float = 60.0) -> None:
        started = time.monotonic()
        while True:  # opened while the server restarts (a worker's next slice): wait for it, a while
            try:
                self.store = Store.open(url=url, warn=warn)
                return
            except StoreError as exc:
                if time.monotonic() - started > patience:
                    raise DatabaseError(str(exc)) from exc
            time.sleep(1.0)

    def get(self, key: str, default: str | None = None) -> str | None:
        found = self.store.answer(key)
        return default if found is None else found

    def set(self, key: str, value: str) -> None:
        self.store.keep_answer(key, value)

    def close(self) -> None:
        self.store.close()


class Jobs:
    """Batches submitted over HTTP: what was asked, where it stands. A job's own rows; the batch
    it runs is stored like any other batch."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    def keep_upload(self, sha256: str, data: bytes) -> None:
        self.store.keep_upload(sha256, data)

    def report(self, job_id: str, name: str) -> str | None:
        return self.store.report(job_id, name)

    def add(self, job_id: str, created: str, options: dict[str, object], paths: list[str]) -> None:
        self.db.execute("INSERT INTO jobs (id, created, status, options, paths) VALUES (?, ?, 'queued', ?, ?)",
                        (job_id, created, json.dumps(options), json.dumps(paths)))

    def update(self, job_id: str, **fields: object) -> None:
        """Set some of status, batch_id, error, progress (a dict), finished."""
        allowed = {"status", "batch_id", "error", "progress", "finished"}
        assert set(fields) <= allowed, fields
        values = [json.dumps(v) if k == "progress" else v for k, v in fields.items()]
        assignments = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*values, job_id))

    def get(self, job_id: str) -> JobRecord | None:
        row = self.db.one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return JobRecord.of(row) if row else None

    def all(self) -> list[JobRecord]:
        return [JobRecord.of(r) for r in self.db.query(
            "SELECT * FROM jobs ORDER BY created COLLATE BINARY DESC, id COLLATE BINARY DESC")]

    def unfinished(self) -> list[JobRecord]:
        """Jobs a killed server left queued or running, oldest first: they run again on start."""
        return [JobRecord.of(r) for r in self.db.query(
            "SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY created COLLATE BINARY,"
            " id COLLATE BINARY")]

    def held_elsewhere(self, job_id: str, worker_id: str) -> bool:
        """Whether a live worker other than `worker_id` holds the job, or a slice of it."""
        row = self.db.one(
            "SELECT 1 AS held FROM jobs j WHERE j.id = ? AND ((j.worker_id IS NOT NULL AND j.worker_id != ?"
            " AND j.lease_until >= {now}) OR EXISTS (SELECT 1 FROM slices s WHERE s.job_id = j.id"
            " AND s.status = 'running' AND s.lease_until >= {now}))", (job_id, worker_id))
        return row is not None

    def request_cancel(self, job_id: str) -> None:
        """Tell whichever worker runs the job (in this process or another) to stop it."""
        self.db.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))

    def claim(self, job_id: str, worker_id: str, lease_seconds: float) -> bool:
        """Take a job to run it whole (in this process): only one nobody holds, or whose holder's lease
        lapsed, or whose holder was a process of this machine that is gone (a killed server, restarted).
        False when another worker holds it, or `verifier worker`s run it in slices."""
        def work() -> bool:
            row = self.db.one("SELECT worker_id FROM jobs WHERE id = ? AND status IN ('queued', 'running')"
                              " AND stage = 'whole' {skip_locked}", (job_id,))
            if row is None:
                return False
            gone = row["worker_id"] is not None and holder_gone(row["worker_id"])
            claimed = self.db.one(
                "UPDATE jobs SET worker_id = ?, lease_until = {now} + ? WHERE id = ? AND (? OR worker_id IS NULL"
                " OR worker_id = ? OR lease_until IS NULL OR lease_until < {now}) RETURNING id",
                (worker_id, lease_seconds, job_id, gone, worker_id))
            return claimed is not None

        return self.db.atomic(work, immediate=True)

    def renew(self, worker_id: str, lease_seconds: float) -> None:
        """Extend the leases of the jobs this worker runs whole."""
        self.db.execute("UPDATE jobs SET lease_until = {now} + ? WHERE worker_id = ? AND status = 'running'"
                        " AND stage = 'whole'", (lease_seconds, worker_id))

    def slice_counts(self, job_ids: Sequence[str]) -> dict[str, SliceCounts]:
        """Per sliced job: its slices done, running and waiting, and documents done of planned."""
        if not job_ids:
            return {}
        rows = self.db.query(
            f"SELECT job_id, status, count(*) AS slices, sum(done) AS done,"
            f" sum(last_document - first_document) AS planned FROM slices"
            f" WHERE job_id IN ({','.join('?' * len(job_ids))}) GROUP BY job_id, status", list(job_ids))
        counts: dict[str, dict[str, int]] = {}
        for r in rows:
            c = counts.setdefault(r["job_id"], {"done": 0, "running": 0, "waiting": 0, "documents_done": 0,
                                                "documents_total": 0})
            c[r["status"]] += int(r["slices"])
            c["documents_done"] += int(r["done"] or 0)
            c["documents_total"] += int(r["planned"] or 0)
        return {job_id: SliceCounts(**c) for job_id, c in counts.items()}


class WorkQueue:
    """What `verifier worker` processes share: jobs claimed with a lease, batches in slices claimed
    with row locks that skip what another worker holds, and each worker's heartbeat.

    A lease is a time on the database's clock (`{now}`), so workers on machines whose clocks
    differ agree on when it lapsed. On PostgreSQL a claim is `SELECT … FOR UPDATE SKIP LOCKED`;
    on SQLite a write transaction taken at its start (BEGIN IMMEDIATE) serialises claims.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    # workers -----------------------------------------------------------------------------------

    def register(self, worker_id: str, lease_seconds: float) -> None:
        self.db.execute(
            "INSERT INTO workers (id, host, pid, started, heartbeat, state, lease_seconds)"
            " VALUES (?, ?, ?, ?, {now}, 'idle', ?)",
            (worker_id, socket.gethostname(), os.getpid(), _now(), lease_seconds))

    def beat(self, worker_id: str, lease_seconds: float, job_id: str | None, slice_n: int | None,
             state: str) -> bool:
        """Say this worker is alive and what it holds, renewing the lease of that; False when the lease
        is no longer its own (it lapsed and another worker took the work)."""
        def work() -> bool:
            self.db.execute("UPDATE workers SET heartbeat = {now}, job_id = ?, slice = ?, state = ? WHERE id = ?",
                            (job_id, slice_n, state, worker_id))
            if job_id is None:
                return True
            if slice_n is not None:
                row = self.db.one("UPDATE slices SET lease_until = {now} + ? WHERE job_id = ? AND n = ?"
                                  " AND worker_id = ? AND status = 'running' RETURNING n",
                                  (lease_seconds, job_id, slice_n, worker_id))
            else:
                row = self.db.one("UPDATE jobs SET lease_until = {now} + ? WHERE id = ? AND worker_id = ?"
                                  " RETURNING id", (lease_seconds, job_id, worker_id))
            return row is not None

        return self.db.atomic(work)

    def holds(self, worker_id: str, job_id: str | None, slice_n: int | None, state: str) -> None:
        """What a worker took, shown at once (`verifier status`), not at its next heartbeat."""
        self.db.execute("UPDATE workers SET job_id = ?, slice = ?, state = ? WHERE id = ?",
                        (job_id, slice_n, state, worker_id))

    def cancel_requested(self, job_id: str) -> bool:
        row = self.db.one("SELECT cancel_requested, status FROM jobs WHERE id = ?", (job_id,))
        return row is None or bool(row["cancel_requested"]) or row["status"] == "cancelled"

    def stopped(self, worker_id: str) -> None:
        self.db.execute("UPDATE workers SET state = 'stopped', job_id = NULL, slice = NULL, heartbeat = {now}"
                        " WHERE id = ?", (worker_id,))

    def workers(self) -> list[WorkerRecord]:
        """Each worker as it last said (`verifier status`, the batches page)."""
        return [_worker_of(r) for r in self.db.query("SELECT *, {now} - heartbeat AS ago FROM workers"
                                                     " ORDER BY started COLLATE BINARY, id COLLATE BINARY")]

    # jobs --------------------------------------------------------------------------------------

    def claim_job(self, worker_id: str, lease_seconds: float) -> tuple[JobRecord, str] | None:
        """The oldest job that needs a worker for a whole step, with that step: 'prepare' (a queued job,
        or one whose preparing or whole-job runner died) or 'finish' (every slice done, or a finisher
        that died). None when there is none."""
        def work() -> tuple[JobRecord, str] | None:
            row = self.db.one(
                "SELECT * FROM jobs WHERE status IN ('queued', 'running') AND cancel_requested = 0"
                " AND (worker_id IS NULL OR lease_until IS NULL OR lease_until < {now})"
                " AND (stage != 'slices' OR NOT EXISTS (SELECT 1 FROM slices s WHERE s.job_id = jobs.id"
                " AND s.status != 'done'))"
                " ORDER BY created COLLATE BINARY, id COLLATE BINARY LIMIT 1 {skip_locked}")
            if row is None:
                return None
            job = JobRecord.of(row)
            step = "finish" if job.stage in ("slices", "finish") else "prepare"
            self.db.execute("UPDATE jobs SET worker_id = ?, lease_until = {now} + ?, stage = ?, status = 'running'"
                            " WHERE id = ?", (worker_id, lease_seconds, step, job.id))
            self.holds(worker_id, job.id, None, "preparing" if step == "prepare" else "finishing")
            return job, step

        return self.db.atomic(work, immediate=True)

    def end_abandoned_cancels(self, finished: str) -> list[str]:
        """End as cancelled the jobs a cancel was asked of whose worker died before it could: no lease
        of the job's, nor of a slice of it, is live. Nothing else ends them (claims skip a job with a
        cancel asked), so the next worker that looks does; the status change makes it happen once."""
        def work() -> list[str]:
            rows = self.db.query(
                "UPDATE jobs SET status = 'cancelled', worker_id = NULL, lease_until = NULL, finished = ?"
                " WHERE status IN ('queued', 'running') AND cancel_requested = 1"
                " AND (worker_id IS NULL OR lease_until IS NULL OR lease_until < {now})"
                " AND NOT EXISTS (SELECT 1 FROM slices s WHERE s.job_id = jobs.id AND s.status = 'running'"
                " AND s.lease_until >= {now}) RETURNING id", (finished,))
            ended = sorted(str(r["id"]) for r in rows)
            for job_id in ended:
                self.db.execute("DELETE FROM planned_documents WHERE job_id = ?", (job_id,))
            return ended

        return self.db.atomic(work, immediate=True)

    def plan(self, job_id: str, worker_id: str, batch_id: str, documents: list[Document],
             slice_size: int) -> None:
        """Record a prepared job: its batch, its documents in order, and their slices; then let the
        slices be claimed (the job's own lease is given up)."""
        def work() -> None:
            self.store._check_job_holder(job_id, worker_id)
            self.db.execute("DELETE FROM planned_documents WHERE job_id = ?", (job_id,))
            self.db.execute("DELETE FROM slices WHERE job_id = ?", (job_id,))
            self.db.executemany("INSERT INTO planned_documents (job_id, n, document) VALUES (?, ?, ?)",
                                [(job_id, n, d.model_dump_json()) for n, d in enumerate(documents)])
            self.db.executemany(
                "INSERT INTO slices (job_id, n, first_document, last_document) VALUES (?, ?, ?, ?)",
                [(job_id, n, first, min(first + slice_size, len(documents)))
                 for n, first in enumerate(range(0, len(documents), slice_size))])
            self.db.execute("UPDATE jobs SET batch_id = ?, stage = 'slices', worker_id = NULL, lease_until = NULL"
                            " WHERE id = ?", (batch_id, job_id))

        self.db.atomic(work, immediate=True)

    def planned(self, job_id: str, first: int = 0, last: int | None = None) -> list[Document]:
        """The prepared documents of a job, in order (those of one slice with `first` and `last`)."""
        rows = self.db.query("SELECT document FROM planned_documents WHERE job_id = ? AND n >= ? AND n < ?"
                             " ORDER BY n", (job_id, first, last if last is not None else 2**62))
        return [Document.model_validate_json(r["document"]) for r in rows]

    def end_job(self, job_id: str, worker_id: str | None, status: str, slice_n: int | None = None,
                **fields: object) -> None:
        """A job's end (done, failed, cancelled), with its slices' work put away.

        With `worker_id`, only while that worker holds the job's step, or its slice `slice_n` (LeaseLost
        otherwise): a worker whose lease lapsed never ends a job another worker runs, or has finished."""
        def work() -> None:
            if worker_id is not None and slice_n is not None:
                self.store._check_holder(job_id, slice_n, worker_id)
            elif worker_id is not None:
                self.store._check_job_holder(job_id, worker_id)
            names = ["status", "worker_id", "lease_until", *fields]
            values = [status, None, None, *(json.dumps(v) if k == "progress" else v for k, v in fields.items())]
            self.db.execute(f"UPDATE jobs SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
                            (*values, job_id))
            self.db.execute("DELETE FROM planned_documents WHERE job_id = ?", (job_id,))

        self.db.atomic(work, immediate=True)

    # slices ------------------------------------------------------------------------------------

    def claim_slice(self, worker_id: str, lease_seconds: float) -> tuple[JobRecord, int, int, int] | None:
        """A waiting slice, or one whose worker's lease lapsed (killed mid-slice), locked so that no
        other worker can take it: (job, slice number, first document, last document)."""
        def work() -> tuple[JobRecord, int, int, int] | None:
            row = self.db.one(
                "SELECT s.job_id, s.n, s.first_document, s.last_document FROM slices s JOIN jobs j ON j.id = s.job_id"
                " WHERE j.status = 'running' AND j.stage = 'slices' AND j.cancel_requested = 0"
                " AND (s.status = 'waiting' OR (s.status = 'running' AND s.lease_until < {now}))"
                " ORDER BY j.created COLLATE BINARY, s.job_id COLLATE BINARY, s.n LIMIT 1"
                + (" FOR UPDATE OF s SKIP LOCKED" if self.store.engine == "postgresql" else ""))
            if row is None:
                return None
            self.db.execute("UPDATE slices SET status = 'running', worker_id = ?, lease_until = {now} + ?"
                            " WHERE job_id = ? AND n = ?", (worker_id, lease_seconds, row["job_id"], row["n"]))
            self.holds(worker_id, row["job_id"], row["n"], "extracting")
            job = self.db.one("SELECT * FROM jobs WHERE id = ?", (row["job_id"],))
            assert job is not None
            return JobRecord.of(job), int(row["n"]), int(row["first_document"]), int(row["last_document"])

        return self.db.atomic(work, immediate=True)

    def slice_done(self, job_id: str, n: int, worker_id: str, usage: str) -> None:
        """Mark a slice committed (only by the worker that holds it)."""
        def work() -> None:
            self.store._check_holder(job_id, n, worker_id)
            self.db.execute("UPDATE slices SET status = 'done', lease_until = NULL, usage = ? WHERE job_id = ?"
                            " AND n = ?", (usage, job_id, n))

        self.db.atomic(work, immediate=True)  # a holder check and a write: one write transaction (save_document)

    def slice_usages(self, job_id: str) -> list[dict[str, Any]]:
        return [_json(r["usage"], {}) for r in self.db.query("SELECT usage FROM slices WHERE job_id = ? ORDER BY n",
                                                             (job_id,))]

    def release_slice(self, job_id: str, n: int, worker_id: str) -> None:
        """Give a slice back (this worker stops: SIGTERM), so another takes it at once."""
        self.db.execute("UPDATE slices SET status = 'waiting', worker_id = NULL, lease_until = NULL"
                        " WHERE job_id = ? AND n = ? AND worker_id = ? AND status = 'running'", (job_id, n, worker_id))


def _worker_of(row: Row) -> WorkerRecord:
    """A worker whose last heartbeat is older than its lease is 'lost' (killed, or cut off): it never
    said it stopped, and what it held is no longer its own, so it is not shown holding it."""
    ago = float(row["ago"])
    if row["state"] != "stopped" and ago > float(row["lease_seconds"]):
        return WorkerRecord(row["id"], row["host"], int(row["pid"]), row["started"], "lost", None, None,
                            round(ago, 1))
    return WorkerRecord(row["id"], row["host"], int(row["pid"]), row["started"], row["state"], row["job_id"],
                        row["slice"], round(ago, 1))


def holder_gone(worker_id: str) -> bool:
    """Whether a worker id ('…:HOST:PID:TOKEN') names a process of this machine that no longer runs."""
    parts = worker_id.split(":")
    if len(parts) < 3 or parts[-3] != socket.gethostname() or not parts[-2].isdigit():
        return False
    try:
        os.kill(int(parts[-2]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lineage_of(inputs: list[str]) -> str:
    """Runs of the same inputs share a lineage, so a re-run can carry decisions and mark stale flags.

    `os.path.realpath`, not `Path.resolve`: it gives the same answer but does not raise on a
    symlink loop, which ingest skips with one line rather than abort the run."""
    resolved = sorted(os.path.realpath(p) for p in inputs)
    return hashlib.sha256("\n".join(resolved).encode()).hexdigest()[:16]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _claim_row(batch_id: str, c: GroundedClaim, backend: str, prompt_hash: str | None) -> tuple[object, ...]:
    return (batch_id, c.id, c.document, c.subject, c.attribute, c.value, c.number, c.unit,
            json.dumps(c.conditions), c.asserted_by, int(c.hedged), c.quote, c.start, c.end, c.match,
            backend, prompt_hash if backend == "llm" else None)


def _claim_of(row: Row, read: dict[str, AsOf | Frame] | None = None) -> GroundedClaim:
    """A stored claim as a model. `read` holds the times and frames already read by this query: most
    claims of a batch share a few (their document's date, no stated frame), and reading each claim's
    own JSON took a third of loading a 10,000-document batch's claims."""
    conditions = json.loads(row["conditions"])
    statement = statement_of(row["subject"], row["attribute"], row["value"], conditions)
    as_of = row["as_of"]
    frame = row["frame"]
    return GroundedClaim(  # names that repeat across a batch's claims are held once (sys.intern)
        id=row["id"], document=sys.intern(row["document_id"]), subject=sys.intern(row["subject"]),
        attribute=sys.intern(row["attribute"]), value=row["value"], number=row["number"],
        unit=sys.intern(row["unit"]) if row["unit"] else row["unit"], conditions=conditions,
        asserted_by=sys.intern(row["asserted_by"]), hedged=bool(row["hedged"]), quote=row["quote"],
        start=row["start"], end=row["end"], match=row["match"], statement=statement,
        as_of=_read_json(AsOf, as_of, read) if as_of else None,
        frame=_read_json(Frame, frame, read) if frame else None,
    )


_Stored = TypeVar("_Stored", AsOf, Frame)


def _read_json(model: type[_Stored], text: str, read: dict[str, AsOf | Frame] | None) -> _Stored:
    """`model` read from its stored JSON, once per distinct text when `read` is given (the shared model
    is never changed in place: the time stage makes new ones)."""
    if read is None:
        return model.model_validate_json(text)
    found = read.get(text)
    if isinstance(found, model):
        return found
    made = model.model_validate_json(text)
    read[text] = made
    return made


def _stored_claim(row: Row) -> StoredClaim:
    return StoredClaim(
        id=row["id"], document_id=row["document_id"], subject=row["subject"], attribute=row["attribute"],
        value=row["value"], quote=row["quote"], start=int(row["start"]), end=int(row["end"]),
        conditions=_json(row["conditions"], []), asserted_by=row["asserted_by"], hedged=bool(row["hedged"]),
        as_of=AsOf.model_validate_json(row["as_of"]) if row["as_of"] else None,
        frame=Frame.model_validate_json(row["frame"]) if row["frame"] else None,
        title=row["title"], path=row["path"], document_text=row["document_text"],
        document_date=row["document_date"], document_date_source=row["document_date_source"],
    )


def _contradiction_row(report: Report, f: Contradiction) -> tuple[object, ...]:
    judge_hash = report.prompt_hashes.get("judge") if f.kind == "textual" else None
    return (report.batch, f.id, "contradiction", f.kind, f.severity, f.rationale, int(f.conditions_differ),
            json.dumps([c.id for c in f.claims]), judge_hash, f.question_id or None)


def _corroboration_row(report: Report, f: Corroboration) -> tuple[object, ...]:
    return (report.batch, f.id, "corroboration", None, None, f"{len(f.documents)} documents agree", 0,
            json.dumps([c.id for c in f.claims]), None, None)
