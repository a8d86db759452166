"""One lexicon: every word list is tagged, none names the things of one topic, and the modules that
read sentences keep none of their own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from verifier import lexicon

VERIFIER = Path(lexicon.__file__).parent


def test_every_list_is_grammar_or_unit_and_none_is_domain() -> None:
    assert lexicon.KINDS, "the lexicon registers its lists"
    assert {kind for kind in lexicon.KINDS.values()} <= {"grammar", "unit"}


def test_a_list_registered_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        lexicon.grammar("function words", ["a"])


def _word_sets(path: Path) -> list[str]:
    """Module-level sets, lists, tuples and dicts of four or more words of English (in lower case:
    a parser's labels, "ORG" or "nsubj", are not words of the text) defined in a module."""
    found = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Set | ast.List | ast.Tuple
                                                                         | ast.Dict | ast.Call):
            words = [n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                     and n.value.isalpha() and n.value.islower()]
            if len(words) >= 4:
                found.append(f"{path.name}:{node.lineno}")
    return found


@pytest.mark.parametrize("module", ["parse.py", "features.py", "keys.py", "numbers.py"])
def test_the_readers_of_sentences_and_figures_keep_no_word_list_of_their_own(module: str) -> None:
    assert _word_sets(VERIFIER / module) == []
