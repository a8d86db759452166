"""Reviewing: the queue in the terminal and over HTTP, decisions that survive re-runs."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pyld import jsonld  # type: ignore[import-untyped]

from tests.conftest import SEEDS
from verifier import review
from verifier.cli import cli
from verifier.store import Store
from verifier.web import BindingError, check_binding, create_app

pytestmark = pytest.mark.usefixtures("both_engines")


def _run(folder: Path, out: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "batch"
    shutil.copytree(SEEDS, folder)
    _run(folder, tmp_path / "out")
    return folder


def _client(token: str | None = None) -> TestClient:
    """A client on a loopback name (the server answers no other Host by default)."""
    return TestClient(create_app(token=token), base_url="http://localhost")


def _csrf(client: TestClient) -> dict[str, str]:
    """The header a cookie-session client sends with a decision."""
    return {"X-CSRF-Token": client.get("/api/session").json()["csrf_token"]}


def _report_flags(out: Path) -> list[str]:
    return [f["id"] for f in json.loads((out / "report.json").read_text())["contradictions"]]


def _flags(*args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, ["flags", "--json", *args])
    assert result.exit_code == 0, result.output
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


def test_decisions_survive_a_rerun_and_vanished_flags_turn_stale(seeds_copy: Path, tmp_path: Path,
                                                                  verifier_home: Path) -> None:
    flags = _flags()
    assert len(flags) == len(_report_flags(tmp_path / "out")) and {f["status"] for f in flags} == {"open"}
    mmmu = next(f for f in flags if "80.4" in f["values"])  # type: ignore[operator]
    gpqa = next(f for f in flags if "89.5" in f["values"])  # type: ignore[operator]

    table = CliRunner().invoke(cli, ["flags"])
    assert str(gpqa["id"]) in table.stdout and "GPQA Diamond" in table.stdout

    for flag, decision in ((gpqa, "confirmed"), (mmmu, "needs-info")):
        args = ["decide", str(flag["id"]), decision, "--note", "checked", "--reviewer", "ana"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output

    shown = CliRunner().invoke(cli, ["show", str(gpqa["id"])])
    assert gpqa["question"] and shown.stdout.splitlines()[1].startswith(f"{gpqa['question']} ")
    assert "»78.4«" in shown.stdout and "»The model posts strong results" in shown.stdout
    assert "Contemplating" in shown.stdout and "confirmed  ana  checked" in shown.stdout

    # the same inputs again, without the document behind the MMMU flag
    (seeds_copy / "003_2d28a221aafb0824.txt").unlink()
    _run(seeds_copy, tmp_path / "out2")
    confirmed = _flags("--status", "confirmed")
    assert [f["id"] for f in confirmed] == [gpqa["id"]]
    stale = _flags("--status", "stale")
    assert [(f["id"], f["decision"]) for f in stale] == [(mmmu["id"], "needs-info")]

    store = Store.open()  # SQLite under VERIFIER_HOME, or the PostgreSQL database of VERIFIER_DATABASE_URL
    rows = store.decision_rows()
    store.close()
    assert rows == [(gpqa["id"], "confirmed", "ana", "checked"), (mmmu["id"], "needs-info", "ana", "checked")]


def test_unknown_flags_and_empty_stores_are_one_line_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["flags"])
    assert result.exit_code == 1 and "no batch yet" in result.stderr
    _run(SEEDS, tmp_path / "out")
    result = CliRunner().invoke(cli, ["decide", "fnope", "confirmed"])
    assert result.exit_code == 1 and result.stderr.strip() == "Error: no flag 'fnope'"


def test_exports(seeds_copy: Path, tmp_path: Path) -> None:
    flags = _flags()
    for flag in flags[:2]:
        assert CliRunner().invoke(cli, ["decide", str(flag["id"]), "confirmed", "--reviewer", "ana"]).exit_code == 0
    out = tmp_path / "reviews.jsonld"
    assert CliRunner().invoke(cli, ["export", "--format", "claimreview", "--out", str(out)]).exit_code == 0
    expanded = jsonld.expand(json.loads(out.read_text()))
    reviews = [node for node in expanded if "https://schema.org/ClaimReview" in node.get("@type", [])]
    assert len(reviews) == 2
    assert all("https://schema.org/itemReviewed" in r and "https://schema.org/reviewRating" in r for r in reviews)
    assert {r["https://schema.org/author"][0]["https://schema.org/name"][0]["@value"] for r in reviews} == {"ana"}

    csv_text = CliRunner().invoke(cli, ["export", "--format", "csv"]).stdout
    assert csv_text.splitlines()[0].startswith("id,batch,status") and len(csv_text.splitlines()) == 1 + len(flags)
    lines = CliRunner().invoke(cli, ["export", "--format", "jsonl"]).stdout.splitlines()
    statuses = sorted(json.loads(line)["status"] for line in lines)
    assert statuses == ["confirmed", "confirmed"] + ["open"] * (len(flags) - 2)


def test_api_lists_shows_and_decides(seeds_copy: Path) -> None:
    client = _client()
    flags = client.get("/api/flags").json()
    assert [f["id"] for f in flags] == [f.id for f in review.list_flags()] and len(flags) >= 3
    flag_id = flags[0]["id"]
    detail = client.get(f"/api/flags/{flag_id}").json()
    assert len(detail["claims"]) == 2 and detail["history"] == []
    side = detail["claims"][0]
    text = (seeds_copy / f"{side['document']}.txt").read_text(encoding="utf-8")
    assert text[side["start"]:side["end"]] == side["quote"]  # the quote at its offsets, in its passage
    assert side["before"] + side["after"] and text[:side["start"]].endswith(side["before"].lstrip("…"))
    assert text[side["end"]:].startswith(side["after"].rstrip("…"))
    posted = client.post(f"/api/flags/{flag_id}/decisions", json={"decision": "dismissed", "reviewer": "bo"},
                         headers=_csrf(client))
    assert posted.status_code == 201 and posted.json()["decision"] == "dismissed"
    assert client.get("/api/flags", params={"status": "dismissed"}).json()[0]["id"] == flag_id
    assert client.get("/api/flags/fmissing").status_code == 404
    missing = client.post("/api/flags/fmissing/decisions", json={"decision": "confirmed"}, headers=_csrf(client))
    assert missing.status_code == 404
    maybe = client.post(f"/api/flags/{flag_id}/decisions", json={"decision": "maybe"}, headers=_csrf(client))
    assert maybe.status_code == 422
    schema = client.get("/openapi.json").json()
    assert {"/api/flags", "/api/flags/{flag_id}", "/api/flags/{flag_id}/decisions"} <= set(schema["paths"])


def test_pages_render_and_form_decisions_move_to_the_next_open_flag(seeds_copy: Path) -> None:
    client = _client()
    flags = review.list_flags()
    queue = client.get("/")
    assert queue.status_code == 200 and f"open ({len(flags)})" in queue.text
    assert queue.text.count('<tr data-flag=') == len(flags)
    minor = sum(1 for f in flags if f.severity == "minor")
    assert minor >= 1 and client.get("/", params={"severity": "minor"}).text.count('<tr data-flag=') == minor
    first, second = [f["id"] for f in client.get("/api/flags").json()][:2]
    page = client.get(f"/flags/{first}")
    assert "<mark>" in page.text and "Rationale" in page.text
    question = next(f.question for f in flags if f.id == first)
    assert question and f"<h2>{question} " in page.text.replace("&#39;", "'")
    token = _csrf(client)["X-CSRF-Token"]
    assert f'name="csrf_token" value="{token}"' in page.text  # the form carries the session's CSRF token
    moved = client.post(f"/flags/{first}/decide", follow_redirects=False,
                        data={"decision": "confirmed", "note": "", "reviewer": "cy", "csrf_token": token})
    assert moved.status_code == 303 and moved.headers["location"] == f"/flags/{second}"


def test_a_token_guards_every_request(seeds_copy: Path) -> None:
    client = _client(token="s3cret")
    assert client.get("/api/flags").status_code == 401
    assert client.get("/openapi.json").status_code == 401
    assert client.get("/api/flags", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert client.get("/?token=s3cret").status_code == 200
    assert client.get("/api/flags").status_code == 200  # the cookie set by ?token= carries it


def test_off_loopback_needs_a_token() -> None:
    check_binding("127.0.0.1", None)
    check_binding("::1", None)
    check_binding("0.0.0.0", "t")
    with pytest.raises(BindingError):
        check_binding("0.0.0.0", None)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 1 and "without --token" in result.stderr


def test_two_reviewers_deciding_at_once_both_land(seeds_copy: Path) -> None:
    client = _client()
    flag_id = client.get("/api/flags").json()[0]["id"]
    headers = _csrf(client)
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def post(reviewer: str, decision: str) -> None:
        barrier.wait()
        codes.append(client.post(f"/api/flags/{flag_id}/decisions",
                                 json={"decision": decision, "reviewer": reviewer}, headers=headers).status_code)

    threads = [threading.Thread(target=post, args=args) for args in (("ana", "confirmed"), ("bo", "dismissed"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [201, 201]
    history = review.show_flag(flag_id).history
    assert sorted(h.reviewer for h in history) == ["ana", "bo"]
    assert review.show_flag(flag_id).status == history[-1].decision


def test_the_queue_lists_explained_differences_and_the_flag_page_shows_frames(tmp_path: Path,
                                                                              verifier_home: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Harbour results\nPublished 10 March 2026\nAnalysts had expected Harbour Authority "
                                  "revenue of $2.1 billion for the year.\nHarbour Authority said its fees rose 4% in "
                                  "March.\n")
    (folder / "b.txt").write_text("Harbour results\nPublished 11 March 2026\nHarbour Authority posted revenue of $2.6 "
                                  "billion for the year.\nHarbour Authority said its fees rose 6% in March.\n")
    assert CliRunner().invoke(cli, ["run", str(folder), "--out", str(tmp_path / "out")]).exit_code == 0
    client = TestClient(create_app(verifier_home), base_url="http://localhost")
    queue = client.get("/").text
    assert "Explained differences (1)" in queue and "a forecast against an outcome" in queue
    [flag] = client.get("/api/flags").json()
    assert {"4%", "6%"} <= set(flag["values"])
    page = client.get(f"/flags/{flag['id']}").text
    assert page.count("Frame: March 2026") == 2 and "Document date: 2026-03-10 (published)" in page
    [explained] = review.list_explained()  # stored, not only shown
    assert "forecast" in explained.reason
