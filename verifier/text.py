"""Splitting text into paragraphs, sentences and clauses while keeping offsets.

Every span here carries its offset into the document text, because quotes, tables and
the review screen all point back into the document by character offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import lexicon


@dataclass(frozen=True)
class Span:
    """A piece of a document's text and where it starts."""

    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


_ABBREVIATIONS = lexicon.ABBREVIATIONS
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9•\-–])")


def short(text: str, limit: int) -> str:
    """One line of at most `limit` characters, for prompts and notes."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def paragraphs(text: str) -> list[Span]:
    """Non-empty lines; news text and extracted HTML keep one paragraph a line."""
    spans = []
    for m in re.finditer(r"[^\n]+", text):
        raw = m.group(0)
        stripped = raw.strip()
        if stripped:
            spans.append(Span(stripped, m.start() + raw.index(stripped)))
    return spans


_WORD_BEFORE_STOP = re.compile(r"([\w.]+)[.!?]$")
_INITIAL_BEFORE = re.compile(r"\b[A-Z]$")


def sentences(paragraph: Span) -> list[Span]:
    """Split a paragraph into sentences, not at decimals ('80.5') or abbreviations ('Dr.')."""
    text, spans, begin = paragraph.text, [], 0
    for m in _SENTENCE_END.finditer(text):
        # only the word before the stop is looked at (a bounded window): a paragraph of nothing
        # but abbreviations ("Inc. Inc. ...") never advances `begin`, and rescanning from it was quadratic
        near = max(begin, m.start() - 64)
        word = _WORD_BEFORE_STOP.search(text, near, m.start() + 1)
        if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        if _INITIAL_BEFORE.search(text, near, m.start()):
            continue  # an initial such as "J. Smith"
        piece = text[begin:m.start() + 1]
        if piece.strip():
            spans.append(_trimmed(piece, paragraph.start + begin))
        begin = m.end()
    rest = text[begin:]
    if rest.strip():
        spans.append(_trimmed(rest, paragraph.start + begin))
    return spans


def _trimmed(text: str, start: int) -> Span:
    stripped = text.strip()
    return Span(stripped, start + text.index(stripped))


CLAUSE_BREAK = re.compile(rf";\s+|\s+[—–]\s+|,\s+(?=(?:{lexicon.CLAUSE_OPENERS})\b)")


def clause_at(sentence: Span, offset: int) -> Span:
    """The clause of `sentence` holding `offset` (absolute): the tight quote for one figure."""
    local = offset - sentence.start
    begin, end = 0, len(sentence.text)
    for m in CLAUSE_BREAK.finditer(sentence.text):
        if m.end() <= local:
            begin = m.end()
        elif m.start() >= local:
            end = m.start()
            break
    piece = sentence.text[begin:end].rstrip(" ,.")
    return Span(piece, sentence.start + begin)


def is_headline(line: str) -> bool:
    """Title-case lines without a closing period: headings, whose capitals are not names."""
    if line.rstrip().endswith((".", "!", "?", ":")) and not line.rstrip().endswith(":"):
        return False
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", line) if len(w) > 3]
    if len(words) < 3:
        return False
    capitals = sum(1 for w in words if w[0].isupper())
    return capitals / len(words) >= 0.6


def chunk_paragraphs(text: str, budget_tokens: int) -> list[Span]:
    """Group paragraphs into chunks that fit a token budget (about 4 characters a token).

    A paragraph longer than the budget is split at sentence ends, then hard-cut, so one
    huge paragraph cannot blow the context window.
    """
    limit = max(budget_tokens * 4, 200)
    pieces: list[Span] = []
    for para in paragraphs(text):
        if len(para.text) <= limit:
            pieces.append(para)
            continue
        for sentence in sentences(para):
            for i in range(0, len(sentence.text), limit):
                pieces.append(Span(sentence.text[i:i + limit], sentence.start + i))
    chunks: list[Span] = []
    current_start, current_end = -1, -1
    for piece in pieces:
        if current_start >= 0 and piece.end - current_start > limit:
            chunks.append(Span(text[current_start:current_end], current_start))
            current_start = -1
        if current_start < 0:
            current_start = piece.start
        current_end = piece.end
    if current_start >= 0:
        chunks.append(Span(text[current_start:current_end], current_start))
    return chunks
