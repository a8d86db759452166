"""Hostile inputs: how long each stage takes on text no one writes, in seconds per MB.

    python bench/hostile.py [--mb 5] [--line-mb 15] [--json-documents 1000000] [--json] [--ceiling SECONDS]

Each case is one document: a line of one letter, a base64 blob, a Markdown file with an
inline image, one enormous sentence of short words, and many figures with long tokens
between them. Each stage of the rules backend runs on it (ingest's HTML and text paths,
extraction within a run's default bounds of 2,000 claims and 60 seconds a document, grounding,
time and frames, alignment, comparison), timed on its own. Performance is
measured here, not asserted in tests: the hostile-input test only checks that a batch of
such documents completes. With --ceiling, it exits 1 when any stage of any case takes longer
than that many seconds: CI runs it at 5 MB with a generous ceiling, so only a stall fails it.

Two whole cases run in a process of their own each, so each has its own peak RSS: a batch of
one `--line-mb` line of figure sentences through the whole rules pipeline (read up to the
claims cap), and a JSON batch body of `--json-documents` tiny documents through the
server's reader (refused at the file limit). Each prints its seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from verifier import align, compare, extract, framing, ground, ingest, jsonbatch, pipeline
from verifier.keys import KeyMaker
from verifier.models import CandidateClaim, Document
from verifier.service import Limits, Refused


def cases(mb: float) -> dict[str, str]:
    size = int(mb * 1_000_000)
    rng = random.Random(7)
    blob = base64.b64encode(rng.randbytes(size * 3 // 4)).decode()
    words = " ".join(rng.choice(("Acme", "revenue", "rose", "to", "said", "The", "toll")) for _ in range(size // 6))
    figures = " ".join(f"Acme reported revenue of ${n}.{n % 10} billion {'x' * 200}." for n in range(size // 260))
    return {
        "one letter": "Acme reported revenue of $4.2 billion " + "a" * size + ".",
        "base64": "The toll rose to 12 on Monday " + blob,
        "inline image": "# Acme results\n\nRevenue was $4.2 billion.\n\n![chart](data:image/png;base64," + blob + ")\n",
        "one sentence of words": "Acme reported 12% growth " + words,
        "figures and long tokens": figures,
        "abbreviations": "Acme revenue rose 12% " + "Inc. " * (size // 5),
        "html page": "<html><head><title>Acme</title></head><body><article><p>Acme revenue rose 12%.</p><p>"
                     + blob + "</p></article></body></html>",
    }


def _extract(doc: Document, keys: KeyMaker) -> list[CandidateClaim]:
    """The rules' reading of one document within the bounds a run sets (--max-claims,
    --max-document-seconds at their defaults): what a user's run spends on it."""
    found: list[CandidateClaim] = []
    extract.extract_documents([doc], keys=keys, on_document=lambda d, claims, notes: found.extend(claims))
    return found


def timed(stage: dict[str, float], name: str, fn):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    out = fn()
    stage[name] = round(time.monotonic() - started, 3)
    return out


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def whole_line(mb: float) -> dict[str, object]:
    """One line of distinct figure sentences, as one document of a batch (rules, capped)."""
    text = "".join(f"Acme reported revenue of ${n // 10}.{n % 10} billion. "
                   for n in range(int(mb * 1_000_000 / 41))) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "line.txt"
        path.write_text(text, encoding="utf-8")
        started = time.monotonic()
        result = pipeline.run_batch(pipeline.RunOptions(paths=[str(path)], out_dir=Path(tmp) / "out",
                                                        home=Path(tmp) / "home"))
        seconds = time.monotonic() - started
    report = result.report
    return {"case": f"{mb:g} MB line of figures", "mb": round(len(text) / 1_000_000, 2), "seconds": round(seconds, 2),
            "peak_rss_mb": _peak_rss_mb(), "claims": len(report.claims),
            "note": next((f for f in report.failures if "read in part" in f), "")}


def whole_json(documents: int) -> dict[str, object]:
    """A JSON batch body of many tiny documents, as the server reads it (spooled to a file)."""
    with tempfile.TemporaryFile() as spool:  # written in pieces: the body is never whole in memory here either
        spool.write(b'{"backend": "rules", "documents": [')
        piece = b",".join([b'{"name":"a.md","text":"x"}'] * 10_000)
        for n in range(0, documents, 10_000):
            spool.write((b"," if n else b"") + (piece if documents - n >= 10_000 else piece[:27 * (documents - n) - 1]))
        spool.write(b"]}")
        size = spool.tell()
        spool.seek(0)
        before = _peak_rss_mb()
        started = time.monotonic()
        try:
            jsonbatch.read_batch(spool, Limits())
            answer = "accepted"
        except Refused as exc:
            answer = f"{exc.status} {exc}"
        seconds = time.monotonic() - started
    return {"case": f"JSON body of {documents:,} documents", "mb": round(size / 1_000_000, 2),
            "seconds": round(seconds, 2), "peak_rss_mb": _peak_rss_mb(), "peak_rss_mb_before_reading": before,
            "answer": answer}


def _whole(case: str, value: float) -> dict[str, object]:
    """A whole case in a fresh process, so its peak RSS is its own."""
    ran = subprocess.run([sys.executable, __file__, "--whole", case, "--size", str(value)], capture_output=True,
                         text=True, check=True)
    found: dict[str, object] = json.loads(ran.stdout)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--line-mb", type=float, default=15.0, help="the one-line document of the whole-batch case")
    parser.add_argument("--json-documents", type=int, default=1_000_000, help="documents in the JSON body case")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--ceiling", type=float, default=None, help="fail when a stage takes longer (seconds)")
    parser.add_argument("--whole", choices=("line", "json"), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.whole:  # the child process of one whole case
        print(json.dumps(whole_line(args.size) if args.whole == "line" else whole_json(int(args.size))))
        return
    wholes = [_whole("line", args.line_mb), _whole("json", args.json_documents)]
    slowest = max(float(w["seconds"]) for w in wholes)  # type: ignore[arg-type]
    keys = KeyMaker()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in cases(args.mb).items():
            path = Path(tmp) / f"{name.replace(' ', '-')}.{'html' if name.startswith('html') else 'md'}"
            path.write_text(text, encoding="utf-8")
            stage: dict[str, float] = {}
            [doc] = timed(stage, "ingest", lambda path=path: ingest.ingest([str(path)]).documents)
            candidates = timed(stage, "extract", lambda doc=doc: _extract(doc, keys))
            grounded = timed(stage, "ground", lambda doc=doc, c=candidates: ground.ground([doc], c, keys).claims)
            framed = timed(stage, "time", lambda doc=doc, g=grounded: framing.frame([doc], g).claims)
            aligned = timed(stage, "align", lambda f=framed: align.align(f, keys))
            timed(stage, "compare", lambda doc=doc, a=aligned: compare.cross_check([doc], a))
            slowest = max(slowest, *stage.values())
            mb = len(text.encode()) / 1_000_000
            results[name] = {"mb": round(mb, 2), **{k: round(v / mb, 3) for k, v in stage.items()},
                             "claims": len(grounded)}
    if args.json:
        print(json.dumps({"stages": results, "whole": wholes}))
    else:
        _table(results)
        for whole in wholes:
            extra = whole.get("note") or whole.get("answer")
            before = f" ({whole['peak_rss_mb_before_reading']} MB before reading)" if "answer" in whole else ""
            print(f"{whole['case']}: {whole['mb']} MB, {whole['seconds']} s, peak RSS {whole['peak_rss_mb']} MB{before}"
                  + (f", {whole['claims']} claims" if "claims" in whole else "") + f"; {extra}")
    if args.ceiling is not None and slowest > args.ceiling:
        sys.exit(f"a stage took {slowest:.1f} s, over the ceiling of {args.ceiling:.0f} s")


def _table(results: dict[str, dict[str, float]]) -> None:
    stages = ("ingest", "extract", "ground", "time", "align", "compare")
    print(f"{'case':26} {'MB':>6} " + " ".join(f"{s:>9}" for s in stages) + "   (seconds per MB)  claims")
    for name, r in results.items():
        print(f"{name:26} {r['mb']:6.2f} " + " ".join(f"{r[s]:9.3f}" for s in stages) + f"   {r['claims']:>17}")


if __name__ == "__main__":
    main()
