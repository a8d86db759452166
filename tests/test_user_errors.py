"""Situations a user causes end in one clear line and a non-zero exit, never a traceback.

A corrupt database, a data folder that cannot be written, a bad gold file, a batch another
process is running, a corrupt cache, an output folder that cannot be made, and file
names or text carrying terminal escapes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import SEEDS
from verifier import pipeline
from verifier.cli import cli
from verifier.llm import LLM, LLMSettings, open_cache
from verifier.models import Usage
from verifier.store import Store
from verifier.terminal import printable, printable_json
from verifier.testing import FakeEndpoint


def _permissions_bypassed() -> bool:
    """Root (with its usual capabilities) reads a mode-000 file: chmod cases cannot fail for it."""
    if os.geteuid() != 0:
        return False
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe"
        probe.write_text("x")
        probe.chmod(0)
        try:
            probe.read_text()
        except PermissionError:
            return False  # root without CAP_DAC_OVERRIDE, e.g. under `setpriv --bounding-set=-dac_override`
    return True


needs_permissions = pytest.mark.skipif(_permissions_bypassed(), reason="root bypasses file permissions")


def _one_line_error(result: Result, *needles: str) -> str:
    """The run failed with exactly one line on stderr, no traceback, naming every needle."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a ClickException, not a crash
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- 1. a corrupt or unreadable database ------------------------------------------------------

def _random_bytes(db: Path) -> None:
    db.write_bytes(os.urandom(4096))


def _truncated(db: Path) -> None:
    Store.open(db.parent).close()
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _text_file(db: Path) -> None:
    db.write_text("these are my notes, not a database\n")


def _foreign_sqlite(db: Path) -> None:
    connection = sqlite3.connect(db)
    connection.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    connection.commit()
    connection.close()


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "random bytes": _random_bytes, "truncated": _truncated, "text": _text_file, "foreign sqlite": _foreign_sqlite,
}
COMMANDS: dict[str, list[str]] = {
    "run": ["run", str(SEEDS), "--out", "{out}"],
    "flags": ["flags"],
    "show": ["show", "f0"],
    "decide": ["decide", "f0", "confirmed"],
    "export": ["export", "--format", "csv"],
    "serve": ["serve", "--port", "0"],
}


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """`serve` must fail before it starts; if it got that far, record it instead of serving."""
    started: list[object] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: started.append(app))
    return started


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_a_corrupt_database_is_one_line_and_left_as_it_was(corruption: str, command: str, tmp_path: Path,
                                                           verifier_home: Path, no_server: list[object]) -> None:
    verifier_home.mkdir()
    db = verifier_home / "verifier.db"
    CORRUPTIONS[corruption](db)
    before, files = _digest(db), sorted(os.listdir(verifier_home))
    args = [a.format(out=tmp_path / "out") for a in COMMANDS[command]]
    _one_line_error(CliRunner().invoke(cli, args), str(db), "nothing was changed")
    assert _digest(db) == before
    assert sorted(os.listdir(verifier_home)) == files  # no -wal, -shm, cache or lock beside it
    assert not no_server
    assert not (tmp_path / "out").exists()


def test_a_folder_in_place_of_the_database_is_one_line(verifier_home: Path, no_server: list[object]) -> None:
    (verifier_home / "verifier.db").mkdir(parents=True)
    for args in (["flags"], ["run", str(SEEDS)], ["serve"]):
        _one_line_error(CliRunner().invoke(cli, args), str(verifier_home / "verifier.db"), "is a folder")
    assert not no_server


@needs_permissions
@pytest.mark.parametrize("mode, words", [(0o000, "cannot read"), (0o444, "read-only")])
def test_an_unreadable_or_read_only_database_is_one_line(mode: int, words: str, verifier_home: Path) -> None:
    Store.open(verifier_home).close()
    db = verifier_home / "verifier.db"
    db.chmod(mode)
    try:
        for args in (["flags"], ["export", "--format", "jsonl"]):
            _one_line_error(CliRunner().invoke(cli, args), str(db), words, "nothing was changed")
    finally:
        db.chmod(0o644)


# -- 2. a data folder that cannot be created or written ---------------------------------------

def test_a_data_folder_that_cannot_be_created_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("a file, not a folder")
    home = tmp_path / "file" / "sub"
    monkeypatch.setenv("VERIFIER_HOME", str(home))
    for args in (["flags"], ["run", str(SEEDS), "--out", str(tmp_path / "out")], ["decide", "f0", "dismissed"]):
        _one_line_error(CliRunner().invoke(cli, args), f"cannot create the data folder {home}")
    assert not (tmp_path / "out").exists()


@needs_permissions
def test_a_read_only_data_folder_is_one_line(verifier_home: Path) -> None:
    verifier_home.mkdir()
    verifier_home.chmod(0o555)
    try:
        _one_line_error(CliRunner().invoke(cli, ["flags"]), f"the data folder {verifier_home} is not writable")
    finally:
        verifier_home.chmod(0o755)


# -- 3. gold files ----------------------------------------------------------------------------

@pytest.mark.parametrize("content, words", [
    (b"\xff\xfe{\x00}", "is not UTF-8 text"),
    (b"corpus: seeds\n", "is not JSON: Expecting value at line 1"),
    (b"[1, 2]", "is not a gold file"),
    (b'{"corpus": "x", "contradictions": [{"id": "a"}]}', "contradictions.0.sides: Field required"),
    (b"[" * 100_000, "nested too deeply"),
])
def test_a_bad_gold_file_is_one_line(content: bytes, words: str, tmp_path: Path) -> None:
    gold = tmp_path / "gold.json"
    gold.write_bytes(content)
    (tmp_path / "report.json").write_text(json.dumps({"contradictions": []}))
    result = CliRunner().invoke(cli, ["eval", "--gold", str(gold), str(tmp_path / "report.json")])
    _one_line_error(result, str(gold), words)


# -- 4. a batch another process is running ----------------------------------------------------

class _Gate:
    """A progress display that holds the batch (and so its lock) open until released."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()

    def start(self, total: int, done: int) -> None:
        self.started.set()
        assert self.release.wait(60)

    def document_done(self, usage: Usage) -> None:
        pass

    def stop(self) -> None:
        pass


def _hold_a_batch(tmp_path: Path) -> tuple[_Gate, threading.Thread, list[BaseException]]:
    """Start a run of the seeds in a thread and stop it inside its batch, holding the lock."""
    gate, errors = _Gate(), []

    def first() -> None:
        try:
            pipeline.run_batch(pipeline.RunOptions(paths=[str(SEEDS)], out_dir=tmp_path / "first", progress=gate))
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    assert gate.started.wait(60)
    return gate, thread, errors


def test_a_second_run_of_a_running_batch_is_refused_naming_the_holder(tmp_path: Path) -> None:
    gate, thread, errors = _hold_a_batch(tmp_path)
    try:
        result = CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(tmp_path / "second")])
        _one_line_error(result, f"already running in process {os.getpid()}", "--wait")
        assert not (tmp_path / "second").exists()
    finally:
        gate.release.set()
        thread.join(60)
    assert not errors
    assert (tmp_path / "first" / "report.json").exists()
    other = CliRunner().invoke(cli, ["run", str(SEEDS / "000_a22e23b24a99b410.txt"), "--out", str(tmp_path / "o")])
    assert other.exit_code == 0, other.output  # other inputs are another batch: never blocked


def test_with_wait_a_second_run_waits_for_the_first_then_runs(tmp_path: Path) -> None:
    gate, thread, errors = _hold_a_batch(tmp_path)
    warnings: list[str] = []
    second: list[pipeline.RunResult] = []

    def waiting(message: str) -> None:
        warnings.append(message)
        if message.startswith("waiting for process"):
            gate.release.set()  # the first run finishes only once the second is seen waiting

    waiter = threading.Thread(target=lambda: second.append(pipeline.run_batch(pipeline.RunOptions(
        paths=[str(SEEDS)], out_dir=tmp_path / "second", wait=True, warn=waiting))))
    waiter.start()
    waiter.join(120)
    gate.release.set()
    thread.join(60)
    assert not errors and second
    assert f"waiting for process {os.getpid()}, which is running this batch" in warnings
    first_report = json.loads((tmp_path / "first" / "report.json").read_text())
    assert second[0].report.batch != first_report["batch"]  # the first finished it; the second is a re-run
    assert len(second[0].report.contradictions) == len(first_report["contradictions"])


def test_the_wait_option_is_offered() -> None:
    assert "--wait" in CliRunner().invoke(cli, ["run", "--help"]).output


# -- 5. a corrupt or unreadable cache ---------------------------------------------------------

@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_a_corrupt_cache_is_moved_aside_with_one_warning_and_the_run_goes_on(
        tmp_path: Path, verifier_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = verifier_home / "cache"
    cache.mkdir(parents=True)
    (cache / "cache.db").write_bytes(os.urandom(8192))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "acme.txt").write_text("Acme results\nAcme reported revenue of $4.2 billion in the third quarter.\n")
    (docs / "wire.txt").write_text("Wire report\nAcme reported revenue of $4.6 billion in the third quarter.\n")
    with FakeEndpoint() as endpoint:
        result = CliRunner().invoke(cli, ["run", str(docs), "--base-url", endpoint.url, "--model", "fake",
                                          "--align", "code", "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    [warning] = [line for line in result.stderr.splitlines() if "cache" in line]
    [aside] = [p for p in verifier_home.iterdir() if p.name.startswith("cache.broken-")]
    assert warning.startswith(f"verifier: the answer cache {cache} is unusable") and str(aside) in warning
    assert (aside / "cache.db").stat().st_size == 8192  # kept, for whoever wants to look
    assert (cache / "cache.db").exists()  # a new cache took its place


def test_a_cache_that_fails_mid_run_is_dropped_and_moved_aside_at_close(tmp_path: Path) -> None:
    warnings: list[str] = []
    llm = LLM(LLMSettings(model="fake", base_url="http://127.0.0.1:9/v1", cache_dir=tmp_path / "cache"),
              warn=warnings.append)

    class Broken:
        def get(self, key: str) -> object:
            raise sqlite3.DatabaseError("database disk image is malformed")

        def close(self) -> None:
            pass

    llm._cache = Broken()  # type: ignore[assignment]
    assert llm._cache_get("k") is None and llm._cache_get("k") is None
    llm.close()
    assert len([w for w in warnings if "going on without it" in w]) == 1
    assert any(w.startswith("moved the failed answer cache") for w in warnings)
    assert [p.name.startswith("cache.broken-") for p in tmp_path.iterdir()] == [True]


def test_a_cache_path_that_is_a_file_is_moved_aside(tmp_path: Path) -> None:
    warnings: list[str] = []
    (tmp_path / "cache").write_text("not a folder")
    cache = open_cache(tmp_path / "cache", warnings.append)
    assert cache is not None
    cache.close()
    assert len(warnings) == 1 and "moved it to" in warnings[0]


@needs_permissions
def test_an_unreadable_cache_is_moved_aside(tmp_path: Path) -> None:
    warnings: list[str] = []
    directory = tmp_path / "cache"
    open_cache(directory, warnings.append).close()  # type: ignore[union-attr]
    directory.chmod(0o000)
    try:
        cache = open_cache(directory, warnings.append)
        assert cache is not None
        cache.close()
    finally:
        for p in tmp_path.iterdir():
            p.chmod(0o755)
    assert len(warnings) == 1 and "moved it to" in warnings[0]


# -- 6. output folders checked first ----------------------------------------------------------

def _no_ingest(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("ingest ran before the output folder was checked")

    monkeypatch.setattr(pipeline.ingest, "ingest", refuse)


def test_an_output_folder_under_a_file_fails_before_any_work(tmp_path: Path, verifier_home: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "some-file").write_text("x")
    _no_ingest(monkeypatch)
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(tmp_path / "some-file" / "sub")])
    _one_line_error(result, "cannot write the report to", f"{tmp_path / 'some-file'} is a file")
    assert not verifier_home.exists()  # not even the database was created


def test_a_report_file_that_is_a_folder_fails_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "out" / "report.json").mkdir(parents=True)
    _no_ingest(monkeypatch)
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(tmp_path / "out")])
    _one_line_error(result, str(tmp_path / "out" / "report.json"))


@needs_permissions
def test_an_unwritable_output_folder_fails_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    _no_ingest(monkeypatch)
    try:
        result = CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(locked / "out")])
        _one_line_error(result, f"{locked} is not writable")
    finally:
        locked.chmod(0o755)


def test_export_to_a_path_under_a_file_is_one_line(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(tmp_path / "out")]).exit_code == 0
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(cli, ["export", "--format", "csv", "--out", str(tmp_path / "file" / "flags.csv")])
    _one_line_error(result, f"cannot write {tmp_path / 'file' / 'flags.csv'}")


# -- 7. control and bidi characters never reach the terminal raw ------------------------------

def test_printable_escapes_controls_and_bidi_and_keeps_newlines_and_tabs() -> None:
    raw = "a\x1b[2Jb\u202ec\x00\x7f\x9b\u2066\u200f\td\ne"
    assert printable(raw) == "a\\x1b[2Jb\\u202ec\\x00\\x7f\\x9b\\u2066\\u200f\td\ne"
    assert printable("two\nlines\r", one_line=True) == "two\\nlines\\x0d"
    assert printable("Überblick café — 58%") == "Überblick café — 58%"
    text = json.dumps({"name": "x\u202e\x85y"}, ensure_ascii=False)
    assert json.loads(printable_json(text)) == {"name": "x\u202e\x85y"} and "\u202e" not in printable_json(text)


EVIL = "004\u202eevil\x1b[31m"


def _evil_seeds(tmp_path: Path) -> Path:
    """The seeds with one file named with a bidi override and an escape, and an escape in a quote."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    source = folder / "004_9de9d384e8e8327b.txt"
    text = source.read_text(encoding="utf-8").replace("71.3 on Visual Factuality", "71.3 on Visual\x1b[7m Factuality")
    source.unlink()
    (folder / f"{EVIL}.txt").write_text(text, encoding="utf-8")
    (folder / "bad\x1b[2J\u202e.png").write_bytes(b"\x89PNG\r\n")
    return folder


def _assert_escaped(output: str) -> None:
    assert "\x1b" not in output and "\u202e" not in output, output
    assert "\\x1b[" in output or "\\u001b[" in output


def test_file_names_quotes_and_skip_reasons_are_escaped_on_the_terminal(tmp_path: Path) -> None:
    run = CliRunner().invoke(cli, ["run", str(_evil_seeds(tmp_path)), "--out", str(tmp_path / "out")])
    assert run.exit_code == 0, run.output
    [skipped] = [line for line in run.stderr.splitlines() if "skipped" in line]
    assert skipped.endswith("bad\\x1b[2J\\u202e.png: unsupported file type '.png'")
    _assert_escaped(run.output)

    table = CliRunner().invoke(cli, ["flags"])
    assert "004\\u202eevil\\x1b[31m" in table.output
    _assert_escaped(table.output)
    as_json = CliRunner().invoke(cli, ["flags", "--json"])
    _assert_escaped(as_json.output)
    flags = json.loads(as_json.output)
    flag = next(f for f in flags if EVIL in f["documents"] and f["question"].endswith("MMMU Pro?"))
    shown = CliRunner().invoke(cli, ["show", flag["id"]])
    assert shown.exit_code == 0, shown.output
    assert "71.3 on Visual\\x1b[7m Factuality" in shown.output and f"[2] {printable(EVIL)}" in shown.output
    _assert_escaped(shown.output)
    missing = CliRunner().invoke(cli, ["run", str(tmp_path / "no\x1b[31mpe")])
    assert missing.exit_code == 1 and "Error: no document could be read from" in missing.stderr
    assert "no\\x1b[31mpe" in missing.stderr
    _assert_escaped(missing.stderr)


def test_an_answer_cache_made_by_an_older_version_keeps_every_answer_and_maps_no_memory(tmp_path: Path) -> None:
    # diskcache's defaults (a 64 MB memory map and a 32 MB page cache per connection, one
    # connection per thread; least-recently-stored answers evicted past 1 GB) are what a
    # cache made before these settings holds; opening it must replace them, or a long batch
    # pays for its memory and, past 1 GB, for its answers again.
    import diskcache

    directory = tmp_path / "cache"
    diskcache.Cache(str(directory)).close()
    cache = open_cache(directory, pytest.fail)
    assert cache is not None
    try:
        assert (cache.sqlite_mmap_size, cache.sqlite_cache_size, cache.eviction_policy) == (0, 256, "none")
        assert cache._sql("PRAGMA mmap_size").fetchone()[0] == 0
    finally:
        cache.close()
