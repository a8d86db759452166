"""A re-run of a finished batch carries its unchanged documents' claims forward instead of
extracting, grounding, committing and framing each one again, and reports the same."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from verifier import extract, pipeline
from verifier.llm import LLMSettings
from verifier.models import Document
from verifier.testing import FakeEndpoint

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])


def _write(folder: Path, n: int = 6) -> None:
    folder.mkdir(exist_ok=True)
    for i in range(n):
        (folder / f"doc{i}.txt").write_text(
            f"Report {i}\nPublished 3 March 2026\nAcme reported revenue of ${i % 2 + 1}.5 billion in 2025.\n")


def _run(folder: Path, out: Path, url: str, **options: object) -> dict[str, object]:
    """The report of one run, without what differs between runs (batch id, date, usage)."""
    result = pipeline.run_batch(pipeline.RunOptions(
        paths=[str(folder)], out_dir=out, backend="llm", concurrency=2,
        llm=LLMSettings(model="fake", base_url=url, api_key="sk-test"), **options))  # type: ignore[arg-type]
    report = json.loads(result.json_path.read_text())
    return {k: v for k, v in report.items() if k not in ("batch", "created", "usage")}


def _claim_rows(home: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(home / "verifier.db")
    rows: dict[str, list[tuple[object, ...]]] = {}
    for batch, *row in db.execute("SELECT batch_id, id, document_id, quote, as_of, frame FROM claims ORDER BY id"):
        rows.setdefault(batch, []).append(tuple(row))
    return rows


def test_a_rerun_carries_unchanged_documents_forward_and_reports_the_same(
        tmp_path: Path, verifier_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "docs"
    _write(folder)
    extracted: list[list[str]] = []
    inner = extract.extract_documents

    def recording(documents: list[Document], **kwargs: object) -> list[Document]:
        extracted.append([Path(d.path).name for d in documents])
        return inner(documents, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(extract, "extract_documents", recording)
    with FakeEndpoint(latency=0.0) as endpoint:
        url = endpoint.url
        first = _run(folder, tmp_path / "out1", url)
        again = _run(folder, tmp_path / "out2", url)
        (folder / "doc3.txt").write_text("Report 3\nPublished 3 March 2026\nAcme reported revenue of $9.5 billion.\n")
        changed = _run(folder, tmp_path / "out3", url)
        fresh = _run(folder, tmp_path / "out4", url, use_cache=False)
    assert extracted == [[f"doc{i}.txt" for i in range(6)], [], ["doc3.txt"], [f"doc{i}.txt" for i in range(6)]]
    assert again == first  # the same report, claims, times and frames included
    assert changed == fresh  # a changed document is read again, and the others carried are what it would read
    rows = list(_claim_rows(verifier_home).values())
    assert len(rows) == 4 and rows[1] == rows[0]  # the carried rows are the first batch's, frames and all


def test_claims_made_under_other_code_are_not_carried(
        tmp_path: Path, verifier_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "docs"
    _write(folder, 3)
    with FakeEndpoint(latency=0.0) as endpoint:
        _run(folder, tmp_path / "out1", endpoint.url)
        requests = endpoint.requests
        monkeypatch.setattr(pipeline, "code_digest", lambda: "other code")
        calls: list[int] = []
        inner = extract.extract_documents
        monkeypatch.setattr(extract, "extract_documents",
                            lambda documents, **kw: calls.append(len(documents)) or inner(documents, **kw))
        _run(folder, tmp_path / "out2", endpoint.url)
        assert calls == [3] and endpoint.requests == requests  # read again, from the cache
