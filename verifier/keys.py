"""Comparison keys: fold the many spellings of one subject or attribute into one key.

Claims are compared only when their keys meet, which keeps comparison linear in the
number of claims; so the folding must be generous with spelling ("MuseSpark" and
"Muse Spark", "MMMU-Pro" and "MMMU Pro") and strict with meaning (an index is not
another index, a rival company is not the company).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from . import lexicon
from .files import read_text

_DETERMINERS = lexicon.DETERMINERS
_ORG_SUFFIXES = lexicon.ORG_SUFFIXES
_GENERIC_ATTRIBUTE_WORDS = lexicon.GENERIC_ATTRIBUTE_WORDS


_PLAIN = str.maketrans("’‘“”–—‑", "''\"\"---")


def fold(text: str) -> str:
    """Unicode-fold and lowercase, with curly quotes and dashes made plain."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_PLAIN)
    return text.lower()


def squash(text: str) -> str:
    """Letters and digits only: 'Muse Spark' and 'MuseSpark', 'MMMU-Pro' and 'MMMU Pro' meet."""
    return re.sub(r"[^0-9a-z]+", "", fold(text).replace("'s ", " ").replace("'s", ""))


def split_parenthetical(text: str) -> tuple[str, list[str]]:
    """'Humanity's Last Exam (No Tools)' -> ("Humanity's Last Exam", ['No Tools'])."""
    inner = [m.strip() for m in re.findall(r"\(([^()]*)\)", text) if m.strip()]
    outer = re.sub(r"\s*\([^()]*\)\s*", " ", text).strip()
    return outer, inner


def _words(text: str) -> list[str]:
    return re.findall(r"[0-9a-z][0-9a-z'+.-]*", fold(text))


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


class KeyMaker:
    """Turns subjects and attributes into keys, with user aliases folded in."""

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        self.aliases = {squash(k): squash(v) for k, v in (aliases or {}).items()}
        # keys already made: a batch states a few thousand attribute wordings tens of thousands of times, and
        # alignment asks for each claim's key more than once (about 0.6 s of a 10,000-document batch's alignment)
        self._attributes: dict[str, str] = {}

    @classmethod
    def from_file(cls, path: str | Path | None) -> KeyMaker:
        """Load aliases from a JSON object {"alias": "canonical name"}."""
        if path is None:
            return cls()
        data = json.loads(read_text(path))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: aliases must be a JSON object of alias -> name")
        return cls({str(k): str(v) for k, v in data.items()})

    def subject(self, text: str) -> str:
        """'Meta's Muse Spark model' -> 'musespark'; 'Acme Corp.' -> 'acme'."""
        outer, _ = split_parenthetical(text)
        words = _words(outer)
        if "'s" in fold(outer) and len(words) > 1:
            # "Meta's Muse Spark": the owner is context, the thing owned is the subject
            tail = re.split(r"'s\s+", fold(outer))[-1]
            words = _words(tail) or words
        while words and words[0] in _DETERMINERS:
            words = words[1:]
        while len(words) > 1 and words[-1].strip(".") in _ORG_SUFFIXES | {"model"}:
            words = words[:-1]
        key = squash(" ".join(words))
        return self.aliases.get(key, key)

    def attribute(self, text: str) -> str:
        """'the notoriously difficult MMMU-Pro benchmark' -> 'mmmupro'; 'Death toll' -> 'deaths'."""
        key = self._attributes.get(text)
        if key is None:
            key = self._attributes[text] = self._attribute(text)
        return key

    def _attribute(self, text: str) -> str:
        outer, _ = split_parenthetical(text)
        phrase = " ".join(w for w in _words(outer) if w not in _DETERMINERS)
        words = [w for w in phrase.split() if w not in _GENERIC_ATTRIBUTE_WORDS] or phrase.split()
        key = squash(" ".join(_singular(w) for w in words))
        return self.aliases.get(key, key)

    def pair(self, subject: str, attribute: str) -> tuple[str, str]:
        """The comparison key of a claim."""
        return self.subject(subject), self.attribute(attribute)
