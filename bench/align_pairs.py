"""How well code alone tells whether two attributes answer one question, on labelled pairs.

    python bench/align_pairs.py [--pairs tests/fixtures/align/attribute_pairs.jsonl] [--json]

Each line of the pairs file holds two (attribute, value) claims about one entity and whether
they answer the same question. The stems' rarity is counted over all attributes of the
pair's entity, as alignment counts it over an entity's claims. Prints, for figures and for
text separately, precision and recall of "same question" at a range of thresholds, and the
figures at the thresholds alignment uses.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from verifier import align
from verifier.embed import default_embedder
from verifier.keys import KeyMaker
from verifier.models import GroundedClaim
from verifier.numbers import first_quantity

ROOT = Path(__file__).resolve().parent.parent


def _claim(n: int, side: dict[str, str], doc: str) -> GroundedClaim:
    q = first_quantity(side["value"])
    return GroundedClaim(id=f"c{n}{doc}", document=doc, subject="x", attribute=side["attribute"], value=side["value"],
                         number=q.value if q else None, unit=q.unit if q else None, quote=side["value"], start=0, end=1)


def scores(path: Path, use_embeddings: bool = True) -> list[tuple[float, bool, bool]]:
    """(similarity, labelled same, both numeric) for every pair."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    blocker = align.QuestionBlocker(KeyMaker(), default_embedder() if use_embeddings else None)
    by_entity: dict[str, list[int]] = defaultdict(list)
    for n, row in enumerate(rows):
        by_entity[row["entity"]].append(n)
    out = []
    for indices in by_entity.values():
        claims = {n: (_claim(n, rows[n]["a"], "a"), _claim(n, rows[n]["b"], "b")) for n in indices}
        nodes = blocker.nodes([c for pair in claims.values() for c in pair])
        node_of = {c.id: node for node in nodes for c in node.claims}
        weights = align._rarity(nodes)
        for n in indices:
            a, b = claims[n]
            na, nb = node_of[a.id], node_of[b.id]
            same_key = na is nb
            score = 1.0 if same_key else blocker.similarity(na, nb, weights)
            out.append((score, bool(rows[n]["same"]), na.numeric and nb.numeric))
    return out


def curve(points: list[tuple[float, bool]], thresholds: list[float]) -> list[dict[str, float]]:
    rows = []
    positives = sum(1 for _, same in points if same)
    for t in thresholds:
        said = [(s, same) for s, same in points if s >= t]
        hits = sum(1 for _, same in said if same)
        rows.append({"threshold": t, "precision": round(hits / len(said), 3) if said else 1.0,
                     "recall": round(hits / positives, 3) if positives else 0.0, "merged": len(said)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=Path, default=ROOT / "tests" / "fixtures" / "align" / "attribute_pairs.jsonl")
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    found = scores(args.pairs, not args.no_embeddings)
    thresholds = [round(0.2 + 0.05 * i, 2) for i in range(14)]
    report = {}
    for label, numeric in (("figures", True), ("text", False)):
        points = [(s, same) for s, same, num in found if num == numeric]
        report[label] = {"pairs": len(points), "curve": curve(points, thresholds),
                         "at_threshold": curve(points, [align.NUMERIC_THRESHOLD if numeric
                                                        else align.TEXT_THRESHOLD])[0]}
    if args.json:
        print(json.dumps(report))
        return
    for label, data in report.items():
        print(f"{label}: {data['pairs']} pairs")
        for row in data["curve"]:
            print(f"  >= {row['threshold']:.2f}  precision {row['precision']:.3f}  recall {row['recall']:.3f}"
                  f"  merged {row['merged']}")
        at = data["at_threshold"]
        print(f"  used: >= {at['threshold']}  precision {at['precision']}  recall {at['recall']}")


if __name__ == "__main__":
    main()
