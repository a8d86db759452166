"""The LLM aligner on batches of other kinds of news, replayed from the file endpoint.

The five batches in tests/fixtures/align/batches/ (a strike, a court ruling, a storm, a city
budget, a satellite launch) were written for these tests, with labels of which claims answer
the same question and which subjects name the same entity. Each cassette in
cassettes/file-endpoint/ is a real HTTP recording of one run of the llm backend on a batch:
its extraction calls were answered with the batch's own claims (authored, as the fixture
is), and its entity, question and judge calls were answered through
../shared/tools/file-endpoint.py by careful model-like answerers working from each request
file alone, who never saw the labels. Not a hosted model's answers.

Figures of different quantities must never share a question (code enforces kinds on
whatever the LLM answers). Text claims are grouped more readily on purpose, since the
judge reads each question and says which claims disagree: one pair of different text
questions meeting in a batch is tolerated, more is a failure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CASSETTES, ROOT
from verifier import frames, pipeline
from verifier.llm import LLMSettings
from verifier.models import Frame

BATCHES = ROOT / "tests" / "fixtures" / "align" / "batches"
NAMES = sorted(p.stem for p in BATCHES.glob("*.json"))
FILE_ENDPOINT = "http://127.0.0.1:8799/v1"


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES / "file-endpoint")


def write_documents(name: str, folder: Path) -> dict[str, object]:
    """The batch's documents as files dated by name (the date is read from the file name)."""
    data: dict[str, object] = json.loads((BATCHES / f"{name}.json").read_text(encoding="utf-8"))
    folder.mkdir(parents=True)
    for doc in data["documents"]:  # type: ignore[attr-defined]
        (folder / f"{doc['date']}-{doc['id']}.txt").write_text(doc["text"], encoding="utf-8")
    return data


@pytest.mark.vcr
@pytest.mark.parametrize("name", NAMES)
def test_llm_aligner_meets_paraphrases_and_keeps_different_things_apart(name: str, tmp_path: Path) -> None:
    data = write_documents(name, tmp_path / "docs")
    options = pipeline.RunOptions(
        paths=[str(tmp_path / "docs")], out_dir=tmp_path / "out", backend="llm", concurrency=8,
        llm=LLMSettings(model="capable", base_url=FILE_ENDPOINT, api_key="sk-test-not-a-secret", timeout=3600),
    )
    report = pipeline.run_batch(options).report
    labelled = data["claims"]  # type: ignore[index]
    by_quote = {(c.document.split("-", 3)[-1], c.quote, c.attribute): c for c in report.claims}
    missing = [c["attribute"] for c in labelled if (c["document"], c["quote"], c["attribute"]) not in by_quote]  # type: ignore[index]
    assert missing == [], f"claims dropped before alignment: {missing}"
    ids = [by_quote[(c["document"], c["quote"], c["attribute"])].id for c in labelled]  # type: ignore[index]
    numeric = {c.id for c in report.claims if c.number is not None}
    question_of = {cid: q.id for q in report.questions for cid in q.claims}
    entity_of = {s: e.id for e in report.entities for s in e.aliases}
    subject = {c.id: c.subject for c in report.claims}

    def share(pairs: list[list[int]], of: dict[str, str], key: object = None) -> list[bool]:
        look = (lambda i: of[subject[ids[i]]]) if key else (lambda i: of[ids[i]])
        return [look(i) == look(j) for i, j in pairs]

    same_q = share(data["same_question"], question_of)  # type: ignore[arg-type]
    assert sum(same_q) >= 0.8 * len(same_q), same_q
    different = data["different_question"]  # type: ignore[index]
    met = [pair for pair, joined in zip(different, share(different, question_of), strict=True) if joined]
    figures = [pair for pair in met if ids[pair[0]] in numeric and ids[pair[1]] in numeric]
    assert figures == [], "different quantities met"
    # a plan and an outcome ("planned duration" and "how long it lasted") may share a question: their
    # frames tell them apart when they are compared, and they must never be flagged
    frame = {c.id: c.frame for c in report.claims}
    flagged = {frozenset(c.id for c in f.claims) for f in report.contradictions}
    framed = [pair for pair in met if frames.status_difference(frame[ids[pair[0]]] or Frame(),
                                                               frame[ids[pair[1]]] or Frame())]
    assert not any(frozenset((ids[i], ids[j])) in flagged for i, j in framed)
    assert len(met) - len(framed) <= 1, met
    same_e = share(data["same_entity"], entity_of, key=True)  # type: ignore[arg-type]
    assert sum(same_e) >= 0.8 * len(same_e), same_e
    assert not any(share(data["different_entity"], entity_of, key=True)), "different entities merged"  # type: ignore[arg-type]
    stages = report.usage.calls_by_stage
    assert stages["align"] <= 1 + len(report.entities)
    counts = report.counts
    assert stages["judge"] == counts.judge_calls <= counts.judge_groups <= counts.questions_compared
