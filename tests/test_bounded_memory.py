"""What keeps a run from holding its batch several times over (issue 17, bounded memory): the
report written item by item, the claims read from the store a page of documents at a time, equal
frames held once, documents' texts cut to their heads after extraction. Each gives what the whole
did before; how much memory it saves is printed by `bench/run.py --stages`, not asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SEEDS
from verifier import framing, report, store, timing
from verifier.cli import cli
from verifier.models import Counts, Document, GroundedClaim, Report, Usage
from verifier.store import Store


@pytest.fixture
def seed_report(tmp_path: Path, verifier_home: Path) -> Path:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "report.json"


def test_report_json_written_in_pieces_has_the_bytes_of_one_dump(seed_report: Path) -> None:
    text = seed_report.read_text(encoding="utf-8")
    loaded = Report.model_validate_json(text)
    assert text == loaded.model_dump_json(indent=2) + "\n"
    assert "".join(report.report_json_chunks(loaded)) == loaded.model_dump_json(indent=2)
    assert not list(seed_report.parent.glob(".report.json.*"))  # the partial file was renamed


def test_a_report_with_empty_lists_is_written_as_one_dump(tmp_path: Path) -> None:
    empty = Report(batch="b1", created="2026-12-05T00:00:00+00:00", backend="rules", model=None, documents=[],
                   claims=[], contradictions=[], corroborations=[], usage=Usage(),
                   counts=Counts(documents=0, skipped_files=0, claims=0, ungrounded_dropped=0, candidate_pairs=0,
                                 contradictions=0, corroborations=0, single_source=0))
    json_path, _ = report.write_report(empty, tmp_path)
    assert json_path.read_text(encoding="utf-8") == empty.model_dump_json(indent=2) + "\n"


def test_an_invalid_report_leaves_no_file(seed_report: Path, tmp_path: Path) -> None:
    loaded = Report.model_validate_json(seed_report.read_text(encoding="utf-8"))
    bad = loaded.claims[-1].model_copy(update={"match": "guessed"})  # not a value the schema allows
    broken = loaded.model_copy(update={"claims": [*loaded.claims[:-1], bad]})
    out = tmp_path / "broken"
    with pytest.raises(ValueError, match=r"does not match schemas/report\.schema\.json"):
        report.write_report(broken, out)
    assert list(out.iterdir()) == []


def test_claims_read_a_page_of_documents_at_a_time_keep_the_batch_order(
        seed_report: Path, verifier_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = Report.model_validate_json(seed_report.read_text(encoding="utf-8"))
    ids = [d.id for d in loaded.documents]
    opened = Store.open(verifier_home)
    try:
        whole = list(opened.claims_of(loaded.batch, ids))
        monkeypatch.setattr(store, "CLAIM_PAGE_DOCUMENTS", 2)
        paged = list(opened.claims_of(loaded.batch, list(reversed(ids))))
        listed, dropped, failures = opened.batch_claims(loaded.batch, ids)
    finally:
        opened.close()
    assert [c.id for c in paged] == [c.id for c in whole] == [c.id for c in listed]
    assert sorted(c.id for c in whole) == sorted(c.id for c in loaded.claims)
    assert (dropped, failures) == (loaded.counts.ungrounded_dropped, [])


def _claim(doc: str, n: int, quote: str) -> GroundedClaim:
    return GroundedClaim(id=f"{doc}-{n}", document=doc, subject="Port", attribute="fees", value="4%", number=4.0,
                         unit="%", quote=quote, start=n, end=n + 1)


def test_equal_frames_are_held_once_and_read_as_before() -> None:
    docs = [Document(id=d, path=f"{d}.txt", sha256=d, title=d, text=f"Published 14 February 2026\nFees rose 4%. ({d})")
            for d in ("a", "b")]
    claims = [_claim("a", 0, "Fees rose 4%"), _claim("b", 1, "Fees rose 4%"), _claim("b", 2, "Fees rose 4% in May")]
    framed = framing.frame(docs, claims)
    one_by_one = [framing.claim_in_time(c, "2026-02-14") for c in claims]
    assert framed.claims == one_by_one
    first, second, third = (c.frame for c in framed.claims)
    assert first is second and first is not third


def test_documents_after_extraction_keep_the_head_the_time_stage_reads() -> None:
    long = "OSLO, March 3 (NTB) - Talks that began on February 27, 2026 ended.\n" + "x" * (timing.HEAD_CHARS * 3)
    doc = Document(id="a", path="a.txt", sha256="a", title="a", text=long)
    ahead = framing.Ahead()
    [headed] = ahead.headed([doc])
    assert headed.text == long[:timing.HEAD_CHARS] and headed.id == doc.id
    (from_head,), notes = framing.settle_dates([headed], ahead)
    (from_whole,), whole_notes = framing.settle_dates([doc], framing.Ahead())
    assert (from_head.date, from_head.date_source, notes) == (from_whole.date, from_whole.date_source, whole_notes)
    assert (from_head.date, from_head.date_source) == ("2026-03-03", "head")
