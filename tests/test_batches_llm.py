"""Small batches through the llm backend, replayed from cassettes answered through the file endpoint.

The batches: tests/fixtures/frames/ (one frame pattern each: a partial against the final count,
a running story, one month against the next, early trading against the close, a forecast against
the actual, a rate per month against a rate per year, rounded figures, negated bounds, datelines
without a year), tests/fixtures/related/ (the two sides of a contradiction under a company and
its shares, an organisation and its ballot, a project and its cost, a product and its price, a
name with and without a prefix; and a maker and its product with figures for different things)
and tests/unseen/ (a copy of ../shared/unseen).

Each cassette in cassettes/file-endpoint/ is a real HTTP recording of one run of the llm backend
on a batch, whose every call (extraction, entities, questions, judge) was answered through
../shared/tools/file-endpoint.py by careful model-like answerers (helpers working from each
request file alone; a batch's documents spread over different answerers, so none could
cross-check while extracting). Not a hosted model's answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CASSETTES, ROOT
from verifier import evaluate, pipeline
from verifier.llm import LLMSettings

FILE_ENDPOINT = "http://127.0.0.1:8799/v1"  # where the file endpoint listened while recording
FIXTURES = ROOT / "tests" / "fixtures"
BATCHES = {
    **{p.name.split(".")[0]: (p.parent / p.name.split(".")[0], p)
       for folder in ("frames", "related") for p in sorted((FIXTURES / folder).glob("*.gold.json"))},
    **{f"unseen-{p.stem}": (ROOT / "tests" / "unseen" / "docs" / p.stem, p)
       for p in sorted((ROOT / "tests" / "unseen" / "gold").glob("*.json"))},
}


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES / "file-endpoint")


def run(name: str, tmp_path: Path) -> tuple[pipeline.RunResult, evaluate.Score]:
    folder, gold_path = BATCHES[name]
    options = pipeline.RunOptions(
        paths=[str(folder)], out_dir=tmp_path / "out", backend="llm", concurrency=8,
        llm=LLMSettings(model="capable", base_url=FILE_ENDPOINT, api_key="sk-test-not-a-secret", timeout=3600),
    )
    result = pipeline.run_batch(options)
    path = result.json_path
    return result, evaluate.score(evaluate.load_gold(gold_path), evaluate.load_flags(path),
                                  evaluate.load_questions(path), evaluate.load_report_view(path))


@pytest.mark.vcr
@pytest.mark.parametrize("name", sorted(BATCHES))
def test_the_llm_backend_flags_what_contradicts_in_one_frame_and_nothing_else(name: str, tmp_path: Path) -> None:
    result, score = run(name, tmp_path)
    report = result.report
    assert report.failures == []
    assert score.recall == 1.0 and score.precision == 1.0, score.as_json()
    assert score.false_alarms == {} and score.as_agreement == []
    # a judge call earns its cost: at most 3 calls and 6,000 tokens per document, extraction included
    documents = report.counts.documents
    assert report.usage.llm_calls <= 3 * documents, report.usage
    assert report.usage.total_tokens <= 6000 * documents, report.usage
