"""Near-identical documents: syndicated copies are one source, not two.

A wire story republished by ten outlets says the same thing ten times; counting it as
ten independent confirmations would be wrong. Documents are compared by bottom-k
sketches of their word 5-gram shingles (deterministic CRC32 hashes), found through an
inverted index of sketch values, so the work stays near linear in the batch size.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict

from .models import Document

SHINGLE_WORDS = 5
SKETCH_SIZE = 32
COPY_SIMILARITY = 0.8
_COMMON_BUCKET = 50  # a sketch value shared by more documents is boilerplate, not a sign of copying


SKETCH_CHARS = 200_000  # copies share their opening; a long document is judged by it


def sketch(text: str) -> list[int]:
    """The SKETCH_SIZE smallest hashes of the word 5-grams of the text's first SKETCH_CHARS."""
    words = re.findall(r"\w+", text[:SKETCH_CHARS].lower())
    hashes = {zlib.crc32(" ".join(words[i:i + SHINGLE_WORDS]).encode())
              for i in range(max(len(words) - SHINGLE_WORDS + 1, 1))}
    return sorted(hashes)[:SKETCH_SIZE]


def similarity(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard similarity of two bottom-k sketches."""
    if not a or not b:
        return 0.0
    union = sorted(set(a) | set(b))[:SKETCH_SIZE]
    both = set(a) & set(b)
    return sum(1 for h in union if h in both) / len(union)


def mark_copies(documents: list[Document]) -> list[Document]:
    """Set `copy_of` on each document that nearly repeats an earlier one (to the earliest)."""
    sketches = [sketch(d.text) for d in documents]
    index: dict[int, list[int]] = defaultdict(list)
    for i, values in enumerate(sketches):
        candidates: dict[int, int] = defaultdict(int)
        for h in values:
            bucket = index[h]
            if len(bucket) < _COMMON_BUCKET:
                for j in bucket:
                    candidates[j] += 1
            bucket.append(i)
        for j in sorted(candidates, key=lambda j: (-candidates[j], j)):
            if candidates[j] < SKETCH_SIZE // 4:
                break
            if similarity(sketches[i], sketches[j]) >= COPY_SIMILARITY:
                documents[i].copy_of = documents[j].copy_of or documents[j].id
                break
    return documents


def independence(documents: list[Document]) -> dict[str, str]:
    """Each document's source: itself, or the original it was copied from."""
    return {d.id: d.copy_of or d.id for d in documents}
