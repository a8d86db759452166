"""Transport faults and a whole LLM batch, replayed from authored cassettes.

These cassettes (cassettes/authored/test_llm_faults/) were written by a developer, not
recorded: no reachable server here answers 429 with Retry-After on demand, and no
reachable model judges text well. Each file says so in its first line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CASSETTES, ROOT, free_port
from verifier import pipeline
from verifier.llm import LLM, LLMSettings, LLMTransportError, load_prompt
from verifier.models import ExtractedClaims

URL = "http://127.0.0.1:8765/v1"
VARIABLES = {"title": "Muse Spark", "text": "Muse Spark scores 52 on the Intelligence Index."}


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES / "authored" / "test_llm_faults")


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {"match_on": ["method", "path"], "record_mode": "none"}


def _llm(sleeps: list[float], **overrides: Any) -> LLM:
    settings = LLMSettings(model="authored", base_url=URL, api_key="sk-test-not-a-secret", **overrides)
    llm = LLM(settings)
    llm.sleep = sleeps.append
    return llm


@pytest.mark.vcr
def test_rate_limit_waits_for_retry_after_then_succeeds(vcr: Any) -> None:
    sleeps: list[float] = []
    result = _llm(sleeps).structured(load_prompt("extract"), VARIABLES, ExtractedClaims)
    assert result.claims[0].value == "52"
    assert sleeps == [2.0]
    assert vcr.play_count == 2


@pytest.mark.vcr
def test_server_errors_are_retried_with_backoff(vcr: Any) -> None:
    sleeps: list[float] = []
    llm = _llm(sleeps)
    result = llm.structured(load_prompt("extract"), VARIABLES, ExtractedClaims)
    assert result.claims[0].quote == "Muse Spark scores 52 on the Intelligence Index"
    assert sleeps == [0.5, 1.0]
    assert vcr.play_count == 3
    assert llm.usage.calls == 1 and llm.usage.prompt_tokens == 100


@pytest.mark.vcr
def test_bad_request_is_not_retried(vcr: Any) -> None:
    sleeps: list[float] = []
    with pytest.raises(LLMTransportError, match="HTTP 400"):
        _llm(sleeps).structured(load_prompt("extract"), VARIABLES, ExtractedClaims)
    assert sleeps == [] and vcr.play_count == 1


@pytest.mark.vcr
def test_insufficient_quota_is_not_retried(vcr: Any) -> None:
    sleeps: list[float] = []
    with pytest.raises(LLMTransportError, match="quota"):
        _llm(sleeps).structured(load_prompt("extract"), VARIABLES, ExtractedClaims)
    assert sleeps == [] and vcr.play_count == 1


@pytest.mark.vcr
def test_retries_stop_at_the_cap(vcr: Any) -> None:
    sleeps: list[float] = []
    with pytest.raises(LLMTransportError, match="after retries"):
        _llm(sleeps, max_transport_retries=3).structured(load_prompt("extract"), VARIABLES, ExtractedClaims)
    assert vcr.play_count == 4 and len(sleeps) == 3


@pytest.mark.vcr
def test_llm_batch_flags_a_textual_contradiction_judged_by_the_model(tmp_path: Path) -> None:
    options = pipeline.RunOptions(
        paths=[str(ROOT / "tests" / "fixtures" / "lineage")], out_dir=tmp_path / "out", backend="llm",
        llm=LLMSettings(model="authored", base_url=URL, api_key="sk-test-not-a-secret"), concurrency=1,
    )
    report = pipeline.run_batch(options).report
    # "Vega launched from Kourou" is in neither document: dropped, never evidence
    assert report.counts.ungrounded_dropped == 1
    assert [c.value for c in report.claims] == ["built from scratch", "six", "successor to the Lyra rover"]
    [flag] = report.contradictions
    assert flag.kind == "textual" and flag.severity == "major"
    assert {c.document for c in flag.claims} == {"orbis", "skyline"}
    assert "Lyra" in flag.rationale
    assert flag.question == "What is the Vega rover's lineage?"
    [vega] = report.entities
    assert (vega.name, vega.kind) == ("Vega", "product")
    assert report.usage.calls_by_stage == {"extract": 2, "align": 2, "judge": 1}
    assert report.usage.llm_calls == 5 and report.usage.total_tokens == 600


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_an_unreachable_endpoint_stops_the_run_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from verifier import llm as llm_module
    from verifier.cli import cli

    monkeypatch.setattr(llm_module.LLM, "__init__", _fast_init(llm_module.LLM.__init__))
    port = free_port()
    result = CliRunner().invoke(cli, ["run", str(ROOT / "tests" / "fixtures" / "lineage"), "--base-url",
                                      f"http://127.0.0.1:{port}/v1", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: endpoint failed after retries")
    assert not (tmp_path / "out" / "report.json").exists()


def _fast_init(original: Any) -> Any:
    def init(self: LLM, settings: LLMSettings, **kwargs: Any) -> None:
        settings.max_transport_retries = 1
        original(self, settings, **kwargs)
        self.sleep = lambda seconds: None

    return init
