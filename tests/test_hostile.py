"""No input stalls a batch: long unbroken tokens and long lines go through every stage.

A pattern that backtracks on a long token turns a Markdown file with an inline image into
minutes of work. The time per MB is measured by `bench/hostile.py`; this test only checks
that a batch of such files completes, under a ceiling far above what the benchmark
measures (a stalled stage would run for minutes), and that the figures beside the junk are
still read.
"""

from __future__ import annotations

import base64
import json
import random
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier.cli import cli

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
