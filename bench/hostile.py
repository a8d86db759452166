"""Hostile inputs: how long each stage takes on text no one writes, in seconds per MB.

    python bench/hostile.py [--mb 5] [--json] [--ceiling SECONDS]

Each case is one document: a line of one letter, a base64 blob, a Markdown file with an
inline image, one enormous sentence of short words, and many figures with long tokens
between them. Each stage of the rules backend runs on it (ingest's HTML and text paths,
extraction, grounding, alignment, comparison, report), timed on its own. Performance is
measured here, not asserted in tests: the hostile-input test only checks that a batch of
such documents completes. With --ceiling, it exits 1 when any stage of any case takes longer
than that many seconds: CI runs it at 5 MB with a generous ceiling, so only a stall fails it.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from verifier import align, compare, ground, ingest
from verifier.keys import KeyMaker
from verifier.rules import RulesExtractor


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


def timed(stage: dict[str, float], name: str, fn):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    out = fn()
    stage[name] = round(time.monotonic() - started, 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--ceiling", type=float, default=None, help="fail when a stage takes longer (seconds)")
    args = parser.parse_args()
    slowest = 0.0
    keys = KeyMaker()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in cases(args.mb).items():
            path = Path(tmp) / f"{name.replace(' ', '-')}.{'html' if name.startswith('html') else 'md'}"
            path.write_text(text, encoding="utf-8")
            stage: dict[str, float] = {}
            [doc] = timed(stage, "ingest", lambda path=path: ingest.ingest([str(path)]).documents)
            candidates = timed(stage, "extract", lambda doc=doc: RulesExtractor(keys).extract(doc))
            grounded = timed(stage, "ground", lambda doc=doc, c=candidates: ground.ground([doc], c, keys).claims)
            aligned = timed(stage, "align", lambda doc=doc, g=grounded: align.align([doc], g, keys))
            timed(stage, "compare", lambda doc=doc, a=aligned: compare.cross_check([doc], a, keys))
            slowest = max(slowest, *stage.values())
            mb = len(text.encode()) / 1_000_000
            results[name] = {"mb": round(mb, 2), **{k: round(v / mb, 3) for k, v in stage.items()},
                             "claims": len(grounded)}
    if args.json:
        print(json.dumps(results))
    else:
        _table(results)
    if args.ceiling is not None and slowest > args.ceiling:
        sys.exit(f"a stage took {slowest:.1f} s, over the ceiling of {args.ceiling:.0f} s")


def _table(results: dict[str, dict[str, float]]) -> None:
    print(f"{'case':26} {'MB':>6} " + " ".join(f"{s:>9}" for s in ("ingest", "extract", "ground", "align", "compare"))
          + "   (seconds per MB)  claims")
    for name, r in results.items():
        print(f"{name:26} {r['mb']:6.2f} " + " ".join(f"{r[s]:9.3f}" for s in ("ingest", "extract", "ground", "align",
                                                                              "compare")) + f"   {r['claims']:>17}")


if __name__ == "__main__":
    main()
