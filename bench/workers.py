"""Benchmark: 1, 2 and 4 `verifier worker` processes on PostgreSQL against one endpoint with a limit.

    python bench/workers.py --docs 300 --latency-ms 200 --per-worker 4 --endpoint-limit 8 [--json]

A throwaway PostgreSQL server (verifier.testing.PostgresServer) and the fake endpoint (its own
process, serving at most --endpoint-limit requests at once, the rest waiting) are started; for each
count of workers a fresh database gets one batch of the synthetic corpus (bench/corpus.py), submitted
as over HTTP, and that many worker processes run it until it is done (each with --per-worker calls
in flight and its own data folder, as on separate machines). Prints, per count: wall seconds, calls
and calls/s of the whole batch (worker start-up, the prepare and finish steps, one worker each,
included), the same for the part the workers share (from their start until every slice is
committed), the ideal calls/s (min(workers x per-worker, endpoint limit) / latency), whether the
report equals the one-worker run's, and the peak RSS of the largest child process.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus
from bench.run import requests_made, serve
from verifier.service import BatchService, SubmitOptions, Upload
from verifier.store import Jobs, Store
from verifier.testing import PostgresServer


def _submit(database: str, home: Path, folder: Path, per_worker: int) -> str:
    """One batch of the corpus's files, stored as `verifier serve --workers 0` stores an upload."""
    os.environ["VERIFIER_DATABASE_URL"] = database
    service = BatchService(home=home, workers=0)
    uploads = [Upload(p.name, p.read_bytes()) for p in sorted(folder.glob("*.txt"))]
    service.limits = service.limits.__class__(max_files=len(uploads) + 1)
    job = service.submit(uploads, SubmitOptions(backend="llm", concurrency=per_worker))
    service.close()
    return job.id


def _findings(report: dict[str, Any]) -> tuple[Any, ...]:
    return (sorted(f["id"] for f in report["contradictions"]), sorted(f["id"] for f in report["corroborations"]),
            sorted(c["id"] for c in report["claims"]))


def _run(workers: int, server: PostgresServer, url: str, folder: Path, root: Path, args: argparse.Namespace,
         ) -> dict[str, Any]:
    database = server.create_database(f"bench_{workers}")
    job_id = _submit(database, root / f"server{workers}", folder, args.per_worker)
    before = requests_made(url)
    started = time.monotonic()
    env = {**os.environ, "VERIFIER_DATABASE_URL": database, "OPENAI_API_KEY": "bench"}
    processes = [subprocess.Popen(
        [sys.executable, "-m", "verifier.cli", "worker", "--base-url", url, "--model", "fake", "--exit-when-idle",
         "--slice-size", str(args.slice_size)],
        env={**env, "VERIFIER_HOME": str(root / f"w{workers}-{n}")}, stderr=subprocess.DEVNULL)
        for n in range(workers)]
    sliced_at, sliced_calls = _slices_done(database, job_id, processes)
    sliced_s = sliced_at - started
    for process in processes:
        process.wait()
    wall = time.monotonic() - started
    calls = requests_made(url) - before
    sliced_calls -= before
    store = Store.open(url=database)
    try:
        job = Jobs(store).get(job_id)
        report = json.loads(store.report(job_id, "report.json") or "{}")
    finally:
        store.close()
    assert job is not None and job.status == "done", job
    ideal = min(workers * args.per_worker, args.endpoint_limit) / (args.latency_ms / 1000)
    return {"workers": workers, "wall_s": round(wall, 2), "calls": calls, "calls_per_s": round(calls / wall, 1),
            "slices_s": round(sliced_s, 2), "slice_calls": sliced_calls,
            "slice_calls_per_s": round(sliced_calls / sliced_s, 1), "ideal_calls_per_s": round(ideal, 1),
            "report": _findings(report)}


def _slices_done(database: str, job_id: str, processes: list[subprocess.Popen[bytes]]) -> tuple[float, int]:
    """When every slice of the job was committed (the part the workers share), and the endpoint's
    request count then; the prepare and finish steps, one worker each, are before and after it."""
    store = Store.open(url=database)
    try:
        while any(p.poll() is None for p in processes):
            counts = Jobs(store).slice_counts([job_id]).get(job_id)
            if counts is not None and counts.running == counts.waiting == 0 and counts.done:
                return time.monotonic(), requests_made(os.environ["BENCH_ENDPOINT"])
            time.sleep(0.1)
    finally:
        store.close()
    raise RuntimeError("the workers ended before the slices were done")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--per-worker", type=int, default=4, help="calls in flight per worker")
    parser.add_argument("--endpoint-limit", type=int, default=8, help="requests the endpoint serves at once")
    parser.add_argument("--slice-size", type=int, default=25)
    parser.add_argument("--counts", default="1,2,4")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    endpoint = multiprocessing.Process(target=serve, args=(args.latency_ms / 1000, ports, args.endpoint_limit),
                                       daemon=True)
    endpoint.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}/v1"
    os.environ["BENCH_ENDPOINT"] = url
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp, PostgresServer() as server:
            root = Path(tmp)
            corpus.write(corpus.generate(args.docs, max(args.docs // 10, 5)), root / "docs")
            for workers in (int(n) for n in args.counts.split(",")):
                rows.append(_run(workers, server, url, root / "docs", root, args))
    finally:
        endpoint.terminate()
    first = rows[0]["report"]
    for row in rows:
        row["same_report_as_first"] = row.pop("report") == first
    peak = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps({"curve": rows, "largest_worker_peak_rss_mb": peak}))
        return
    print(f"{'workers':>7} {'wall s':>7} {'calls':>6} {'calls/s':>8} | {'slices s':>8} {'calls':>6} {'calls/s':>8} "
          f"{'ideal':>6} | same report")
    for row in rows:
        print(f"{row['workers']:>7} {row['wall_s']:>7} {row['calls']:>6} {row['calls_per_s']:>8} | "
              f"{row['slices_s']:>8} {row['slice_calls']:>6} {row['slice_calls_per_s']:>8} "
              f"{row['ideal_calls_per_s']:>6} | {row['same_report_as_first']}")
    print(f"largest child process (a worker or the endpoint) peak RSS: {peak} MB")


if __name__ == "__main__":
    main()
