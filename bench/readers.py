"""The offline extractor's two readers of a sentence compared on every labelled batch.

    python bench/readers.py [--json]

The rules backend reads a sentence's figures either with the trained parser (spaCy's small
English pipeline: the measure is the figure's governing noun phrase, the owner the clause
subject or possessor) or with the hand patterns it replaced. Both run the whole offline pipeline
on the seeds, tests/unseen, tests/fixtures/batches, frames and related (the sets the code is
developed against, not held out), scored strictly by `verifier eval`'s scorer. Prints, per set
and reader: contradictions found (matched/total), flags, precision, false alarms, gold
contradictions reported as agreements, and the seconds the run took.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import figures
from verifier import rules

SETS = ("seeds", "unseen/", "batches/", "frames/", "related/")


def measure(reader: str) -> dict[str, dict[str, float]]:
    """Every set's totals with one reader."""
    rules.READER = reader
    rows: list[figures.Row] = []
    seconds: dict[str, float] = {}
    for name, folder, gold in figures.batches():
        started = time.monotonic()
        rows.append(figures.offline(name, folder, gold))
        group = next(s for s in SETS if name.startswith(s))
        seconds[group] = seconds.get(group, 0.0) + time.monotonic() - started
    out = {}
    for group in SETS:
        t = figures.total([r for r in rows if r.batch.startswith(group)], group)
        out[group.rstrip("/")] = {"matched": t.matched, "total": t.total, "flags": t.flags, "precision": t.precision,
                                  "false_alarms": t.false_alarms, "as_agreement": t.as_agreement,
                                  "seconds": round(seconds[group], 1)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--reader", choices=rules.READERS, action="append", help="default: both")
    args = parser.parse_args()
    results = {reader: measure(reader) for reader in (args.reader or rules.READERS)}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print("| set | reader | found | flags | precision | false alarms | as agreement | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for group in SETS:
        key = group.rstrip("/")
        for reader, sets in results.items():
            r = sets[key]
            precision = f"{r['precision']:.2f}" if r["flags"] else "-"
            print(f"| {key} | {reader} | {r['matched']}/{r['total']} | {r['flags']} | {precision} | "
                  f"{r['false_alarms']} | {r['as_agreement']} | {r['seconds']} |")


if __name__ == "__main__":
    main()
