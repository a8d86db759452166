"""One lexicon: every word list is tagged, none names the things of one topic, and the modules that
read sentences keep none of their own."""

from __future__ import annotations

import ast
import functools
import re
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


# a regular expression's alternation of four or more lower-case words of three letters or more
# ("said|says|told|tells"); suffixes ("st|nd|rd|th", "ed|es|e|ing") are code, not a word list
_ALTERNATION = re.compile(r"(?<![\w\\])[a-z]{3,}(?:\|[a-z]{3,}){3,}(?!\w)")


@functools.cache
def _labels() -> frozenset[str]:
    """The labels of the code (the values of its Literal types: statuses, relations, sources): not words of a text."""
    labels: set[str] = set()
    for path in VERIFIER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "Literal":
                labels |= {n.value for n in ast.walk(node.slice) if isinstance(n, ast.Constant)
                           and isinstance(n.value, str)}
    return frozenset(labels)


def _word_sets(path: Path) -> list[str]:
    """Module-level sets, lists, tuples and dicts of four or more words of English (in lower case:
    a parser's labels, "ORG" or "nsubj", are not words of the text) defined in a module, and
    string constants anywhere in it (regular expressions) holding an alternation of four or more words.
    The code's own labels (a status, a relation) are not words of a text."""
    found, labels = [], _labels()
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Set | ast.List | ast.Tuple
                                                                         | ast.Dict | ast.Call):
            words = [n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                     and n.value.isalpha() and n.value.islower() and n.value not in labels]
            if len(words) >= 4:
                found.append(f"{path.name}:{node.lineno}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _ALTERNATION.search(node.value):
            found.append(f"{path.name}:{node.lineno}: {_ALTERNATION.search(node.value).group(0)}")
    return found


def test_the_check_catches_a_word_set_and_an_alternation_of_words(tmp_path: Path) -> None:
    module = tmp_path / "reader.py"
    module.write_text('import re\nVERBS = {"said", "says", "told", "tells"}\n'
                      'SAID = re.compile(r"\\b(?:said|says|told|tells)\\b")\n'
                      'ORDINAL = re.compile(r"\\d+(?:st|nd|rd|th)")\n')
    assert _word_sets(module) == ["reader.py:2", "reader.py:3: said|says|told|tells"]


@pytest.mark.parametrize("module", [
    "parse.py", "features.py", "keys.py", "numbers.py", "text.py", "dates.py", "timing.py", "compare.py", "frames.py",
    "ground.py", "pairing.py", "align.py", "rules.py",
])
def test_the_readers_of_sentences_and_figures_keep_no_word_list_of_their_own(module: str) -> None:
    assert _word_sets(VERIFIER / module) == []
