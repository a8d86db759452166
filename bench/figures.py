"""Every figure README.md and BENCHMARKS.md state, regenerated from the repository alone.

    python bench/figures.py [--json] [--only offline|llm|readers|throughput|hostile|serve|large]
    python bench/figures.py --set DIR [--json]

`--set DIR` scores a folder of batches laid out as DIR/docs/BATCH/ and DIR/gold/BATCH.json (the
shape of tests/unseen/) offline, one row a batch and a total: how a held-out set is scored once.

Without --only it runs every section (about 25 minutes on this project's 2-core machine; the
10,000-document throughput run is most of it):

- offline and llm: the scores of README's table (below);
- readers: the offline extractor's parser against the hand patterns it replaced, at 88750cd
  (bench/readers.py; needs the repository's git history);
- throughput: bench/run.py at 10, 100, 1,000 and 10,000 documents (BENCHMARKS' first table);
- hostile: bench/hostile.py --mb 5 (BENCHMARKS "Hostile input");
- serve: bench/serve_probe.py (BENCHMARKS "The service under load");
- large: a 200 MB file beside the seeds and a 19 MB file alone, through `verifier run`, with wall
  time and peak RSS (BENCHMARKS "Memory on a very large file").

The sets scored are the ones the code was developed against (tests/unseen too: it was read and
fixed against, so it is a development set, not a held-out one); they show what holds, not what to
expect on news the code has not seen.

Offline (the rules backend, no LLM): the seeds, tests/unseen, tests/fixtures/batches and the frame
and related-subject batches of tests/fixtures/, each run and scored with `verifier eval`'s scorer.

The llm backend: the cassettes in cassettes/file-endpoint/ replayed (answers given through the file
endpoint by careful model-like answerers, not a hosted model; see tests/test_batches_llm.py): the
seeds and the frame, related and unseen batches, with the calls and tokens each run made per
document.

Prints one table (or JSON): batch, backend, recall (matched/total), precision, false alarms,
candidate recall, contradictions reported as agreements, and for the llm runs calls and tokens
per document.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from verifier import evaluate, pipeline
from verifier.llm import LLMSettings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CASSETTES = ROOT / "cassettes" / "file-endpoint"
FILE_ENDPOINT = "http://127.0.0.1:8799/v1"


@dataclass
class Row:
    batch: str
    backend: str
    matched: int
    total: int
    flags: int
    precision: float
    false_alarms: int
    candidate: str
    as_agreement: int
    calls_per_document: float | None = None
    tokens_per_document: float | None = None

    def cells(self) -> list[str]:
        per_doc = ("" if self.calls_per_document is None else
                   f"{self.calls_per_document:.1f} | {self.tokens_per_document:,.0f}")
        precision = f"{self.precision:.2f}" if self.flags else "- (no flag)"
        return [self.batch, self.backend, f"{self.matched}/{self.total}", precision,
                str(self.false_alarms), self.candidate, str(self.as_agreement), per_doc or "- | -"]


def batches() -> list[tuple[str, Path, Path]]:
    """(name, folder, gold) of every labelled batch in the repository."""
    found = [("seeds", ROOT / "seeds", ROOT / "tests" / "gold" / "seeds.json")]
    found += labelled_set(ROOT / "tests" / "unseen")
    for folder in ("batches", "frames", "related"):
        found += [(f"{folder}/{g.name.split('.')[0]}", g.parent / g.name.split(".")[0], g)
                  for g in sorted((FIXTURES / folder).glob("*.gold.json"))]
    return found


def _score(name: str, backend: str, gold: Path, report: pipeline.RunResult) -> Row:
    path = report.json_path
    result = evaluate.score(evaluate.load_gold(gold), evaluate.load_flags(path), evaluate.load_questions(path),
                            evaluate.load_report_view(path))
    candidate = "" if result.candidates is None else f"{len(result.candidates)}/{result.gold_total}"
    row = Row(name, backend, len(result.matched), result.gold_total, result.flags, round(result.precision, 4),
              sum(len(v) for v in result.false_alarms.values()), candidate, len(result.as_agreement))
    if backend == "llm":
        documents = max(report.report.counts.documents, 1)
        row.calls_per_document = round(report.report.usage.llm_calls / documents, 2)
        row.tokens_per_document = round(report.report.usage.total_tokens / documents)
    return row


def offline(name: str, folder: Path, gold: Path) -> Row:
    with tempfile.TemporaryDirectory() as home:
        options = pipeline.RunOptions(paths=[str(folder)], out_dir=Path(home) / "out", backend="rules",
                                      home=Path(home))
        return _score(name, "rules", gold, pipeline.run_batch(options))


def labelled_set(root: Path) -> list[tuple[str, Path, Path]]:
    """(name, folder, gold) of each batch of a set laid out as root/docs/BATCH/ and root/gold/BATCH.json."""
    golds = sorted((root / "gold").glob("*.json"))
    if not golds:
        raise SystemExit(f"figures: {root} has no gold/*.json")
    return [(f"{root.name}/{g.stem}", root / "docs" / g.stem, g) for g in golds]


def cassette_of(name: str) -> Path | None:
    """The file-endpoint cassette of a batch's llm test, when there is one."""
    if name == "seeds":
        path = CASSETTES / "test_llm_aligner_meets_every_gold_contradiction_within_the_call_budget.yaml"
    else:
        key = name.split("/", 1)[1] if not name.startswith("unseen/") else "unseen-" + name.split("/", 1)[1]
        path = CASSETTES / f"test_the_llm_backend_flags_what_contradicts_in_one_frame_and_nothing_else[{key}].yaml"
    return path if path.exists() else None


def replayed(name: str, folder: Path, gold: Path, cassette: Path) -> Row:
    import vcr  # a test dependency: replaying needs it, the offline figures do not

    recorder = vcr.VCR(match_on=["method", "scheme", "host", "port", "path", "query", "body"], record_mode="none")
    with tempfile.TemporaryDirectory() as home, recorder.use_cassette(str(cassette)):
        options = pipeline.RunOptions(
            paths=[str(folder)], out_dir=Path(home) / "out", backend="llm", concurrency=8, home=Path(home),
            use_cache=False,
            llm=LLMSettings(model="capable", base_url=FILE_ENDPOINT, api_key="sk-test-not-a-secret", timeout=3600),
        )
        return _score(name, "llm", gold, pipeline.run_batch(options))


def total(rows: list[Row], label: str) -> Row:
    """The rows summed: matched over total, precision over all flags."""
    flags = sum(r.flags for r in rows)
    credited = sum(round(r.precision * r.flags) for r in rows)
    with_docs = [r for r in rows if r.calls_per_document is not None]
    row = Row(label, rows[0].backend, sum(r.matched for r in rows), sum(r.total for r in rows), flags,
              round(credited / flags, 4) if flags else 0.0, sum(r.false_alarms for r in rows), "",
              sum(r.as_agreement for r in rows))
    if with_docs:
        row.calls_per_document = round(max(r.calls_per_document or 0.0 for r in with_docs), 2)
        row.tokens_per_document = round(max(r.tokens_per_document or 0.0 for r in with_docs))
    return row


SECTIONS = ("offline", "llm", "readers", "throughput", "hostile", "serve", "large")
THROUGHPUT_DOCS = (10, 100, 1000, 10000)


def _bench(script: str, *args: str) -> str:
    """Run one of bench/'s scripts in its own process; its output."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return done.stdout


def throughput() -> list[dict[str, object]]:
    """bench/run.py at each size of BENCHMARKS' table: 200 ms latency, 16 calls in flight."""
    return [json.loads(_bench("run.py", "--docs", str(n), "--latency-ms", "200", "--concurrency", "16", "--json"))
            for n in THROUGHPUT_DOCS]


def _print_throughput(rows: list[dict[str, object]]) -> None:
    print("| docs | claims | entities | questions | figure pairs | calls (extract / align / judge) | tokens | wall s | "
          "calls/s | overhead ms/call | peak RSS MB | warm calls | warm wall s |")
    print("|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['docs']:,} | {r['claims']:,} | {r['entities']:,} | {r['questions']:,} | {r['candidate_pairs']:,} "
              f"| {r['calls']:,} ({r['extract_calls']:,} / {r['align_calls']:,} / {r['judge_calls']:,}) "
              f"| {r['tokens']:,} | {r['wall_s']} | {r['calls_per_s']} | {r['overhead_ms_per_call']} "
              f"| {r['peak_rss_mb']} | {r['warm_calls']} | {r['warm_wall_s']} |")


LARGE_LINE = "Velden Steel reported revenue of ${n}.{m} billion for the year, its chief executive said.\n"


def large(kind: str) -> dict[str, object]:
    """One case of "Memory on a very large file", run in this (child) process: `verifier run` on the
    seeds beside a 200 MB file (skipped by its size before it is read), or on a 19 MB file of
    figure lines alone (read within the default bounds); wall seconds and peak RSS."""
    from click.testing import CliRunner

    from verifier.cli import cli

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        if kind == "200mb":
            for seed in (ROOT / "seeds").iterdir():
                (folder / seed.name).write_bytes(seed.read_bytes())
            with (folder / "huge.txt").open("wb") as f:
                f.truncate(200_000_000)  # sparse: its size is what is checked
        else:
            line_count = 19_000_000 // len(LARGE_LINE.format(n=10, m=1))
            (folder / "big.txt").write_text("".join(LARGE_LINE.format(n=n % 97, m=n % 10) for n in range(line_count)))
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["run", str(folder), "--out", str(Path(tmp) / "out"), "--quiet"],
                                    env={"VERIFIER_HOME": str(Path(tmp) / "home")})
        wall = time.monotonic() - started
        report = json.loads((Path(tmp) / "out" / "report.json").read_text())
    notes = [*(s["reason"] for s in report["skipped"]), *report["failures"]]
    return {"case": kind, "exit": result.exit_code, "wall_s": round(wall, 1), "claims": len(report["claims"]),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "notes": notes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", choices=SECTIONS)
    parser.add_argument("--set", type=Path, metavar="DIR", help="score the batches of DIR offline")
    parser.add_argument("--large-case", choices=["200mb", "19mb"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.pop("OPENAI_BASE_URL", None)
    os.environ.pop("OPENAI_API_KEY", None)
    if args.large_case:  # the child process of one "large" case
        print(json.dumps(large(args.large_case)))
        return
    if args.set:
        rows = [offline(name, folder, gold) for name, folder, gold in labelled_set(args.set)]
        _print_rows([*rows, total(rows, f"all {args.set.name} (rules)")], args.json)
        return
    sections = [args.only] if args.only else list(SECTIONS)
    if "offline" in sections or "llm" in sections:
        scores(args, sections)
    if "readers" in sections:
        print(_bench("readers.py", *(["--json"] if args.json else [])))
    if "throughput" in sections:
        rows = throughput()
        print(json.dumps(rows)) if args.json else _print_throughput(rows)
    if "hostile" in sections:
        print(_bench("hostile.py", "--mb", "5", *(["--json"] if args.json else [])))
    if "serve" in sections:
        print(_bench("serve_probe.py", *(["--json"] if args.json else [])))
    if "large" in sections:
        for kind in ("200mb", "19mb"):
            print(_bench("figures.py", "--large-case", kind).strip())


def scores(args: argparse.Namespace, sections: list[str]) -> None:
    """README's table: each labelled batch offline, and replayed through its llm cassette."""
    rows: list[Row] = []
    for name, folder, gold in batches():
        if "offline" in sections:
            rows.append(offline(name, folder, gold))
        cassette = cassette_of(name)
        if "llm" in sections and cassette is not None:
            rows.append(replayed(name, folder, gold, cassette))
    for backend in ("rules", "llm"):
        for group in ("unseen/", "batches/", "frames/", "related/"):
            members = [r for r in rows if r.backend == backend and r.batch.startswith(group)]
            if members:
                rows.append(total(members, f"all {group.rstrip('/')} ({backend})"))
    _print_rows(rows, args.json)


def _print_rows(rows: list[Row], as_json: bool) -> None:
    if as_json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return
    print("| batch | backend | recall | precision | false alarms | candidate recall | as agreement | "
          "calls/doc | tokens/doc |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r.cells()) + " |")
    print("\n(calls/doc and tokens/doc of an 'all' row: the largest of its batches)")


if __name__ == "__main__":
    main()
