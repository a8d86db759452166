"""What leaves verifier is safe to open: reports, spreadsheets, published reviews and the review
pages carry a document's text as text, never as markup, formulas, reversing bidi characters
or the operator's file paths."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from verifier import review
from verifier.cli import cli
from verifier.review import FlagSummary
from verifier.web import create_app

HOSTILE_A = ("Northwind quarterly results\n"
             "Northwind's revenue was $5 billion <img src=x onerror=alert(1)> in the quarter, "
             "the company said.\n")
HOSTILE_B = ("Northwind results\n"
             "Northwind's revenue was $4 billion [details](javascript:alert(1)) in the quarter, "
             "analysts said.\n")


def _run_hostile(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(HOSTILE_A, encoding="utf-8")
    (docs / "b.md").write_text(HOSTILE_B, encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(docs), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    return tmp_path / "out"


def test_report_md_shows_markup_from_documents_as_text(tmp_path: Path) -> None:
    out = _run_hostile(tmp_path)
    report = json.loads((out / "report.json").read_text())
    assert report["contradictions"], "the two revenue figures must be flagged for this test to mean anything"
    markdown = (out / "report.md").read_text()
    assert "onerror" in markdown and "javascript" in markdown  # the quotes are there...
    assert "<img" not in markdown and "[details](javascript" not in markdown  # ...as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in markdown


def test_csv_cells_a_spreadsheet_would_run_start_with_an_apostrophe() -> None:
    flag = FlagSummary(id="f1", batch="b1", status="open", decision=None, severity="major", kind="numeric",
                       subject="=HYPERLINK(\"http://x\",\"y\")", attribute="+cmd|' /C calc'!A0",
                       values=["-2+3", "@SUM(A1:A9)"], documents=["doc", "doc2"], rationale="plain text")
    rows = review._csv([flag]).splitlines()
    cells = rows[1].split(",")
    assert cells[6].startswith("\"'=HYPERLINK")
    assert "'+cmd" in rows[1] and ",'-2+3," in rows[1] and ",'@SUM(A1:A9)," in rows[1]
    assert rows[1].endswith(",plain text")


def test_claimreview_export_names_documents_without_local_paths(tmp_path: Path) -> None:
    _run_hostile(tmp_path)
    flag = review.list_flags()[0]
    review.decide(flag.id, "confirmed", reviewer="ana")
    exported = CliRunner().invoke(cli, ["export", "--format", "claimreview"]).stdout
    assert "ClaimReview" in exported
    assert "file://" not in exported and str(tmp_path) not in exported
    appearance = json.loads(exported)["@graph"][0]["itemReviewed"]["appearance"]
    assert appearance["identifier"] in ("a", "b") and appearance["name"]


def test_escape_sequences_and_bidi_overrides_are_shown_not_obeyed() -> None:
    from verifier.report import _cell

    hostile = "Acme\x1b[31m red\u202e txt.exe"
    for text in (_cell(hostile), review._csv([FlagSummary(
            id="f1", batch="b1", status="open", decision=None, severity="major", kind="numeric", subject=hostile,
            attribute="revenue", values=["1", "2"], documents=["a", "b"], rationale="r")])):
        assert "\x1b" not in text and "\u202e" not in text
        assert "x1b" in text and "u202e" in text


def test_pages_show_control_and_bidi_characters_as_escapes(tmp_path: Path, verifier_home: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()  # a file name and quotes that would display reversed, and an escape sequence
    (docs / "report\u202etxt.md").write_text("Northwind results\nNorthwind's revenue was $5 billion \u202eevil\u202c "
                                             "in the quarter.\n", encoding="utf-8")
    (docs / "b.txt").write_text("Northwind results\nNorthwind's revenue was $4 billion \x1b[31m in the quarter.\n",
                                encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(docs), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    app = create_app(verifier_home)
    [flag] = TestClient(app, base_url="http://localhost").get("/api/flags").json()
    assert "\u202e" in json.dumps(flag["documents"], ensure_ascii=False)  # the data keeps the real name
    decision = {"decision": "needs-info", "note": "see \u202eme\u2066"}
    decided = TestClient(app, base_url="http://localhost").post(f"/api/flags/{flag['id']}/decisions", json=decision)
    assert decided.status_code == 201, decided.text
    client = TestClient(app, base_url="http://localhost")
    for page in (client.get("/").text, client.get(f"/flags/{flag['id']}").text):
        assert not any(c in page for c in "\u202e\u202c\u2066\x1b"), page
    page = client.get(f"/flags/{flag['id']}").text
    assert "report\\u202etxt" in page and "\\u202eevil\\u202c" in page and "\\x1b[31m" in page
    assert "see \\u202eme\\u2066" in page  # the note in the history
