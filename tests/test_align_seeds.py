"""Alignment on the seeds, with a capable model's extraction answers.

`../shared/recordings/seeds-extraction.jsonl` holds a capable model's answers to the
extraction requests for the seeds (copied to tests/fixtures/recordings/). Fed back through
the fake endpoint, they are realistic input for alignment:

- with code's aligner (no LLM after extraction), claims satisfying both sides of most gold
  contradictions must meet in one question;
- with the LLM's aligner and judge, the cassette in cassettes/file-endpoint/ replays a run
  whose alignment and judge calls were answered through ../shared/tools/file-endpoint.py
  by careful model-like answerers (helpers working from each request file alone), and whose
  extraction calls were answered from the recordings. It is a real HTTP recording of those
  answers, not a hosted model's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CASSETTES, GOLD, ROOT, SEEDS
from verifier import evaluate, pipeline
from verifier.llm import LLMSettings
from verifier.testing import FakeEndpoint, default_answer, passage_of, request_kind

RECORDINGS = ROOT / "tests" / "fixtures" / "recordings" / "seeds-extraction.jsonl"
FILE_ENDPOINT = "http://127.0.0.1:8799/v1"  # where the file endpoint listened while recording


def recorded_answers() -> dict[str, dict[str, Any]]:
    """Passage sent -> the capable model's recorded answer."""
    answers = {}
    for line in RECORDINGS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        answer = row["answer"]
        answers[row["passage"]] = json.loads(answer) if isinstance(answer, str) else answer
    return answers


def _score(report_path: Path) -> evaluate.Score:
    return evaluate.score(evaluate.load_gold(GOLD), evaluate.load_flags(report_path),
                          evaluate.load_questions(report_path))


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_code_aligner_puts_most_gold_contradictions_in_one_question(tmp_path: Path) -> None:
    answers = recorded_answers()
    unknown: list[str] = []

    def answer(body: dict[str, Any]) -> dict[str, Any]:
        if request_kind(body) != "extract":
            return default_answer(body)
        passage = passage_of(body)
        if passage not in answers:
            unknown.append(passage[:60])
            return {"claims": []}
        return answers[passage]

    with FakeEndpoint(answer=answer) as endpoint:
        options = pipeline.RunOptions(
            paths=[str(SEEDS)], out_dir=tmp_path / "out", backend="llm", aligner="code",
            llm=LLMSettings(model="capable", base_url=endpoint.url, api_key="sk-test"),
        )
        result = pipeline.run_batch(options)
        kinds = dict(endpoint.kinds)
    assert unknown == [] and len(result.report.claims) == 211
    # code aligned: no alignment call; the judge is asked about questions whose answers differ, several a call
    assert "entities" not in kinds and "questions" not in kinds
    counts = result.report.counts
    assert kinds["judge"] == counts.judge_calls < counts.judge_groups <= counts.questions_compared
    score = _score(result.json_path)
    assert score.candidate_recall is not None and score.candidate_recall >= 6 / 8, score.as_json()
    assert score.false_alarms == {}


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES / "file-endpoint")


@pytest.mark.vcr
def test_llm_aligner_meets_every_gold_contradiction_within_the_call_budget(tmp_path: Path) -> None:
    options = pipeline.RunOptions(
        paths=[str(SEEDS)], out_dir=tmp_path / "out", backend="llm", concurrency=8,
        llm=LLMSettings(model="capable", base_url=FILE_ENDPOINT, api_key="sk-test-not-a-secret", timeout=3600),
    )
    result = pipeline.run_batch(options)
    report = result.report
    score = _score(result.json_path)
    assert report.aligner == "llm"
    assert score.candidate_recall == 1.0, score.as_json()
    stages = report.usage.calls_by_stage
    assert stages["extract"] == 9 and stages["align"] <= 1 + len(report.entities)
    # several questions a judge call; questions code finds identical are corroborations without one
    assert stages["judge"] == report.counts.judge_calls < report.counts.judge_groups <= report.counts.questions_compared
    # long documents take several extraction calls each; what comes after costs at most two a document
    assert stages["align"] + stages["judge"] <= 2 * len(report.documents), report.usage
    assert report.usage.total_tokens <= 60_000, report.usage
    assert score.false_alarms == {}
    assert score.recall >= 7 / 8 and score.precision == 1.0, score.as_json()


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
@pytest.mark.parametrize("dims", [768, 0])
def test_an_endpoint_embedding_model_is_used_and_never_required(tmp_path: Path, dims: int) -> None:
    answers = recorded_answers()

    def answer(body: dict[str, Any]) -> dict[str, Any]:
        return answers[passage_of(body)] if request_kind(body) == "extract" else default_answer(body)

    with FakeEndpoint(answer=answer, embedding_dims=dims) as endpoint:  # dims 0: the endpoint has no model
        options = pipeline.RunOptions(
            paths=[str(SEEDS)], out_dir=tmp_path / "out", backend="llm", aligner="code", embed_model="fake-embed",
            llm=LLMSettings(model="capable", base_url=endpoint.url, api_key="sk-test"),
        )
        result = pipeline.run_batch(options)
        asked = endpoint.kinds["embeddings"]
    notes = [f for f in result.report.failures if f.startswith("embeddings from fake-embed")]
    assert asked >= 1 and (notes == []) == (dims > 0)
    if dims == 0:
        assert "used wordllama" in notes[0]  # the offline embeddings took over; the batch went on
    score = _score(result.json_path)
    assert score.candidate_recall is not None and score.candidate_recall >= 6 / 8
