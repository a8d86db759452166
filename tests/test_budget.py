"""Cost and pace: the price table, the budget a run stops within, rate limits, progress."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier.budget import Budget, load_prices, price_of
from verifier.cli import cli
from verifier.llm import RateLimiter
from verifier.llm import Usage as LLMUsage
from verifier.models import Document
from verifier.progress import for_terminal, silent
from verifier.testing import FakeEndpoint

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])


def test_prices_by_name_prefix_and_override(tmp_path: Path) -> None:
    table = load_prices()
    assert price_of("gpt-4o-mini-2024-07-18", table) == table["gpt-4o-mini"]
    assert price_of("no-such-model", table) is None
    extra = tmp_path / "prices.json"
    extra.write_text(json.dumps({"gpt-4o-mini": {"input": 1.0, "output": 1.0}}))
    assert price_of("gpt-4o-mini", load_prices(extra)) == (1.0, 1.0)


def test_a_run_stops_cleanly_before_passing_its_budget(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(10):
        (folder / f"d{n}.txt").write_text(f"Doc {n}\nAcme{n} reported revenue of ${n + 1}.5 billion.\n")
    with FakeEndpoint() as endpoint:  # "fake" costs $1/$2 per million tokens in the shipped table
        result = CliRunner().invoke(cli, ["run", str(folder), "--base-url", endpoint.url, "--model", "fake",
                                          "--max-cost", "0.004", "--concurrency", "1", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "estimated cost $" in result.stderr and "budget $0.0040" in result.stderr
    assert "document(s) not processed" in result.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert 0 < len(report["documents"]) < 10
    assert len(report["documents"]) + len(report["unprocessed"]) == 10
    assert 0 < report["usage"]["cost_usd"] <= 0.004
    assert "cost" in (tmp_path / "o" / "report.md").read_text()


def test_an_unknown_price_with_a_budget_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("Acme reported revenue of $4.2 billion.")
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "d.txt"), "--base-url", "http://127.0.0.1:9/v1",
                                      "--model", "mystery", "--max-cost", "1", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "no price known for model 'mystery'" in result.stderr


def test_rate_limits_wait_for_the_window() -> None:
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(rpm=2, tpm=1000, clock=lambda: now[0], sleep=sleep)
    limiter.acquire(100)
    limiter.acquire(100)
    assert waits == []
    limiter.acquire(100)  # a third request in the same minute waits for the first to age out
    assert waits == [60.0]
    limiter = RateLimiter(rpm=None, tpm=1000, clock=lambda: now[0], sleep=sleep)
    limiter.acquire(900)
    limiter.acquire(200)  # over the token budget: waits too
    assert waits[-1] == 60.0


def test_a_progress_bar_only_on_a_terminal_and_not_when_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert type(for_terminal(quiet=True)) is type(silent())
    assert type(for_terminal(quiet=False)) is not type(silent())
    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    assert type(for_terminal(quiet=False)) is type(silent())


def test_a_batch_stopped_by_its_budget_resumes_with_a_larger_one(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(6):
        (folder / f"d{n}.txt").write_text(f"Doc {n}\nAcme{n} reported revenue of ${n + 1}.5 billion.\n")
    with FakeEndpoint() as endpoint:
        def run(*extra: str) -> dict[str, object]:
            args = ["run", str(folder), "--base-url", endpoint.url, "--model", "fake", "--concurrency", "1",
                    "--out", str(tmp_path / "o"), *extra]
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, result.output
            loaded: dict[str, object] = json.loads((tmp_path / "o" / "report.json").read_text())
            return loaded

        first = run("--max-cost", "0.003")
        assert first["unprocessed"] and endpoint.kinds["extract"] == 6 - len(first["unprocessed"])  # type: ignore[arg-type]
        second = run("--resume", str(first["batch"]), "--max-cost", "1")
        assert second["batch"] == first["batch"] and second["unprocessed"] == []
        assert len(second["documents"]) == 6 and endpoint.kinds["extract"] == 6  # type: ignore[arg-type]
        again = CliRunner().invoke(cli, ["run", str(folder), "--resume", str(first["batch"]), "--base-url",
                                         endpoint.url, "--model", "fake", "--out", str(tmp_path / "o")])
    assert again.exit_code == 1 and "already finished" in again.stderr


def test_cross_check_calls_are_reserved_for_and_skipped_when_they_would_pass_the_budget() -> None:
    usage = LLMUsage()
    budget = Budget(0.01, (1.0, 2.0), usage, chunk_tokens=1200)
    doc = Document(id="d", path="d.txt", sha256="0", title="d", text="Acme is headquartered in Arlen. " * 50)
    assert budget.estimate(doc) > budget.cross_check_share(doc) > 0  # admission reserves the cross-check share
    assert budget.gate("a claim list") and budget.gate("a claim list")
    usage.prompt_tokens = 9_000  # $0.009 spent: the next call would pass $0.01
    assert not budget.gate("a claim list " * 100)


def test_a_judge_call_the_budget_cannot_pay_for_is_skipped_with_a_note(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Wire\nAcme is headquartered in Arlen.\n")
    (folder / "b.txt").write_text("Paper\nAcme is headquartered in Brask.\n")
    with FakeEndpoint() as endpoint:
        result = CliRunner().invoke(cli, ["run", str(folder), "--base-url", endpoint.url, "--model", "fake",
                                          "--max-cost", "0.0052", "--concurrency", "1", "--out", str(tmp_path / "o")])
        kinds = dict(endpoint.kinds)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert len(report["documents"]) == 2 and kinds["extract"] == 2
    skipped = [f for f in report["failures"] if "skipped, the budget would be exceeded" in f]
    assert skipped and "judge" not in kinds
    assert report["usage"]["cost_usd"] <= 0.0052
