"""Endpoint faults and model misbehaviour, against a real HTTP server on loopback.

`verifier.testing.FakeEndpoint` speaks the OpenAI wire format over real sockets, so the
whole client stack runs: no mock of the openai client. Each fault must end in bounded
retries, no duplicate claims, and a completed batch or a clear stop with the work kept.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from pathlib import Path

import pytest

from verifier import pipeline
from verifier.llm import LLMSettings, LLMTransportError
from verifier.testing import FakeEndpoint, passage_of

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

DOCS = {
    "acme.txt": "Acme results\nAcme reported revenue of $4.2 billion in the third quarter.\n"
                "Acme has employees of 12,000.\n",
    "wire.txt": "Wire report\nAcme reported revenue of $4.6 billion in the third quarter.\n",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    for name, text in DOCS.items():
        (root / name).write_text(text)
    return root


def _options(folder: Path, endpoint: FakeEndpoint, tmp_path: Path, **settings: object) -> pipeline.RunOptions:
    llm = LLMSettings(model="fake", base_url=endpoint.url, api_key="sk-test", timeout=1.0, backoff_seconds=0.01,
                      max_transport_retries=3)
    for name, value in settings.items():
        setattr(llm, name, value)
    return pipeline.RunOptions(paths=[str(folder)], out_dir=tmp_path / "out", backend="llm", llm=llm,
                               concurrency=2, chunk_tokens=2000)


def _claim_rows(home: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(home / "verifier.db")
    return db.execute("SELECT document_id, value FROM claims ORDER BY document_id, value").fetchall()


@pytest.mark.parametrize("fault", ["500", "429", "hang", "drop"])
def test_transient_faults_are_retried_and_the_batch_completes(fault: str, folder: Path, tmp_path: Path,
                                                              verifier_home: Path) -> None:
    with FakeEndpoint(script=deque([fault]), hang_seconds=2.0, retry_after="0") as endpoint:
        report = pipeline.run_batch(_options(folder, endpoint, tmp_path)).report
        kinds = dict(endpoint.kinds)
    assert report.failures == []
    assert sorted(c.value for c in report.claims) == ["$4.2 billion", "$4.6 billion", "12,000"]
    assert len(report.contradictions) == 1
    # one extraction request per document plus one retry of the fault (it hits the first request);
    # one entity call and one question call for Acme; one judge call for the two amounts that differ
    assert kinds == {"extract": len(DOCS) + 1, "entities": 1, "questions": 1, "judge": 1}
    assert _claim_rows(verifier_home) == sorted((c.document, c.value) for c in report.claims)


def test_a_storm_of_errors_ends_in_a_clear_stop_with_the_work_so_far_kept(folder: Path, tmp_path: Path,
                                                                          verifier_home: Path) -> None:
    with FakeEndpoint(script=deque(["ok"]), default="500") as endpoint:
        options = _options(folder, endpoint, tmp_path, max_transport_retries=2)
        options.concurrency = 1
        with pytest.raises(LLMTransportError, match="after retries: HTTP 500"):
            pipeline.run_batch(options)
        assert endpoint.requests == 1 + 3  # one good answer, then three tries of the next document
    assert _claim_rows(verifier_home) == [("acme", "$4.2 billion"), ("acme", "12,000")]
    status = sqlite3.connect(verifier_home / "verifier.db").execute("SELECT status FROM batches").fetchall()
    assert status == [("running",)]


def test_refused_connections_are_retried_a_bounded_number_of_times(folder: Path, tmp_path: Path) -> None:
    endpoint = FakeEndpoint()
    endpoint.start()
    endpoint.stop()  # the port is closed now: every connection is refused
    with pytest.raises(LLMTransportError, match="after retries: APIConnectionError"):
        pipeline.run_batch(_options(folder, endpoint, tmp_path, max_transport_retries=2))
    assert endpoint.requests == 0


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("invalid_json", "invalid output after 3 attempt(s)"),
        ("schema", "invalid output after 3 attempt(s)"),
        ("empty_choices", "invalid output after 3 attempt(s): the response had no choices"),
        ("refusal", "the model refused: I can't help with that."),
        ("no_content", "the response had no content and no tool call"),
    ],
)
def test_bad_output_fails_the_chunk_with_its_reason_and_the_batch_completes(
    behaviour: str, reason: str, folder: Path, tmp_path: Path
) -> None:
    # the first document's chunk misbehaves on every try; the second is answered well
    script = deque([behaviour] * 3)
    with FakeEndpoint(script=script) as endpoint:
        options = _options(folder, endpoint, tmp_path)
        options.concurrency = 1
        report = pipeline.run_batch(options).report
    [failure] = report.failures
    assert failure.startswith("acme chars") and reason in failure
    assert [c.value for c in report.claims] == ["$4.6 billion"]
    assert report.usage.failed_chunks == 1


def test_invented_quotes_and_numbers_are_dropped(folder: Path, tmp_path: Path) -> None:
    with FakeEndpoint(script=deque(["wrong_quote"])) as endpoint:
        options = _options(folder, endpoint, tmp_path)
        options.concurrency = 1
        report = pipeline.run_batch(options).report
    assert report.counts.ungrounded_dropped == 1
    assert all(c.document == "wire" for c in report.claims)


def test_truncated_output_is_retried_on_smaller_chunks(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    lines = [f"Acme reported revenue of ${n}.{n} billion in region {n}." for n in range(1, 21)]
    (root / "long.txt").write_text("Acme by region\n" + "\n".join(lines) + "\n")
    with FakeEndpoint(default="length_if_long") as endpoint:
        options = _options(root, endpoint, tmp_path)
        report = pipeline.run_batch(options).report
    assert report.failures == []
    assert len(report.claims) == 20  # every line, from halves small enough to answer


def test_a_ten_megabyte_document_is_sent_in_chunks_within_the_budget(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    paragraph = "The committee met again and discussed the schedule for the next round of talks. " * 12
    count = 10_000_000 // (len(paragraph) + 12)
    # numbered, so no two chunks are alike (identical chunks would rightly come from the cache)
    (root / "huge.txt").write_text("Minutes\n" + "".join(f"Item {n}. {paragraph}\n" for n in range(count)))
    with FakeEndpoint() as endpoint:
        options = _options(root, endpoint, tmp_path)
        options.chunk_tokens = 50_000  # about 200,000 characters a chunk
        options.concurrency = 4
        options.max_claims = 20_000  # the fake endpoint finds about 10,000 claims here: chunking is tested, not the cap
        report = pipeline.run_batch(options).report
        # distinct passages: a request retried on a busy machine is the same passage asked again
        passages = [len(p) for p in {passage_of(body) for body in endpoint.bodies_of("extract")}]
    assert report.failures == [] and len(report.documents) == 1
    assert 49 <= len(passages) <= 52
    assert max(passages) <= 200_000
