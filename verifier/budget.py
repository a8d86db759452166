"""Cost: a price table per model, an estimate before the run, and a budget it stops within.

Documents are admitted one at a time against the budget: what was spent (from the token
usage the endpoint reports) plus what is reserved for documents in flight plus the
estimate of the next one must stay within `--max-cost`, or the run stops cleanly and
the report lists the documents it did not process. Each admitted document also reserves
a share for the calls that cross-check its claims (alignment and the judge), so extraction
cannot spend what those need; each of those calls is then asked for through `gate` and is
skipped, with a note, when it would pass the budget.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from .files import read_text
from .llm import Usage as LLMUsage
from .models import Document
from .store import default_home
from .text import chunk_paragraphs

PRICES = Path(__file__).with_name("prices.json")
PROMPT_OVERHEAD_TOKENS = 900  # the extraction prompt and schema sent with every chunk
CROSS_CHECK_SHARE = 0.6  # cross-check tokens (alignment and judge, in and out) per token of document text
CALL_OVERHEAD_TOKENS = 700  # an alignment or judge prompt and its schema
CALL_ANSWER_TOKENS = 600  # what such a call is expected to answer


class BudgetError(Exception):
    """No price is known for the model, so a budget cannot be kept."""


def load_prices(extra: Path | None = None) -> dict[str, tuple[float, float]]:
    """Shipped prices, then $VERIFIER_HOME/prices.json, then --prices FILE (later wins)."""
    table: dict[str, tuple[float, float]] = {}
    for path in (PRICES, default_home() / "prices.json", extra):
        if path is None or not path.exists():
            continue
        data = json.loads(read_text(path))
        for model, price in data.items():
            if isinstance(price, dict):
                table[model] = (float(price["input"]), float(price["output"]))
    return table


def price_of(model: str, table: dict[str, tuple[float, float]]) -> tuple[float, float] | None:
    """The model's price, by exact name or the longest known prefix ('gpt-4o-mini-2024-07-18')."""
    if model in table:
        return table[model]
    prefixes = [m for m in table if model.startswith(m)]
    return table[max(prefixes, key=len)] if prefixes else None


class Budget:
    """Admits documents while the spend stays within `limit` US dollars."""

    def __init__(self, limit: float, price: tuple[float, float], usage: LLMUsage, chunk_tokens: int) -> None:
        self.limit = limit
        self.price = price
        self.usage = usage
        self.chunk_tokens = chunk_tokens
        self.reserved: dict[str, float] = {}
        self.calls_base: float | None = None  # spent when the first cross-check call was asked for
        self.calls_admitted = 0.0  # estimates of the cross-check calls admitted since
        self.stopped = False
        self._lock = threading.Lock()

    @classmethod
    def for_run(cls, limit: float | None, model: str | None, prices: Path | None, usage: LLMUsage | None,
                chunk_tokens: int) -> Budget | None:
        if limit is None or usage is None or model is None:
            return None
        price = price_of(model, load_prices(prices))
        if price is None:
            raise BudgetError(f"no price known for model {model!r}: add it to a prices file (--prices FILE)")
        return cls(limit, price, usage, chunk_tokens)

    def estimate(self, doc: Document) -> float:
        """Dollars one document should cost: its chunks' prompt tokens and a share for the answers,
        and its share of the alignment and judge calls."""
        chunks = max(len(chunk_paragraphs(doc.text, self.chunk_tokens)), 1)
        passage = len(doc.text) / 4
        prompt = passage + PROMPT_OVERHEAD_TOKENS * chunks
        completion = passage * 0.5 + 100 * chunks
        return (prompt * self.price[0] + completion * self.price[1]) / 1_000_000 + self.cross_check_share(doc)

    def cross_check_share(self, doc: Document) -> float:
        tokens = len(doc.text) / 4 * CROSS_CHECK_SHARE
        return tokens * (self.price[0] + self.price[1]) / 2 / 1_000_000

    def gate(self, text: str) -> bool:
        """May a cross-check call carrying `text` be made? Yes while spent, in flight and this call's
        estimate stay within the budget; the call's estimate counts as in flight until it is spent."""
        cost = ((len(text) / 4 + CALL_OVERHEAD_TOKENS) * self.price[0] + CALL_ANSWER_TOKENS * self.price[1]) / 1e6
        with self._lock:
            spent = self.spent()
            if self.calls_base is None:
                self.calls_base = spent
            # calls run side by side: count what was admitted until their tokens are reported
            current = max(spent, self.calls_base + self.calls_admitted)
            if current + cost > self.limit:
                return False
            self.calls_admitted += cost
            return True

    def spent(self) -> float:
        return (self.usage.prompt_tokens * self.price[0] + self.usage.completion_tokens * self.price[1]) / 1_000_000

    def admit(self, doc: Document) -> bool:
        """Reserve the document's estimate if it fits; once one does not, admit no more."""
        cost = self.estimate(doc)
        with self._lock:
            if self.stopped or self.spent() + sum(self.reserved.values()) + cost > self.limit:
                self.stopped = True
                return False
            self.reserved[doc.id] = cost
            return True

    def settle(self, doc: Document) -> None:
        """The document is done: its extraction cost is in `spent` now; its cross-check share stays
        reserved until the cross-check runs."""
        with self._lock:
            if doc.id in self.reserved:
                self.reserved[doc.id] = self.cross_check_share(doc)

    def announce(self, documents: list[Document]) -> str:
        total = sum(self.estimate(d) for d in documents)
        return (f"estimated cost ${total:.4f} for {len(documents)} document(s) at ${self.price[0]}/"
                f"${self.price[1]} per million input/output tokens; budget ${self.limit:.4f}")
