"""Gold matching as the gold file's `about` defines it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifier.evaluate import EvalInputError, FlagView, load_flags, load_gold, matches, score
from verifier.models import Gold

GOLD = Gold.model_validate({
    "corpus": "t",
    "contradictions": [
        {"id": "toll", "sides": [{"docs": ["a"], "terms": ["120"]},
                                 {"docs": ["b", "c"], "terms": ["410", "four hundred"]}]},
        {"id": "depth", "sides": [{"docs": ["a"], "terms": ["10 km"]}, {"docs": ["b"], "terms": ["30 km"]}]},
    ],
    "consistent": [{"id": "mag", "sides": [{"docs": ["a"], "terms": ["7.1"]}, {"docs": ["b"], "terms": ["7.1"]}]}],
})


def _flag(fid: str, a: tuple[str, str], b: tuple[str, str]) -> FlagView:
    return FlagView(id=fid, claims=((a[0], a[1].lower()), (b[0], b[1].lower())), label=fid)


def test_a_flag_matches_either_way_round_on_document_and_term() -> None:
    item = GOLD.contradictions[0]
    assert matches(_flag("f", ("a", "toll 120"), ("c", "Four hundred dead")), item)
    assert matches(_flag("f", ("b", "410"), ("a", "120")), item)
    assert not matches(_flag("f", ("a", "120"), ("a", "410")), item)  # both on one side's document
    assert not matches(_flag("f", ("a", "120"), ("d", "410")), item)  # document not in the side


def test_recall_precision_and_false_alarms() -> None:
    flags = [
        _flag("f1", ("a", "120"), ("b", "410")),
        _flag("f2", ("a", "magnitude 7.1"), ("b", "magnitude 7.1 and 6.9")),
        _flag("f3", ("a", "anything"), ("c", "else")),
    ]
    result = score(GOLD, flags)
    assert result.matched == ["toll"] and result.missed == ["depth"]
    assert result.recall == 0.5
    assert result.precision == pytest.approx(1 / 3)
    assert result.false_alarms == {"mag": ["f2"]}
    assert result.as_json()["false_alarms"] == 1


def test_unreadable_inputs_raise_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(EvalInputError, match="not JSON"):
        load_flags(bad)
    bad.write_text(json.dumps({"corpus": "x"}))
    with pytest.raises(EvalInputError, match="not a gold file"):
        load_gold(bad)
    with pytest.raises(EvalInputError, match="cannot read"):
        load_flags(tmp_path / "missing.json")
