"""Comparison keys: spelling variants meet, different things stay apart."""

from __future__ import annotations

import json
from pathlib import Path

from verifier.keys import KeyMaker, split_parenthetical

K = KeyMaker()


def test_spelling_variants_of_one_name_meet() -> None:
    assert K.subject("MuseSpark") == K.subject("Muse Spark") == K.subject("Meta's Muse Spark model")
    assert K.attribute("MMMU-Pro") == K.attribute("MMMU Pro") == K.attribute("the MMMU-Pro score")
    assert K.attribute("Humanity’s Last Exam") == K.attribute("Humanity's Last Exam (No Tools)")
    assert K.subject("Acme Corp.") == K.subject("Acme") == K.subject("ACME Inc")


def test_different_things_stay_apart() -> None:
    assert K.attribute("Epoch Capabilities Index") != K.attribute("Artificial Analysis Intelligence Index")
    assert K.subject("Gemini 3.1 Pro Preview") != K.subject("Muse Spark")
    assert K.subject("GPT-5.4 Pro") != K.subject("GPT-5.2")


def test_keys_fold_spelling_never_meaning() -> None:
    # synonyms are alignment's to find (the LLM aligner, or a user's aliases file), not a word list's
    assert K.attribute("death toll") != K.attribute("fatalities")
    assert K.attribute("Revenues") == K.attribute("revenue")


def test_parentheticals_become_conditions() -> None:
    assert split_parenthetical("Muse Spark (Contemplating)") == ("Muse Spark", ["Contemplating"])


def test_user_aliases_are_folded(tmp_path: Path) -> None:
    path = tmp_path / "aliases.json"
    path.write_text(json.dumps({"Big Blue": "IBM"}))
    keys = KeyMaker.from_file(path)
    assert keys.subject("Big Blue") == keys.subject("IBM")
