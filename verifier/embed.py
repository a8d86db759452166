"""Phrase embeddings for alignment: which attributes are near each other in meaning.

Offline they come from wordllama, whose static token embeddings ship inside its PyPI
wheel, so nothing is downloaded at run time; with an endpoint configured and
`--embed-model NAME`, an OpenAI-compatible `/v1/embeddings` model may be used instead
(through `llm`, the one door to a model). Embeddings only propose neighbours: static
embeddings put "strike length" near "number of workers on strike", so alignment never
decides on them alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns short phrases into unit vectors; the same phrase always gives the same vector."""

    name: str

    def embed(self, texts: list[str]) -> Vectors: ...


class WordLlamaEmbedder:
    """wordllama's 256-dimension static embeddings, loaded once from the installed package."""

    name = "wordllama-l2_supercat_256"

    def __init__(self) -> None:
        self._model: object | None = None
        self._lock = threading.Lock()
        self._memo: dict[str, npt.NDArray[np.float32]] = {}

    def _load(self) -> object:
        with self._lock:
            if self._model is None:
                root = logging.getLogger()
                handlers, level = root.handlers[:], root.level
                try:
                    import wordllama  # it calls logging.basicConfig(level=INFO) on import
                    from wordllama import WordLlama

                    # the package folder holds tokenizers/ and weights/: loading from it needs no hub
                    folder = Path(wordllama.__file__).resolve().parent
                    self._model = WordLlama.load(cache_dir=folder, disable_download=True)
                finally:
                    root.handlers[:] = handlers  # leave the program's logging as it was
                    root.setLevel(level)
            return self._model

    def embed(self, texts: list[str]) -> Vectors:
        missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if missing:
            model = self._load()
            vectors = np.asarray(model.embed(missing, norm=True), dtype=np.float32)  # type: ignore[attr-defined]
            for text, vector in zip(missing, vectors, strict=True):
                self._memo[text] = vector
        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        stacked: Vectors = np.stack([self._memo[t] for t in texts])
        return stacked


class EndpointEmbedder:
    """An OpenAI-compatible embeddings model, reached through `llm.LLM.embed` (cached, retried)."""

    def __init__(self, model: str, embed: Callable[[list[str]], list[list[float]]]) -> None:
        self.name = model
        self._embed = embed
        self._memo: dict[str, npt.NDArray[np.float32]] = {}

    def embed(self, texts: list[str]) -> Vectors:
        missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if missing:
            vectors = np.asarray(self._embed(missing), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            for text, vector in zip(missing, vectors / np.maximum(norms, 1e-12), strict=True):
                self._memo[text] = vector.astype(np.float32)
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        stacked: Vectors = np.stack([self._memo[t] for t in texts])
        return stacked


class FallbackEmbedder:
    """An endpoint's embeddings, and the offline ones once the endpoint fails or the budget refuses:
    embeddings help alignment, they are never required."""

    def __init__(self, primary: Embedder, fallback: Embedder | None, notes: list[str],
                 gate: Callable[[str], bool] | None = None) -> None:
        self.primary, self.fallback, self.notes, self.gate = primary, fallback, notes, gate
        self.name = primary.name
        self._failed = False

    def embed(self, texts: list[str]) -> Vectors:
        if not self._failed:
            if self.gate is not None and not self.gate(" ".join(texts)):
                self._give_up("skipped, the budget would be exceeded")
            else:
                try:
                    return self.primary.embed(texts)
                except Exception as exc:  # an unreachable or refusing endpoint: align without it
                    self._give_up(" ".join(str(exc).split())[:200] or type(exc).__name__)
        if self.fallback is None:
            raise EmbeddingsUnavailable("no embeddings")
        return self.fallback.embed(texts)

    def _give_up(self, reason: str) -> None:
        self._failed = True
        fallback = self.fallback.name if self.fallback is not None else "none"
        self.notes.append(f"embeddings from {self.primary.name}: {reason}; used {fallback} instead")


class EmbeddingsUnavailable(Exception):
    """Neither the endpoint's nor the offline embeddings can be had: align lexically."""


_default: WordLlamaEmbedder | None = None


def default_embedder() -> Embedder | None:
    """The offline embedder, or None when wordllama cannot be loaded (alignment is then lexical)."""
    global _default
    if _default is None:
        candidate = WordLlamaEmbedder()
        try:
            candidate.embed(["probe"])
        except Exception:  # any failure to load means: align without embeddings
            return None
        _default = candidate
    return _default
