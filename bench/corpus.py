"""A synthetic corpus with known answers: N documents about M entities.

Each entity has true figures (revenue, profit, employees, stores) and a headquarters city.
Documents restate them, often in other units ("$4.2 billion" and "$4,200 million"), and a
planted share of documents state a wrong figure or a wrong city (a text claim, for the
judge). The gold file (tests/gold format) labels each planted contradiction against the
documents that state the truth.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

ATTRIBUTES = ("revenue", "profit", "employees", "stores")
CITIES = ("Arlen", "Brask", "Corwin", "Dunmore", "Elstow", "Fenwick", "Galloway", "Harlow")
WORDS = ("amber", "basalt", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "iris", "juniper",
         "kestrel", "lagoon", "meadow", "nimbus", "onyx", "prairie", "quartz", "raven", "sierra", "tundra")
FILLER = (
    "Analysts said the results were broadly in line with the trend of recent quarters.",
    "The company did not comment on its plans for the coming year.",
    "Shares traded in a narrow range for most of the session.",
    "Executives pointed to demand in several regions as a reason for cautious optimism.",
)


@dataclass
class Fact:
    entity: str
    attribute: str
    value: float


@dataclass
class Corpus:
    documents: dict[str, str] = field(default_factory=dict)
    gold: dict[str, object] = field(default_factory=dict)


def _money(value_m: float, style: int) -> str:
    """A value in millions of dollars, written one of three ways."""
    if style == 0 and value_m >= 1000:
        return f"${value_m / 1000:.1f} billion"
    if style == 1:
        return f"${value_m:,.0f} million"
    return f"${value_m / 1000:.1f}bn" if value_m >= 1000 else f"${value_m:,.0f}m"


def _sentence(fact: Fact, value: float, style: int) -> tuple[str, str]:
    """(sentence, the figure as written)."""
    figure = _money(value, style) if fact.attribute in ("revenue", "profit") else f"{value:,.0f}"
    return f"{fact.entity} reported {fact.attribute} of {figure} this quarter.", figure


def generate(docs: int, entities: int, seed: int = 7, contradiction_rate: float = 0.1) -> Corpus:
    rng = random.Random(seed)
    names = [f"Entity{n:05d}" for n in range(entities)]
    truth = {
        (e, a): {"revenue": rng.randint(11, 90) * 100.0, "profit": rng.randint(2, 30) * 10.0,
                 "employees": rng.randint(10, 900) * 100.0, "stores": rng.randint(10, 900) * 1.0}[a]
        for e in names for a in ATTRIBUTES
    }
    corpus = Corpus()
    stated: dict[tuple[str, str], list[tuple[str, str, bool]]] = {}
    for d in range(docs):
        doc_id = f"doc{d:06d}"
        entity = names[d % entities]
        tag = " ".join(rng.choice(WORDS) for _ in range(6))  # keeps documents distinct, without figures
        lines = [f"Quarterly update on {entity}: {tag}"]
        city = CITIES[int(entity[6:]) % len(CITIES)]
        wrong_city = rng.random() < contradiction_rate
        stated_city = CITIES[(CITIES.index(city) + 1) % len(CITIES)] if wrong_city else city
        lines.append(f"{entity} is headquartered in {stated_city}.")
        stated.setdefault((entity, "headquarters"), []).append((doc_id, stated_city, wrong_city))
        for attribute in rng.sample(ATTRIBUTES, 3):
            fact = Fact(entity, attribute, truth[(entity, attribute)])
            wrong = rng.random() < contradiction_rate
            value = fact.value * rng.choice((1.3, 0.7, 1.5, 0.6, 1.2, 0.8)) if wrong else fact.value
            sentence, figure = _sentence(fact, value, rng.randrange(3))
            lines.append(sentence + " " + rng.choice(FILLER) + f" Filed under {rng.choice(WORDS)} {attribute}.")
            stated.setdefault((entity, attribute), []).append((doc_id, figure, wrong))
        corpus.documents[doc_id] = "\n".join(lines) + "\n"
    contradictions = []
    for (entity, attribute), statements in sorted(stated.items()):
        true_docs = [(d, f) for d, f, wrong in statements if not wrong]
        for doc_id, figure, wrong in statements:
            if wrong and true_docs:
                contradictions.append({
                    "id": f"{entity}-{attribute}-{doc_id}", "severity": "major",
                    "sides": [{"docs": [d for d, _ in true_docs], "terms": sorted({f for _, f in true_docs})},
                              {"docs": [doc_id], "terms": [figure]}],
                })
    corpus.gold = {"corpus": f"bench-{docs}x{entities}", "about": "Planted contradictions.",
                   "documents": sorted(corpus.documents), "contradictions": contradictions, "consistent": []}
    return corpus


def write(corpus: Corpus, folder: Path) -> Path:
    """Write the documents into `folder` and the gold file beside it; return the gold path."""
    folder.mkdir(parents=True, exist_ok=True)
    for doc_id, text in corpus.documents.items():
        (folder / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    gold = folder.parent / "gold.json"
    gold.write_text(json.dumps(corpus.gold), encoding="utf-8")
    return gold
