"""No input stalls a batch: long unbroken tokens and long lines go through every stage, and
no one document holds a worker for long.

A pattern that backtracks on a long token turns a Markdown file with an inline image into
minutes of work. The time per MB is measured by `bench/hostile.py`; this test only checks
that a batch of such files completes, under a ceiling far above what the benchmark
measures (a stalled stage would run for minutes), and that the figures beside the junk are
still read. Linear work is still minutes on a 15 MB line of figures, so a document is read
up to a cap on claims and on seconds (the report names where it stopped), and a cancel
stops it between two sentences.
"""

from __future__ import annotations

import base64
import json
import random
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier import extract
from verifier.cli import cli
from verifier.extract import MAX_CLAIMS_PER_DOCUMENT
from verifier.keys import KeyMaker
from verifier.models import Document
from verifier.rules import RulesExtractor
from verifier.service import FINISHED, BatchService, SubmitOptions, Upload

CEILING_SECONDS = 120
SIZE = 300_000


@pytest.fixture
def ceiling() -> Iterator[None]:
    def stalled(signum: int, frame: object) -> None:
        raise TimeoutError(f"the batch did not finish within {CEILING_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, stalled)
    signal.alarm(CEILING_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_long_tokens_and_long_lines_do_not_stall_a_batch(tmp_path: Path, ceiling: None) -> None:
    rng = random.Random(3)
    blob = base64.b64encode(rng.randbytes(SIZE * 3 // 4)).decode()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "letter.txt").write_text("Velden Steel reported revenue of $4.2 billion " + "a" * SIZE + ".\n")
    (docs / "image.md").write_text("# Velden results\n\nVelden Steel reported revenue of $4.6 billion.\n\n"
                                   f"![chart](data:image/png;base64,{blob})\n")
    (docs / "words.txt").write_text("Velden Steel reported revenue of $4.2 billion " + "and more " * (SIZE // 9) + "\n")
    (docs / "caps.txt").write_text("Velden Steel said " + "A" * SIZE + " revenue rose 12%.\n")
    # every full stop an abbreviation: a splitter that rescans from the last break is quadratic
    (docs / "abbrev.txt").write_text("Velden Steel said revenue rose 12% " + "Inc. " * (SIZE // 5) + "\n")
    result = CliRunner().invoke(cli, ["run", str(docs), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    values = sorted(c["value"] for c in report["claims"])
    assert "$4.2 billion" in values and "$4.6 billion" in values  # the figures beside the junk are read
    assert all(len(c["quote"]) < 1000 for c in report["claims"])  # quotes are windows, never the long line
    assert any({c["value"] for c in f["claims"]} == {"$4.2 billion", "$4.6 billion"} for f in report["contradictions"])


def _figures_line(sentences: int) -> str:
    """One line of distinct figure sentences: every one a claim, as in a 15 MB dump of figures."""
    return "".join(f"Velden Steel reported revenue of ${n // 10}.{n % 10} billion. " for n in range(sentences)) + "\n"


def test_a_document_with_more_claims_than_the_cap_is_read_in_part_and_the_report_says_where(
        tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "dump.txt").write_text(_figures_line(MAX_CLAIMS_PER_DOCUMENT + 500))
    (docs / "story.txt").write_text("Velden Steel reported revenue of $4.2 billion.\n")
    result = CliRunner().invoke(cli, ["run", str(docs), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    per_document = {d["id"]: sum(c["document"] == d["id"] for c in report["claims"]) for d in report["documents"]}
    assert per_document == {"dump": MAX_CLAIMS_PER_DOCUMENT, "story": 1}
    [note] = [f for f in report["failures"] if f.startswith("dump: read in part")]
    assert f"stopped at {MAX_CLAIMS_PER_DOCUMENT:,} claims (--max-claims)" in note and "the rest was not read" in note
    assert note in (tmp_path / "out" / "report.md").read_text()


def test_reading_one_document_stops_at_its_seconds_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(1_000_000))  # each look at the clock is one second later: no real time is measured
    monkeypatch.setattr(extract.time, "monotonic", lambda: float(next(clock)))
    text = "Velden Steel said revenue was flat. " * 200 + "Velden Steel reported revenue of $4.2 billion.\n"
    doc = Document(id="slow", path="slow.txt", sha256="0" * 64, title="slow", text=text)
    handed: list[tuple[int, list[str]]] = []
    left = extract.extract_documents([doc], keys=KeyMaker(), bounds=extract.Bounds(max_seconds=5),
                                     on_document=lambda d, claims, notes: handed.append((len(claims), notes)))
    [(claims, [note])] = handed
    assert left == [] and claims == 0  # the figure at the end was never reached
    assert note.startswith("slow: read in part: stopped at 5 seconds (--max-document-seconds), at character ")


def test_a_cancel_stops_a_batch_inside_its_one_long_document(verifier_home: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    reading, go_on = threading.Event(), threading.Event()
    real = RulesExtractor._sentence_claims

    def held(self: RulesExtractor, *args: object) -> object:
        if not reading.is_set():  # the document is being read: hold it there until the cancel is in
            reading.set()
            go_on.wait(30)
        return real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(RulesExtractor, "_sentence_claims", held)
    service = BatchService(home=verifier_home)
    service.start()
    try:
        job = service.submit([Upload("dump.txt", _figures_line(1000).encode())], SubmitOptions(backend="rules"))
        assert reading.wait(60)
        service.cancel(job.id)
        go_on.set()
        deadline = time.monotonic() + 60
        while (status := service.status(job.id)).status not in FINISHED and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        go_on.set()
        service.close()
    assert status.status == "cancelled"
    assert status.documents_done == 0  # the document was left unfinished, not read to its end first
