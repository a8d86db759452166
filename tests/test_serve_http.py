"""`verifier serve` over real HTTP: a batch uploaded with httpx, followed by Server-Sent Events,
its report fetched; then the server killed with SIGKILL mid-batch and started again, and the
batch finishing without asking a completed call again or storing a row twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.test_resume import DOCUMENTS, assert_finished_without_repeating, state_at_kill
from verifier.testing import FakeEndpoint

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])


def _serve(port: int, env: dict[str, str], *options: str) -> subprocess.Popen[bytes]:
    server = subprocess.Popen([sys.executable, "-m", "verifier.cli", "serve", "--port", str(port), *options],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else "server ended"
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/batches", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


def _events(base: str, job_id: str) -> Iterator[dict[str, object]]:
    with httpx.stream("GET", f"{base}/api/batches/{job_id}/events", timeout=120) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                yield json.loads(line.removeprefix("data: "))


def test_serve_takes_a_batch_over_http_and_survives_sigkill(tmp_path: Path, verifier_home: Path) -> None:
    files = [("files", (f"doc{n:02d}.txt", f"Report {n}\nAcme{n} reported revenue of ${n + 1}.5 billion.\n",
                        "text/plain")) for n in range(DOCUMENTS)]
    env = {**os.environ, "VERIFIER_HOME": str(verifier_home), "OPENAI_API_KEY": "sk-test"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with FakeEndpoint(latency=0.15) as endpoint:
        first = _serve(port, env, "--base-url", endpoint.url, "--model", "fake")
        try:
            answer = httpx.post(f"{base}/api/batches", files=files, data={"backend": "llm", "concurrency": "2"})
            assert answer.status_code == 202, answer.text
            job = answer.json()
            for progress in _events(base, job["id"]):
                if int(progress["documents_done"]) >= 3:  # type: ignore[call-overload]
                    break
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
        db, killed_after, committed = state_at_kill(endpoint, verifier_home)
        assert db.execute("SELECT status FROM jobs").fetchall() == [("running",)]

        second = _serve(port, env, "--base-url", endpoint.url, "--model", "fake")
        try:
            last = list(_events(base, job["id"]))[-1]
            finished = httpx.get(f"{base}/api/batches/{job['id']}").json()
            report = httpx.get(f"{base}/api/batches/{job['id']}/report").json()
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        assert_finished_without_repeating(endpoint, db, killed_after, committed, report)

    assert last == {"status": "done"} and finished["status"] == "done"
    assert finished["documents_done"] == DOCUMENTS and finished["review_url"]


def test_the_readme_http_client_example_runs_twice_in_a_row(tmp_path: Path, verifier_home: Path) -> None:
    """The example posts two batches with one client (the second POST is the one a kept cookie broke),
    and runs twice against the same server."""
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- test:http-client -->\n```python\n", 1)[1].split("```", 1)[0]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["VERIFIER_HOME"] = str(verifier_home)
    server = _serve(port, env)
    script = block.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")
    try:
        runs = [subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
                for _ in range(2)]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    for ran in runs:
        assert ran.returncode == 0, ran.stderr
        lines = ran.stdout.splitlines()
        [seeds] = [n for n, line in enumerate(lines) if line.startswith("seeds: ")]
        assert lines[seeds - 1] == "5/5 documents" and int(lines[seeds].split()[1]) > 0, lines
        assert lines[-2].startswith("tests/unseen/docs/wildfire: ") and lines[-3].endswith(" documents"), lines
        assert lines[-1] == f"review at http://127.0.0.1:{port}/batches"
    summaries = [[line for line in ran.stdout.splitlines() if not line.endswith(" documents")] for ran in runs]
    assert summaries[0] == summaries[1]  # the same batches, the same findings (progress lines may coalesce)
