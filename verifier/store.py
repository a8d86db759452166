"""The SQLite store: batches, documents, claims and findings, under numbered migrations.

Only this module touches SQLite. The schema grows by appending to MIGRATIONS; each
migration runs once, in order, and is recorded in `_migrations`, so an old database is
upgraded in place and a blank one is created by the same path.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .models import AsOf, Contradiction, Corroboration, Document, Frame, GroundedClaim, Report, statement_of

MIGRATIONS: list[tuple[str, str]] = [
    (
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
            end INTEGER NOT NULL,
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
    (
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
    (
        "resumable batches: status and settings; per-document progress",
        """
        ALTER TABLE batches ADD COLUMN status TEXT NOT NULL DEFAULT 'done';
        ALTER TABLE batches ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE documents ADD COLUMN dropped INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE documents ADD COLUMN failures TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE documents ADD COLUMN copy_of TEXT;
        """,
    ),
    (
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
    (
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
    (
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


DATABASE = "verifier.db"
_SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(Exception):
    """The data folder or its database cannot be used; the one-line message names which and why."""


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


def _check_tables(connection: sqlite3.Connection, path: Path) -> None:
    """A SQLite database with tables but no migration record belongs to something else."""
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if tables and "_migrations" not in tables:
        raise StoreError(f"{path} is a SQLite database of something else, not verifier's; nothing was changed")


class Store:
    """A verifier database; open it with `Store.open()` to get the migrated schema."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path

    @classmethod
    def open(cls, home: Path | None = None) -> Store:
        """Open (or create) the database under `home` and bring its schema up to date.

        A file that is not a verifier database is refused before a byte is written, so a
        StoreError always means the file on disk is as it was.
        """
        home = home or default_home()
        prepare_home(home)
        path = home / DATABASE
        check_database(path)
        try:
            connection = sqlite3.connect(path, timeout=30)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {path}: {exc}; nothing was changed") from exc
        try:
            connection.row_factory = sqlite3.Row
            _check_tables(connection, path)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a killed process
            connection.execute("PRAGMA foreign_keys=ON")
            store = cls(connection, path)
            store.migrate()
        except sqlite3.Error as exc:
            connection.close()
            raise StoreError(f"cannot use the database {path}: {exc}; nothing was changed") from exc
        except BaseException:
            connection.close()
            raise
        return store

    def close(self) -> None:
        self.db.close()

    def migrate(self) -> list[int]:
        """Apply the migrations this database has not seen; return their numbers."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)"
        )
        done = {row[0] for row in self.db.execute("SELECT id FROM _migrations")}
        applied = []
        for number, (name, sql) in enumerate(MIGRATIONS, start=1):
            if number in done:
                continue
            with self._transaction():
                for statement in _statements(sql):
                    self.db.execute(statement)
                self.db.execute(
                    "INSERT INTO _migrations (id, name, applied) VALUES (?, ?, datetime('now'))", (number, name)
                )
            applied.append(number)
        return applied

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def begin_batch(self, batch_id: str, created: str, backend: str, model: str | None, inputs: list[str],
                    settings: dict[str, object], prompt_hashes: dict[str, str]) -> None:
        """Record a batch as running, before any document is processed."""
        with self._transaction():
            self.db.execute(
                "INSERT INTO batches (id, created, backend, model, inputs, prompt_hashes, lineage, status, settings)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?)",
                (batch_id, created, backend, model, json.dumps(inputs), json.dumps(prompt_hashes),
                 lineage_of(inputs), json.dumps(settings, sort_keys=True)),
            )

    def unfinished_batch(self, inputs: list[str], settings: dict[str, object]) -> str | None:
        """The latest batch of the same inputs and settings that did not finish: the one to resume."""
        row = self.db.execute(
            "SELECT id FROM batches WHERE lineage = ? AND settings = ? AND status != 'done' ORDER BY rowid DESC",
            (lineage_of(inputs), json.dumps(settings, sort_keys=True)),
        ).fetchone()
        return str(row["id"]) if row else None

    def done_documents(self, batch_id: str) -> dict[str, str]:
        """Documents already committed to a batch: id -> sha256."""
        return {r["id"]: r["sha256"] for r in self.db.execute(
            "SELECT id, sha256 FROM documents WHERE batch_id = ?", (batch_id,))}

    def save_document(self, batch_id: str, document: Document, claims: list[GroundedClaim], dropped: int,
                      failures: list[str], backend: str, prompt_hash: str | None, usage: str,
                      replace: bool = False) -> None:
        """Commit one document and its claims in one transaction: all of it, or none of it.

        `replace` drops what an earlier run stored for the same document id (its content changed).
        """
        with self._transaction():
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
                "INSERT OR IGNORE INTO claims (batch_id, id, document_id, subject, attribute, value, number, unit,"
                " conditions, asserted_by, hedged, quote, start, end, match, backend, prompt_hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_claim_row(batch_id, c, backend, prompt_hash) for c in claims],
            )
            self.db.execute("UPDATE batches SET usage = ? WHERE id = ?", (usage, batch_id))

    def batch_claims(self, batch_id: str, document_ids: list[str]) -> tuple[list[GroundedClaim], int, list[str]]:
        """The committed claims of these documents, their dropped count and their failed chunks."""
        wanted = set(document_ids)
        claims = [
            _claim_of(row) for row in self.db.execute(
                "SELECT * FROM claims WHERE batch_id = ? ORDER BY document_id, start, id", (batch_id,))
            if row["document_id"] in wanted
        ]
        dropped, failures = 0, []
        for row in self.db.execute("SELECT id, dropped, failures FROM documents WHERE batch_id = ? ORDER BY id",
                                   (batch_id,)):
            if row["id"] in wanted:
                dropped += row["dropped"]
                failures += json.loads(row["failures"])
        return claims, dropped, failures

    def stored_usage(self, batch_id: str) -> dict[str, object]:
        row = self.db.execute("SELECT usage FROM batches WHERE id = ?", (batch_id,)).fetchone()
        loaded: dict[str, object] = json.loads(row["usage"]) if row and row["usage"] else {}
        return loaded

    def finish_batch(self, report: Report, report_dir: str) -> None:
        """Store the alignment and the findings and mark the batch done, in one transaction.

        A batch stopped by its budget is marked 'stopped': the same command with a larger
        budget resumes it.
        """
        with self._transaction():
            self._save_alignment(report)
            self.db.execute("DELETE FROM findings WHERE batch_id = ?", (report.batch,))
            self.db.executemany(
                "INSERT INTO findings (batch_id, id, finding, kind, severity, rationale, conditions_differ,"
                " claim_ids, prompt_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_contradiction_row(report, f) for f in report.contradictions]
                + [_corroboration_row(report, f) for f in report.corroborations],
            )
            self.db.executemany("UPDATE findings SET question_id = ? WHERE batch_id = ? AND id = ?",
                                [(f.question_id or None, report.batch, f.id) for f in report.contradictions])
            self.db.execute("DELETE FROM explained WHERE batch_id = ?", (report.batch,))
            self.db.executemany(
                "INSERT INTO explained (batch_id, id, question_id, question, reason, claim_ids)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(report.batch, e.id, e.question_id or None, e.question, e.reason, json.dumps([c.id for c in e.claims]))
                 for e in report.explained],
            )
            self.db.execute(
                "UPDATE batches SET status = ?, counts = ?, usage = ?, prompt_hashes = ?, report_dir = ?"
                " WHERE id = ?",
                ("stopped" if report.unprocessed else "done", report.counts.model_dump_json(),
                 report.usage.model_dump_json(), json.dumps(report.prompt_hashes), report_dir, report.batch),
            )

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

    def question(self, batch_id: str, question_id: str | None) -> sqlite3.Row | None:
        """One question of a batch, with its entity's name."""
        if not question_id:
            return None
        row: sqlite3.Row | None = self.db.execute(
            "SELECT q.*, e.name AS entity_name FROM questions q LEFT JOIN entities e"
            " ON e.batch_id = q.batch_id AND e.id = q.entity_id WHERE q.batch_id = ? AND q.id = ?",
            (batch_id, question_id),
        ).fetchone()
        return row

    def batches(self) -> list[sqlite3.Row]:
        """Every batch, oldest first (insertion order, which a clock cannot reorder)."""
        return list(self.db.execute("SELECT * FROM batches ORDER BY rowid"))

    def batch(self, batch_id: str | None) -> sqlite3.Row | None:
        """One batch by id, or the latest when `batch_id` is None."""
        if batch_id is None:
            cursor = self.db.execute("SELECT * FROM batches ORDER BY rowid DESC LIMIT 1")
        else:
            cursor = self.db.execute("SELECT * FROM batches WHERE id = ?", (batch_id,))
        row: sqlite3.Row | None = cursor.fetchone()
        return row

    def contradictions(self, batch_id: str) -> list[sqlite3.Row]:
        """A batch's flags in report order."""
        return list(self.db.execute(
            "SELECT * FROM findings WHERE batch_id = ? AND finding = 'contradiction' ORDER BY rowid", (batch_id,)
        ))

    def explained(self, batch_id: str) -> list[sqlite3.Row]:
        """A batch's explained differences in report order."""
        return list(self.db.execute("SELECT * FROM explained WHERE batch_id = ? ORDER BY rowid", (batch_id,)))

    def earlier_contradictions(self, batch_id: str) -> list[sqlite3.Row]:
        """Flags of earlier runs of the same inputs (same lineage), newest occurrence of each first."""
        return list(self.db.execute(
            """
            SELECT f.* FROM findings f JOIN batches b ON b.id = f.batch_id
            WHERE f.finding = 'contradiction'
              AND b.lineage = (SELECT lineage FROM batches WHERE id = ?)
              AND b.rowid < (SELECT rowid FROM batches WHERE id = ?)
            ORDER BY b.rowid DESC, f.rowid
            """,
            (batch_id, batch_id),
        ))

    def finding(self, flag_id: str) -> sqlite3.Row | None:
        """The latest stored occurrence of a flag, in whatever batch."""
        row: sqlite3.Row | None = self.db.execute(
            "SELECT f.* FROM findings f JOIN batches b ON b.id = f.batch_id WHERE f.id = ?"
            " AND f.finding = 'contradiction' ORDER BY b.rowid DESC LIMIT 1",
            (flag_id,),
        ).fetchone()
        return row

    def claims(self, batch_id: str, claim_ids: list[str]) -> list[sqlite3.Row]:
        """Claims with their document's title, path and text, in the order asked."""
        rows = {
            row["id"]: row for row in self.db.execute(
                f"SELECT c.*, d.title, d.path, d.text AS document_text, d.date AS document_date,"
                f" d.date_source AS document_date_source FROM claims c JOIN documents d"
                f" ON d.batch_id = c.batch_id AND d.id = c.document_id"
                f" WHERE c.batch_id = ? AND c.id IN ({','.join('?' * len(claim_ids))})",
                (batch_id, *claim_ids),
            )
        }
        return [rows[i] for i in claim_ids if i in rows]

    def add_decision(self, flag_id: str, decision: str, note: str, reviewer: str, decided_at: str) -> int:
        """Append a decision; history is never rewritten. Returns the decision's id."""
        with self._transaction():
            cursor = self.db.execute(
                "INSERT INTO decisions (flag_id, decision, note, reviewer, decided_at) VALUES (?, ?, ?, ?, ?)",
                (flag_id, decision, note, reviewer, decided_at),
            )
        return int(cursor.lastrowid or 0)

    def decisions(self, flag_ids: list[str]) -> dict[str, list[sqlite3.Row]]:
        """Decision history per flag, oldest first."""
        history: dict[str, list[sqlite3.Row]] = {i: [] for i in flag_ids}
        for start in range(0, len(flag_ids), 500):
            part = flag_ids[start:start + 500]
            for row in self.db.execute(
                f"SELECT * FROM decisions WHERE flag_id IN ({','.join('?' * len(part))}) ORDER BY id", part
            ):
                history[row["flag_id"]].append(row)
        return history


class Jobs:
    """Batches submitted over HTTP: what was asked, where it stands. A job's own rows; the batch
    it runs is stored like any other batch."""

    def __init__(self, store: Store) -> None:
        self.db = store.db

    def add(self, job_id: str, created: str, options: dict[str, object], paths: list[str]) -> None:
        with self.db:
            self.db.execute("INSERT INTO jobs (id, created, status, options, paths) VALUES (?, ?, 'queued', ?, ?)",
                            (job_id, created, json.dumps(options), json.dumps(paths)))

    def update(self, job_id: str, **fields: object) -> None:
        """Set some of status, batch_id, error, progress (a dict), finished."""
        allowed = {"status", "batch_id", "error", "progress", "finished"}
        assert set(fields) <= allowed, fields
        values = [json.dumps(v) if k == "progress" else v for k, v in fields.items()]
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self.db:
            self.db.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*values, job_id))

    def get(self, job_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return row

    def all(self) -> list[sqlite3.Row]:
        return list(self.db.execute("SELECT * FROM jobs ORDER BY created DESC, id DESC"))

    def unfinished(self) -> list[sqlite3.Row]:
        """Jobs a killed server left queued or running, oldest first: they run again on start."""
        return list(self.db.execute("SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY created, id"))


def lineage_of(inputs: list[str]) -> str:
    """Runs of the same inputs share a lineage, so a re-run can carry decisions and mark stale flags.

    `os.path.realpath`, not `Path.resolve`: it gives the same answer but does not raise on a
    symlink loop, which ingest skips with one line rather than abort the run."""
    resolved = sorted(os.path.realpath(p) for p in inputs)
    return hashlib.sha256("\n".join(resolved).encode()).hexdigest()[:16]


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


def _claim_row(batch_id: str, c: GroundedClaim, backend: str, prompt_hash: str | None) -> tuple[object, ...]:
    return (batch_id, c.id, c.document, c.subject, c.attribute, c.value, c.number, c.unit,
            json.dumps(c.conditions), c.asserted_by, int(c.hedged), c.quote, c.start, c.end, c.match,
            backend, prompt_hash if backend == "llm" else None)


def _claim_of(row: sqlite3.Row) -> GroundedClaim:
    conditions = json.loads(row["conditions"])
    statement = statement_of(row["subject"], row["attribute"], row["value"], conditions)
    as_of = row["as_of"]
    frame = row["frame"]
    return GroundedClaim(
        id=row["id"], document=row["document_id"], subject=row["subject"], attribute=row["attribute"],
        value=row["value"], number=row["number"], unit=row["unit"], conditions=conditions,
        asserted_by=row["asserted_by"], hedged=bool(row["hedged"]), quote=row["quote"], start=row["start"],
        end=row["end"], match=row["match"], statement=statement,
        as_of=AsOf.model_validate_json(as_of) if as_of else None,
        frame=Frame.model_validate_json(frame) if frame else None,
    )


def _contradiction_row(report: Report, f: Contradiction) -> tuple[object, ...]:
    judge_hash = report.prompt_hashes.get("judge") if f.kind == "textual" else None
    return (report.batch, f.id, "contradiction", f.kind, f.severity, f.rationale, int(f.conditions_differ),
            json.dumps([c.id for c in f.claims]), judge_hash)


def _corroboration_row(report: Report, f: Corroboration) -> tuple[object, ...]:
    return (report.batch, f.id, "corroboration", None, None, f"{len(f.documents)} documents agree", 0,
            json.dumps([c.id for c in f.claims]), None)
