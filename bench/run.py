"""Benchmark: a cold batch and a warm re-run against a fake endpoint with a fixed latency.

    python bench/run.py --docs 1000 --latency-ms 200 --concurrency 16 [--entities M] [--json]

The fake OpenAI-compatible endpoint (verifier.testing.FakeEndpoint) runs in its own
process, so its work does not compete with the pipeline for the interpreter lock; it
answers each extraction request from the passage it is sent. Prints docs, claims,
candidate_pairs, calls, tokens, wall_s, calls_per_s, overhead_ms_per_call (wall time
beyond calls x latency / concurrency, per call), peak_rss_mb (of the pipeline process, both runs;
cold_peak_rss_mb: until the cold run ended),
warm_calls and warm_wall_s, and the alignment and judge stages' calls. With --postgres the store
and the answers are in a throwaway PostgreSQL server (verifier.testing.PostgresServer) instead of
SQLite and the disk cache. With --stages it also prints the seconds each stage of the pipeline took
(cold and warm), timed around the stage functions, to show where the time beyond the calls goes.

It measures throughput, calls and memory, nothing else: the fake endpoint answers from the
same templates the corpus is written with, so a recall computed here would measure the
generator, not the extractor. Scores come from bench/figures.py, on batches written by people.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import multiprocessing
import os
import re
import resource
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import corpus
from verifier import pipeline
from verifier.llm import LLMSettings
from verifier.models import Report
from verifier.testing import FakeEndpoint, PostgresServer, default_answer, request_kind

_JUDGED = re.compile(r"(?m)^(?P<n>\d+)\. \[(?P<doc>D\d+)[^\]]*\] .*?: (?P<value>[^.]*)\. Conditions")


def judge_by_value(body: dict[str, Any]) -> dict[str, Any]:
    """The fake endpoint's answers, with a judge that compares values: claims of different
    documents with different values contradict, equal values agree."""
    if request_kind(body) != "judge":
        return default_answer(body)
    user = next((m["content"] for m in body.get("messages", []) if m.get("role") == "user"), "")
    claims = [(int(m["n"]), m["doc"], m["value"].strip().lower()) for m in _JUDGED.finditer(str(user))]
    values = sorted({v for _, _, v in claims})
    groups = [[n for n, _, v in claims if v == value] for value in values]
    pairs = [{"a": a[0], "b": b[0], "conditions_match": True, "rationale": f"{a[2]} against {b[2]}."}
             for i, a in enumerate(claims) for b in claims[i + 1:] if a[1] != b[1] and a[2] != b[2]]
    return {"contradictions": pairs[:20], "agreements": [g for g in groups if len(g) > 1]}


def serve(latency: float, port_out: multiprocessing.Queue, limit: int = 0) -> None:  # type: ignore[type-arg]
    """The fake endpoint in a process of its own (its work does not compete for the pipeline's
    interpreter lock), serving at most `limit` requests at once when one is set."""
    endpoint = FakeEndpoint(latency=latency, keep_bodies=False, answer=judge_by_value, max_in_flight=limit)
    endpoint.start()
    port_out.put(endpoint.port)
    while True:
        time.sleep(3600)


def requests_made(url: str) -> int:
    with urllib.request.urlopen(url + "/stats", timeout=10) as response:
        count: int = json.load(response)["requests"]
        return count


# what --stages times: the label printed, and where the function is found under `verifier` (framing.frame
# includes reading the claims from the store, which it frames as they are read)
TIMED_STAGES = (
    ("read_documents", "pipeline.read_documents"), ("commit_documents", "pipeline.commit_documents"),
    ("store.extraction_losses", "store.Store.extraction_losses"), ("framing.frame", "framing.frame"),
    ("align.align", "align.align"), ("compare.cross_check", "compare.cross_check"),
    ("build_report", "pipeline.build_report"), ("report.write_report", "report.write_report"),
    ("store.finish_batch", "store.Store.finish_batch"),
)


def time_stages(seconds: dict[str, float], peaks: dict[str, float] | None = None) -> None:
    """Wrap the pipeline's stage functions so each adds its wall time to `seconds` (extraction, whose
    calls are the ideal, and each stage that runs with no call in flight) and, when `peaks` is given,
    records the process's peak RSS (MB) as each stage ends: where the peak grows is the stage that
    holds the memory, which the one figure for the whole run cannot say."""
    for label, where in TIMED_STAGES:
        module, *owners, name = where.split(".")
        owner: Any = importlib.import_module(f"verifier.{module}")
        for attribute in owners:
            owner = getattr(owner, attribute)
        setattr(owner, name, _timed(getattr(owner, name), label, seconds, peaks))


def _timed(inner: Callable[..., Any], label: str, seconds: dict[str, float],
           peaks: dict[str, float] | None = None) -> Callable[..., Any]:
    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        try:
            return inner(*args, **kwargs)
        finally:
            seconds[label] = seconds.get(label, 0.0) + time.monotonic() - started
            if peaks is not None:
                peaks[label] = peak_rss_mb()
    return wrapper


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _run(folder: Path, url: str, home: Path, out: Path, concurrency: int) -> tuple[pipeline.RunResult, float]:
    settings = LLMSettings(model="fake", base_url=url, api_key="bench", timeout=60)
    options = pipeline.RunOptions(paths=[str(folder)], out_dir=out, backend="llm", llm=settings,
                                  concurrency=concurrency, home=home)
    started = time.monotonic()
    result = pipeline.run_batch(options)
    return result, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--entities", type=int, default=0, help="default: docs / 10, at least 5")
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--postgres", action="store_true",
                        help="store the batch (and the answers) in a throwaway PostgreSQL server, not SQLite")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--stages", action="store_true", help="also print seconds per stage, cold and warm")
    args = parser.parse_args()
    entities = args.entities or max(args.docs // 10, 5)
    with contextlib.ExitStack() as stack:
        if args.postgres:
            database = stack.enter_context(PostgresServer()).create_database("bench")
            os.environ["VERIFIER_DATABASE_URL"] = database
        _measure(args, entities)


def _measure(args: argparse.Namespace, entities: int) -> None:
    cold_stages: dict[str, float] = {}
    cold_peaks: dict[str, float] = {}
    if args.stages:
        time_stages(cold_stages, cold_peaks)
    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=serve, args=(args.latency_ms / 1000, ports), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{ports.get(timeout=30)}/v1"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            corpus.write(corpus.generate(args.docs, entities), root / "docs")
            before_run = peak_rss_mb()
            cold, cold_wall = _run(root / "docs", url, root / "home", root / "out", args.concurrency)
            calls = requests_made(url)
            # the figures are read from the cold report, which the warm run then does not hold beside its own
            figures = _figures(cold.report, args, calls, cold_wall)
            del cold
            figures["cold_peak_rss_mb"] = peak_rss_mb()
            measured_cold = dict(cold_stages)
            measured_peaks = dict(cold_peaks)
            cold_stages.clear()
            cold_peaks.clear()
            warm, warm_wall = _run(root / "docs", url, root / "home", root / "out2", args.concurrency)
            warm_calls = requests_made(url) - calls
    finally:
        server.terminate()
    figures.update({
        "peak_rss_mb": peak_rss_mb(),
        "warm_calls": warm_calls,
        "warm_wall_s": round(warm_wall, 2),
        "warm_cache_hits": warm.report.usage.cache_hits,
    })
    if args.stages:
        figures["stages_cold_s"] = {k: round(v, 1) for k, v in measured_cold.items()}
        figures["stages_warm_s"] = {k: round(v, 1) for k, v in cold_stages.items()}
        figures["peak_rss_mb_before_run"] = before_run
        figures["peak_rss_mb_after_cold_stage"] = measured_peaks
        figures["peak_rss_mb_after_warm_stage"] = dict(cold_peaks)
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:22} {value}")


def _figures(report: Report, args: argparse.Namespace, calls: int, cold_wall: float) -> dict[str, Any]:
    """The cold run's figures, from its report and the endpoint's count of requests."""
    ideal = calls * args.latency_ms / 1000 / args.concurrency
    stages = report.usage.calls_by_stage
    return {
        "docs": report.counts.documents,
        "claims": report.counts.claims,
        "entities": report.counts.entities,
        "questions": report.counts.questions,
        "candidate_pairs": report.counts.candidate_pairs,
        "calls": calls,
        "extract_calls": stages.get("extract", 0),
        "align_calls": stages.get("align", 0),
        "judge_calls": stages.get("judge", 0),
        "tokens": report.usage.total_tokens,
        "wall_s": round(cold_wall, 2),
        "calls_per_s": round(calls / cold_wall, 1) if cold_wall else 0.0,
        "target_calls_per_s": round(0.8 * args.concurrency / (args.latency_ms / 1000), 1),
        "overhead_ms_per_call": round(max(cold_wall - ideal, 0) / calls * 1000, 2) if calls else 0.0,
    }

if __name__ == "__main__":
    main()
