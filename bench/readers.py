"""The offline extractor before and after the parser: every labelled batch, scored on both.

    python bench/readers.py [--before REV] [--json]

The rules backend now reads each sentence with a trained parser; before, hand patterns read it
(at REV, default 88750cd, the commit issue 16 started from). This script takes REV's tree from
git (`git archive`, into a temporary folder: no checkout is touched), runs its
`bench/figures.py --only offline --json` with this environment's Python, runs this tree's, and
prints, per set: contradictions found (matched/total), flags, precision, false alarms and gold
contradictions reported as agreements. The sets are the seeds, tests/unseen,
tests/fixtures/batches, frames and related: the ones the code is developed against, not held out.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "88750cd"
SETS = ("seeds", "unseen", "batches", "frames", "related")


def rows_of(tree: Path) -> list[dict[str, object]]:
    """bench/figures.py's offline rows for the tree at `tree`."""
    done = subprocess.run([sys.executable, str(tree / "bench" / "figures.py"), "--only", "offline", "--json"],
                          capture_output=True, text=True, check=True, cwd=tree)
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def before(rev: str) -> list[dict[str, object]]:
    """The rows at a git revision, from its tree unpacked into a temporary folder."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        return rows_of(Path(tmp))


def by_set(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    """The 'all ...' rows of figures.py (and the seeds' own), by set."""
    found = {"seeds": next(r for r in rows if r["batch"] == "seeds")}
    for name in SETS[1:]:
        found[name] = next(r for r in rows if str(r["batch"]).startswith(f"all {name} "))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help="the revision whose extractor is compared")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {f"before ({args.before})": by_set(before(args.before)), "now": by_set(rows_of(ROOT))}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print("| set | extractor | found | flags | precision | false alarms | as agreement |")
    print("|---|---|---|---|---|---|---|")
    for name in SETS:
        for label, sets in results.items():
            r = sets[name]
            precision = f"{r['precision']:.2f}" if r["flags"] else "-"
            print(f"| {name} | {label} | {r['matched']}/{r['total']} | {r['flags']} | {precision} | "
                  f"{r['false_alarms']} | {r['as_agreement']} |")


if __name__ == "__main__":
    main()
