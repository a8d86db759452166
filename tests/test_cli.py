"""`verifier` end to end: the commands, the files they write and the rows they store."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from tests.conftest import GOLD, ROOT, SEEDS
from verifier.cli import RULES_NOTICE, cli
from verifier.report import schema_of
from verifier.store import MIGRATIONS, Store


@pytest.fixture
def seed_run(tmp_path: Path, verifier_home: Path) -> tuple[Path, object]:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result


def test_run_on_the_seeds_writes_a_valid_report_and_stores_the_batch(seed_run: tuple[Path, object],
                                                                       verifier_home: Path) -> None:
    out, result = seed_run
    assert result.stderr.count(RULES_NOTICE) == 1  # type: ignore[attr-defined]
    report = json.loads((out / "report.json").read_text())
    jsonschema.validate(report, json.loads((ROOT / "schemas" / "report.schema.json").read_text()))
    assert report["backend"] == "rules" and report["model"] is None
    assert [d["id"] for d in report["documents"]] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    for flag in report["contradictions"]:
        assert {"id", "kind", "severity", "rationale", "claims"} <= flag.keys()
        for claim in flag["claims"]:
            text = (SEEDS / f"{claim['document']}.txt").read_text(encoding="utf-8")
            assert text[claim["start"]:claim["end"]] == claim["quote"]
    markdown = (out / "report.md").read_text()
    assert markdown.index("## Contradictions") < markdown.index("## Corroborations") < markdown.index("## Counts")

    db = sqlite3.connect(verifier_home / "verifier.db")
    [(batch_id, backend)] = db.execute("SELECT id, backend FROM batches").fetchall()
    assert batch_id == report["batch"] and backend == "rules"
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 5
    assert db.execute("SELECT count(*) FROM claims").fetchone()[0] == len(report["claims"])
    stored_flags = {row[0] for row in db.execute("SELECT id FROM findings WHERE finding = 'contradiction'")}
    assert stored_flags == {f["id"] for f in report["contradictions"]}
    # alignment is stored: every claim has its entity and question, every flag its question
    assert db.execute("SELECT count(*) FROM entities").fetchone()[0] == len(report["entities"]) > 0
    assert db.execute("SELECT count(*) FROM questions").fetchone()[0] == len(report["questions"]) > 0
    assert db.execute("SELECT count(*) FROM claims WHERE question_id IS NULL OR entity_id IS NULL").fetchone()[0] == 0
    flag_questions = dict(db.execute("SELECT f.id, q.text FROM findings f JOIN questions q ON q.batch_id = f.batch_id"
                                     " AND q.id = f.question_id WHERE f.finding = 'contradiction'").fetchall())
    assert flag_questions == {f["id"]: f["question"] for f in report["contradictions"]}
    assert all(f["question"] in markdown for f in report["contradictions"])


def test_eval_on_the_seed_report_meets_the_quality_bar(seed_run: tuple[Path, object]) -> None:
    out, _ = seed_run
    result = CliRunner().invoke(cli, ["eval", "--gold", str(GOLD), str(out / "report.json"), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert {"gpqa-diamond", "humanitys-last-exam", "mmmu-pro", "swe-bench-verified"} <= set(scores["matched"])
    assert scores["recall"] >= 0.375
    assert scores["precision"] >= 0.75
    assert scores["candidate_recall"] >= scores["recall"]  # what was flagged had met in a question
    assert scores["false_alarms"] == 0
    table = CliRunner().invoke(cli, ["eval", "--gold", str(GOLD), str(out / "report.json")])
    assert "gpqa-diamond" in table.stdout and "MISSED" in table.stdout


def test_flag_ids_are_stable_across_runs(seed_run: tuple[Path, object], tmp_path: Path) -> None:
    out, _ = seed_run
    again = tmp_path / "again"
    assert CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(again)]).exit_code == 0
    first = [f["id"] for f in json.loads((out / "report.json").read_text())["contradictions"]]
    second = [f["id"] for f in json.loads((again / "report.json").read_text())["contradictions"]]
    assert first == second


def test_no_readable_document_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    result = CliRunner().invoke(cli, ["run", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "skipped" in result.stderr and "empty" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: no document could be read")
    assert "Traceback" not in result.output


def test_llm_backend_without_an_endpoint_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--backend", "llm", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "needs an endpoint" in result.stderr


def test_eval_with_unreadable_input_exits_non_zero(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "--gold", str(GOLD), str(tmp_path / "nope.json")])
    assert result.exit_code == 1 and "cannot read report" in result.stderr


def test_published_schemas_match_the_models() -> None:
    for name in ("report", "gold"):
        published = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text())
        assert published == schema_of(name), f"run `verifier schemas` to refresh schemas/{name}.schema.json"
    gold = json.loads(GOLD.read_text())
    jsonschema.validate(gold, schema_of("gold"))


def test_migrations_build_a_blank_database_and_are_not_reapplied(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    assert store.migrate() == []
    assert store.migrations() == list(range(1, len(MIGRATIONS) + 1))
    assert {"batches", "documents", "claims", "findings", "slices", "workers", "answers"} <= store.tables()


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help text"
        assert re.search(rf"verifier {name}\b", readme), f"README does not show `verifier {name}`"


def test_other_kinds_of_batch_score_like_the_seeds(tmp_path: Path) -> None:
    """Batches unlike the seeds (results, an earthquake, a drug trial), written as stand-ins for
    the held-out ones: units, rounding, dated tolls, other companies' figures nearby. They were
    written together with earlier rules, so the bar leaves room (recall over the three, no false
    alarm): they are not a place to tune to. Synonyms such as 'enrolled' and 'randomised' need
    the LLM aligner, and the trial's enrolment item is missed offline."""
    folder = ROOT / "tests" / "fixtures" / "batches"
    found = total = alarms = 0
    for batch in ("earnings", "quake", "trial"):
        out = tmp_path / batch
        assert CliRunner().invoke(cli, ["run", str(folder / batch), "--out", str(out)]).exit_code == 0
        result = CliRunner().invoke(cli, ["eval", "--gold", str(folder / f"{batch}.gold.json"),
                                          str(out / "report.json"), "--json"])
        scores = json.loads(result.stdout)
        found, total = found + len(scores["matched"]), total + len(scores["matched"]) + len(scores["missed"])
        alarms += scores["false_alarms"]
    assert found / total >= 0.8 and alarms == 0, (found, total, alarms)


def test_unseen_kinds_of_news_are_read_by_the_rules(tmp_path: Path) -> None:
    """tests/unseen/ (a copy of ../shared/unseen): four short batches of other kinds of news, with
    gold written by someone else. The rules have been read and fixed against them since, so they are
    a development set, not a held-out one. A sentence failing here is fixed in the general grammar
    and tested with a different sentence of the same shape (tests/test_rules.py), never here."""
    folder = ROOT / "tests" / "unseen"
    found = total = alarms = 0
    for gold in sorted((folder / "gold").glob("*.json")):
        out = tmp_path / gold.stem
        assert CliRunner().invoke(cli, ["run", str(folder / "docs" / gold.stem), "--out", str(out)]).exit_code == 0
        result = CliRunner().invoke(cli, ["eval", "--gold", str(gold), str(out / "report.json"), "--json"])
        scores = json.loads(result.stdout)
        found, total = found + len(scores["matched"]), total + len(scores["matched"]) + len(scores["missed"])
        alarms += scores["false_alarms"]
    assert total == 4 and found / total >= 0.75 and alarms == 0, (found, total, alarms)
