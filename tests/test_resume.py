"""A batch killed with SIGKILL and started again pays for no completed call and leaves no duplicates."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from verifier.testing import FakeEndpoint

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
DOCUMENTS = 20


def _command(folder: Path, url: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "verifier.cli", "run", str(folder), "--base-url", url, "--model", "fake",
            "--concurrency", "2", "--out", str(out), "--quiet"]


def test_sigkill_then_the_same_command_finishes_without_repeating_work(tmp_path: Path, verifier_home: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(DOCUMENTS):
        (folder / f"doc{n:02d}.txt").write_text(f"Report {n}\nAcme{n} reported revenue of ${n + 1}.5 billion.\n")
    env = {**os.environ, "VERIFIER_HOME": str(verifier_home), "OPENAI_API_KEY": "sk-test"}
    with FakeEndpoint(latency=0.15) as endpoint:
        first = subprocess.Popen(_command(folder, endpoint.url, tmp_path / "out1"), env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while endpoint.requests < 8:
            assert first.poll() is None and time.monotonic() < deadline, "the first run ended too early"
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        db, killed_after, committed = state_at_kill(endpoint, verifier_home)
        assert db.execute("SELECT status FROM batches").fetchall() == [("running",)]

        second = subprocess.run(_command(folder, endpoint.url, tmp_path / "out2"), env=env,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr
        assert "resuming batch" in second.stderr

    report = json.loads((tmp_path / "out2" / "report.json").read_text())
    assert_finished_without_repeating(endpoint, db, killed_after, committed, report)


def state_at_kill(endpoint: FakeEndpoint, home: Path) -> tuple[sqlite3.Connection, int, int]:
    """Right after the kill: the store, the extraction calls asked so far, the documents committed."""
    db = sqlite3.connect(home / "verifier.db")
    committed = db.execute("SELECT count(*) FROM documents").fetchone()[0]
    assert 0 < committed < DOCUMENTS
    return db, endpoint.kinds["extract"], committed


def assert_finished_without_repeating(endpoint: FakeEndpoint, db: sqlite3.Connection, killed_after: int,
                                      committed: int, report: dict[str, Any]) -> None:
    """The resumed batch is whole, paid for no completed call and stored no row twice."""
    bodies = [json.dumps(b["messages"], sort_keys=True) for b in endpoint.bodies_of("extract")]
    # every document asked once; only calls in flight when the first run died (at most the
    # concurrency, 2) are asked again, never one whose answer had been received
    assert len(set(bodies)) == DOCUMENTS
    assert len(bodies) - DOCUMENTS <= 2
    # committed documents are not asked again, and answers received before the kill come from the cache
    assert len(bodies) - killed_after <= DOCUMENTS - committed
    rows = db.execute("SELECT batch_id, count(*), count(DISTINCT document_id) FROM claims GROUP BY batch_id").fetchall()
    assert rows == [(rows[0][0], DOCUMENTS, DOCUMENTS)]
    assert db.execute("SELECT count(*), min(status) FROM batches").fetchone() == (1, "done")
    assert len(report["documents"]) == DOCUMENTS and len(report["claims"]) == DOCUMENTS
