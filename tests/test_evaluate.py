"""Gold matching as the gold file's `about` defines it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifier.evaluate import (
    EvalInputError,
    FlagView,
    load_flags,
    load_gold,
    load_questions,
    load_report_view,
    matches,
    score,
)
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


def _report(tmp_path: Path) -> Path:
    """A small report: one flag across frames, a corroboration that joins the toll's two sides, and
    the depth's sides extracted under two entities that never met."""
    def claim(cid: str, doc: str, value: str, frame: dict[str, object] | None = None) -> dict[str, object]:
        return {"id": cid, "document": doc, "subject": "Varn", "attribute": "x", "value": value,
                "statement": value, "quote": value, "frame": frame or {"status": "reported"}}

    claims = [claim("c1", "a", "120", {"status": "partial"}), claim("c2", "b", "410"),
              claim("c3", "a", "10 km"), claim("c4", "b", "30 km")]
    report = {
        "claims": claims,
        "entities": [{"id": "e1", "name": "Varn quake"}, {"id": "e2", "name": "Varn fault"}],
        "questions": [{"id": "q1", "entity": "e1", "text": "Toll?", "claims": ["c1", "c2"]},
                      {"id": "q2", "entity": "e1", "text": "Depth?", "claims": ["c3"]},
                      {"id": "q3", "entity": "e2", "text": "Fault depth?", "claims": ["c4"]}],
        "contradictions": [{"id": "f1", "claims": [claims[0], claims[1]]}],
        "corroborations": [{"claims": [claims[0], claims[1]]}],
        "counts": {"safety_net": 2},
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    return path


def test_eval_says_which_flags_cross_frames_which_contradictions_were_called_agreements_and_where_misses_were_lost(
        tmp_path: Path) -> None:
    path = _report(tmp_path)
    result = score(GOLD, load_flags(path), load_questions(path), load_report_view(path))
    assert result.frames == {"f1": "status: partial vs reported"}
    assert result.as_agreement == ["toll"]
    where = result.diagnosis["depth"]
    assert where["side 1"]["entities"] == ["Varn quake"] and where["side 2"]["entities"] == ["Varn fault"]
    assert where["lost"] == "never met in one question" and where["met"] is False
    assert result.as_json()["safety_net"] == 2
