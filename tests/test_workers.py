"""Worker processes on PostgreSQL: `serve --workers 0` takes a batch over HTTP, three `verifier worker`s
(each with its own data folder, as on three machines) share it in slices. One is SIGKILLed mid-slice,
or the database is restarted mid-batch: the batch finishes, its report is the one a single process
writes, no row is stored twice and the endpoint answered no request twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from tests.conftest import POSTGRES_REQUIRED, free_port
from verifier import pipeline
from verifier.cli import cli
from verifier.store import Jobs, Store, WorkQueue
from verifier.testing import FakeEndpoint, PostgresServer, pg_bin, repeated_answers
from verifier.workers import Worker, WorkerOptions

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
DOCUMENTS = 24
SLICE = 4


def _documents(folder: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    """Documents whose figures disagree across pairs, so the report has flags to compare."""
    folder.mkdir()
    for n in range(DOCUMENTS):
        company = f"Acme{n // 2}"
        (folder / f"doc{n:02d}.txt").write_text(
            f"Report {n}\n{company} reported revenue of ${n % 2 + 1}.5 billion.\n"
            f"{company} is headquartered in {'Oslo' if n % 3 else 'Bergen'}.\n")
    return [("files", (p.name, p.read_bytes(), "text/plain")) for p in sorted(folder.iterdir())]


def _env(home: Path, database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "VERIFIER_"))}
    return {**env, "VERIFIER_HOME": str(home), "VERIFIER_DATABASE_URL": database, "OPENAI_API_KEY": "sk-test",
            "PYTHONUNBUFFERED": "1"}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "verifier.cli", *args]


def _wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _findings(report: dict[str, Any]) -> dict[str, Any]:
    """What a reviewer reads in a report: everything but the batch's id, time, paths and usage."""
    return {
        "claims": sorted((c["id"], c["value"], c["quote"]) for c in report["claims"]),
        "contradictions": sorted((f["id"], f["rationale"], tuple(c["id"] for c in f["claims"]))
                                 for f in report["contradictions"]),
        "corroborations": sorted(f["id"] for f in report["corroborations"]),
        "entities": sorted((e["id"], e["name"]) for e in report["entities"]),
        "questions": sorted((q["id"], q["text"], tuple(q["claims"])) for q in report["questions"]),
        "explained": sorted(e["id"] for e in report["explained"]),
        "timelines": len(report["timelines"]),
        "documents": [d["id"] for d in report["documents"]],
        "failures": report["failures"],
    }


def _single_process_report(folder: Path, tmp_path: Path) -> dict[str, Any]:
    """The same documents through `verifier run`, in one process on the embedded database."""
    with FakeEndpoint() as endpoint:
        env = _env(tmp_path / "single", "")
        del env["VERIFIER_DATABASE_URL"]
        ran = subprocess.run(_cli("run", str(folder), "--base-url", endpoint.url, "--model", "fake", "--out",
                                  str(tmp_path / "single-out"), "--quiet"), env=env, capture_output=True, text=True,
                             timeout=300)
        assert ran.returncode == 0, ran.stderr
    report: dict[str, Any] = json.loads((tmp_path / "single-out" / "report.json").read_text())
    return report


class Cluster:
    """`serve --workers 0` and three workers, each with its own data folder, on one database."""

    def __init__(self, tmp_path: Path, database: str, endpoint: FakeEndpoint, lease: float) -> None:
        self.tmp_path, self.database, self.endpoint, self.lease = tmp_path, database, endpoint, lease
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen[str]] = []
        self.workers: list[subprocess.Popen[str]] = []

    def start(self) -> Cluster:
        server = subprocess.Popen(_cli("serve", "--workers", "0", "--port", str(self.port)),
                                  env=_env(self.tmp_path / "server", self.database), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        self.processes.append(server)
        _wait_for(self._answers, 60, "the server did not start")
        for n in range(3):
            log = (self.tmp_path / f"worker{n}.log").open("w")
            worker = subprocess.Popen(
                _cli("worker", "--base-url", self.endpoint.url, "--model", "fake", "--slice-size", str(SLICE),
                     "--lease-seconds", str(self.lease)),
                env=_env(self.tmp_path / f"worker{n}", self.database), stdout=subprocess.DEVNULL, stderr=log, text=True)
            self.processes.append(worker)
            self.workers.append(worker)
        return self

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.base}/api/batches", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def submit(self, files: list[Any]) -> str:
        answer = httpx.post(f"{self.base}/api/batches", files=files, data={"backend": "llm", "concurrency": "2"},
                            timeout=60)
        assert answer.status_code == 202, answer.text
        job_id: str = answer.json()["id"]
        return job_id

    def finished(self, job_id: str, seconds: float = 240) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            job: dict[str, Any] = httpx.get(f"{self.base}/api/batches/{job_id}", timeout=10).json()
            if job["status"] in ("done", "failed", "cancelled"):
                return job
            time.sleep(0.2)
        raise AssertionError(f"batch {job_id} did not finish: {self.logs()}")

    def logs(self) -> str:
        return "\n".join((self.tmp_path / f"worker{n}.log").read_text() for n in range(3))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def database(postgres: Any) -> Iterator[str]:
    name = f"w_{os.getpid()}_{time.monotonic_ns()}"
    url: str = postgres.create_database(name)
    yield url
    postgres.drop_database(name)


def _store(url: str) -> Store:
    return Store.open(url=url)


def _assert_same_batch(url: str, job_id: str, cluster: Cluster, reference: dict[str, Any]) -> None:
    job = cluster.finished(job_id)
    assert job["status"] == "done", (job, cluster.logs())
    assert job["slices"] is None or job["documents_done"] == DOCUMENTS
    report = httpx.get(f"{cluster.base}/api/batches/{job_id}/report", timeout=30).json()
    assert report["contradictions"] and _findings(report) == _findings(reference)
    assert repeated_answers(cluster.endpoint.answered) == []  # no answered call paid for twice
    store = _store(url)
    try:
        stored = store.batch(job["batch"])
        assert stored is not None and stored.status == "done"
        claims, _, _ = store.batch_claims(job["batch"], [d["id"] for d in report["documents"]])
        assert len(claims) == len({c.id for c in claims}) == len(report["claims"])  # nothing stored twice
        assert len(store.done_documents(job["batch"])) == DOCUMENTS
    finally:
        store.close()


def test_a_worker_killed_mid_slice_leaves_the_batch_to_the_others(tmp_path: Path, database: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERIFIER_DATABASE_URL", database)
    files = _documents(tmp_path / "docs")
    reference = _single_process_report(tmp_path / "docs", tmp_path)
    with FakeEndpoint(latency=0.2) as endpoint:
        cluster = Cluster(tmp_path, database, endpoint, lease=3.0).start()
        try:
            job_id = cluster.submit(files)
            victim = _mid_slice_worker(database, job_id)
            status = json.loads(CliRunner().invoke(cli, ["status", "--json"]).stdout)  # as an operator sees it
            [batch] = [b for b in status["batches"] if b["job"] == job_id]
            assert batch["slices"]["running"] >= 1 and batch["slices"]["documents_total"] == DOCUMENTS
            shown = {w["id"]: w for w in status["workers"]}
            assert shown[victim]["state"] == "extracting" and shown[victim]["slice"] is not None
            assert {w["pid"] for w in shown.values()} == {w.pid for w in cluster.workers}
            pid = int(victim.split(":")[-2])
            os.kill(pid, signal.SIGKILL)
            killed = next(w for w in cluster.workers if w.pid == pid)
            killed.wait()
            _assert_same_batch(database, job_id, cluster, reference)
            assert sum(w.poll() is None for w in cluster.workers) == 2
            store = _store(database)
            workers = {w.id: w for w in WorkQueue(store).workers()}
            store.close()
            assert workers[victim].state == "lost" and workers[victim].seconds_since_heartbeat > 3.0
            page = httpx.get(f"{cluster.base}/batches", timeout=30).text
            assert "slices: 6 done, 0 running, 0 waiting" in " ".join(page.split())
            assert all(f"<td>{w.pid}</td>" in page for w in cluster.workers)
        finally:
            cluster.stop()


def _mid_slice_worker(url: str, job_id: str) -> str:
    """A worker holding a slice of which it has committed some documents and not all: its id."""
    store = _store(url)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            counts = Jobs(store).slice_counts([job_id]).get(job_id)
            for w in WorkQueue(store).workers():
                if w.job_id == job_id and w.slice is not None and counts is not None:
                    done = store.db.one("SELECT done FROM slices WHERE job_id = ? AND n = ?", (job_id, w.slice))
                    if done is not None and 0 < int(done["done"]) < SLICE:
                        return w.id
            time.sleep(0.02)
    finally:
        store.close()
    raise AssertionError("no worker was seen mid-slice")


@pytest.mark.skipif(pg_bin() is None and not POSTGRES_REQUIRED, reason="PostgreSQL's server programs are missing")
def test_a_database_restart_mid_batch_costs_one_log_line_per_worker(tmp_path: Path) -> None:
    files = _documents(tmp_path / "docs")
    reference = _single_process_report(tmp_path / "docs", tmp_path)
    with PostgresServer() as server, FakeEndpoint(latency=0.2) as endpoint:
        url = server.create_database("restart")
        cluster = Cluster(tmp_path, url, endpoint, lease=20.0).start()
        try:
            job_id = cluster.submit(files)
            _mid_slice_worker(url, job_id)
            server.pg_ctl("restart", "-w", "-m", "fast")
            _assert_same_batch(url, job_id, cluster, reference)
            assert all(w.poll() is None for w in cluster.workers), cluster.logs()  # every worker went on
        finally:
            cluster.stop()
    for n in range(3):
        lines = [line for line in (tmp_path / f"worker{n}.log").read_text().splitlines()
                 if "lost the database connection" in line]
        assert len(lines) <= 1, lines
    assert "reconnected after" in cluster.logs()


def test_a_batch_cancelled_while_workers_run_it_stops_asking(tmp_path: Path, database: str) -> None:
    files = _documents(tmp_path / "docs")
    with FakeEndpoint(latency=0.3) as endpoint:
        cluster = Cluster(tmp_path, database, endpoint, lease=3.0).start()
        try:
            job_id = cluster.submit(files)
            _mid_slice_worker(database, job_id)
            assert httpx.post(f"{cluster.base}/api/batches/{job_id}/cancel", timeout=30).status_code == 200
            job = cluster.finished(job_id, 60)
            assert job["status"] == "cancelled" and job["documents_done"] < DOCUMENTS, job
            time.sleep(1.5)  # calls in flight at the cancel end; no new one starts
            asked = endpoint.requests
            time.sleep(3)
            assert endpoint.requests == asked
            assert all(w.poll() is None for w in cluster.workers), cluster.logs()  # they wait for the next batch
        finally:
            cluster.stop()
    assert "cancelled" in cluster.logs()


# --- two workers in this process, on either engine: leases lapsed by time travel ----------------------


def _workers(home: Path, folder: Path, lines: list[str], slice_size: int = 50) -> tuple[Worker, Worker]:
    """Two workers on one database and a job of three documents (rules backend) prepared by the first;
    with the default slice size, its one slice extracted too: what is left is its finish step."""
    folder.mkdir()
    for n in range(3):
        (folder / f"d{n}.txt").write_text(f"Acme reported revenue of ${n + 1} billion in 2024.\n")
    a, b = (Worker(WorkerOptions(home=home, log=lines.append, slice_size=slice_size)) for _ in range(2))
    Jobs(a.store).add("j1", "2026-12-04T00:00:00+00:00", {"backend": "rules"},
                      [str(p) for p in sorted(folder.iterdir())])
    assert a.step()  # prepare
    if slice_size >= 3:
        assert a.step()  # the one slice
    return a, b


def _lapse_job(store: Store, job_id: str) -> None:
    """Time travel: the job's own lease lapsed a minute ago."""
    store.db.execute("UPDATE jobs SET lease_until = {now} - 60 WHERE id = ?", (job_id,))


def test_a_finisher_whose_lease_lapsed_writes_nothing_after_its_successor(both_engines: str, verifier_home: Path,
                                                                          tmp_path: Path) -> None:
    lines: list[str] = []
    a, b = _workers(verifier_home, tmp_path / "docs", lines)
    try:
        claimed = a.queue.claim_job(a.id, 30)
        assert claimed is not None and claimed[1] == "finish"
        _lapse_job(a.store, "j1")  # a paused past its lease: b takes the finish step over and ends the job
        assert b.step()
        job = Jobs(b.store).get("j1")
        assert job is not None and job.status == "done"
        b.store.db.execute("UPDATE reports SET body = 'the successor''s' WHERE job_id = 'j1'")
        a._guarded(claimed[0], lambda: a._finish(claimed[0]))  # a wakes up and goes on
        bodies = {r["body"] for r in a.store.db.query("SELECT body FROM reports WHERE job_id = 'j1'")}
        assert bodies == {"the successor's"}  # a stored no report, nor its batch's findings
        assert [line for line in lines if "no longer this worker's" in line] == [
            "job j1 is no longer this worker's; left to the worker that holds it"]
        job = Jobs(a.store).get("j1")
        assert job is not None and job.status == "done"
    finally:
        a.store.close()
        b.store.close()


def test_a_worker_whose_lease_lapsed_never_fails_a_finished_job(
        both_engines: str, verifier_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[str] = []
    a, b = _workers(verifier_home, tmp_path / "docs", lines)
    try:
        claimed = a.queue.claim_job(a.id, 30)
        assert claimed is not None
        _lapse_job(a.store, "j1")
        assert b.step()

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("the aligner broke")

        monkeypatch.setattr(pipeline, "cross_check_batch", broken)
        a._guarded(claimed[0], lambda: a._finish(claimed[0]))  # a wakes up, and its finish fails
        job = Jobs(a.store).get("j1")
        assert job is not None and job.status == "done" and job.error is None
        assert any("not failed by this worker (the aligner broke)" in line for line in lines), lines
    finally:
        a.store.close()
        b.store.close()


def test_a_heartbeat_behind_the_main_thread_never_gives_back_the_next_slice(both_engines: str, verifier_home: Path,
                                                                            tmp_path: Path) -> None:
    a, b = _workers(verifier_home, tmp_path / "docs", [], slice_size=2)
    beats = Store.open(verifier_home)
    try:
        assert a.queue.claim_slice(a.id, 30) is not None
        a._hold("j1", 0, "extracting")
        renew = WorkQueue(beats).beat

        def late_beat(*args: Any) -> bool:
            """The beat read 'slice 0'; before it reaches the database, the main thread marks slice 0
            done and takes slice 1."""
            a.queue.slice_done("j1", 0, a.id, "{}")
            a._hold(None, None, "idle")
            a.lost.clear()
            taken = a.queue.claim_slice(a.id, 30)
            assert taken is not None and taken[1] == 1
            a._hold("j1", 1, "extracting")
            return renew(*args)  # slice 0 is done: not renewed

        queue = WorkQueue(beats)
        queue.beat = late_beat  # type: ignore[method-assign]
        a._beat(queue)
        assert not a.lost.is_set()  # slice 1 is still a's, and is not given back
        a._beat(WorkQueue(beats))  # the next beat renews slice 1
        assert not a.lost.is_set()
        beats.db.execute("UPDATE slices SET worker_id = 'another' WHERE job_id = 'j1' AND n = 1")
        a._beat(WorkQueue(beats))  # slice 1 taken by another worker: that one is lost
        assert a.lost.is_set()
    finally:
        beats.close()
        a.store.close()
        b.store.close()


def test_a_cancelled_job_whose_worker_died_is_ended_by_the_next_worker(both_engines: str, verifier_home: Path,
                                                                       tmp_path: Path) -> None:
    lines: list[str] = []
    a, b = _workers(verifier_home, tmp_path / "docs", lines, slice_size=2)
    try:
        assert a.queue.claim_slice(a.id, 30) is not None  # a holds slice 0 ...
        Jobs(b.store).request_cancel("j1")  # ... is asked to cancel, and is SIGKILLed before its next beat
        assert not b.step()
        job = Jobs(b.store).get("j1")
        assert job is not None and job.status == "running"  # a's lease is live: a may still hear the cancel
        b.store.db.execute("UPDATE slices SET lease_until = {now} - 60 WHERE job_id = 'j1' AND status = 'running'")
        assert not b.step() and not b.step()
        job = Jobs(b.store).get("j1")
        assert job is not None and job.status == "cancelled" and job.finished is not None
        assert [line for line in lines if "cancelled" in line] == [
            "job j1 cancelled (the worker that ran it stopped before it could)"]  # once
        assert b._idle()
    finally:
        a.store.close()
        b.store.close()


def test_a_cancelled_job_whose_preparing_worker_died_is_ended_too(both_engines: str, verifier_home: Path) -> None:
    worker = Worker(WorkerOptions(home=verifier_home))
    try:
        jobs = Jobs(worker.store)
        jobs.add("j2", "2026-12-04T00:00:00+00:00", {"backend": "rules"}, [])
        assert worker.queue.claim_job("dead-worker", 30) is not None
        jobs.request_cancel("j2")
        assert worker.queue.end_abandoned_cancels("2026-12-04T00:01:00+00:00") == []
        _lapse_job(worker.store, "j2")
        assert worker.queue.end_abandoned_cancels("2026-12-04T00:01:00+00:00") == ["j2"]
        assert worker.queue.end_abandoned_cancels("2026-12-04T00:01:00+00:00") == []
        job = jobs.get("j2")
        assert job is not None and job.status == "cancelled" and job.worker_id is None
    finally:
        worker.store.close()


def test_a_worker_that_stopped_beating_is_shown_lost_not_holding_its_slice(both_engines: str,
                                                                           verifier_home: Path) -> None:
    store = Store.open(verifier_home)
    try:
        queue = WorkQueue(store)
        for worker_id in ("killed", "alive", "stopped"):
            queue.register(worker_id, 30)
            queue.holds(worker_id, "j1", 0, "extracting")
        queue.stopped("stopped")
        store.db.execute("UPDATE workers SET heartbeat = {now} - 31 WHERE id IN ('killed', 'stopped')")
    finally:
        store.close()
    status = CliRunner().invoke(cli, ["status", "--json"])
    assert status.exit_code == 0, status.output
    shown = {w["id"]: w for w in json.loads(status.stdout)["workers"]}
    assert (shown["killed"]["state"], shown["killed"]["job_id"], shown["killed"]["slice"]) == ("lost", None, None)
    assert shown["killed"]["pid"] == os.getpid() and shown["killed"]["seconds_since_heartbeat"] >= 31
    assert (shown["alive"]["state"], shown["alive"]["job_id"], shown["alive"]["slice"]) == ("extracting", "j1", 0)
    assert shown["stopped"]["state"] == "stopped"
    table = CliRunner().invoke(cli, ["status"]).stdout
    assert any(line.startswith("killed") and " lost " in line for line in table.splitlines()), table
