"""The LLM door against llama.cpp's server, replayed from cassettes.

Recorded cassettes (cassettes/test_llm/) are real answers of SmolLM2-135M-Instruct
served by llama-cpp-python on loopback: a tiny model whose poor answers exercise what
matters here, the wire format, re-asks, and the dropping of quotes it invents.
Cassettes under cassettes/authored/ were written by hand and say so; see test_llm_faults.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import RECORD_URL, SEEDS
from verifier import align, compare, framing, pipeline
from verifier.keys import KeyMaker, squash
from verifier.llm import LLM, Calls, LLMOutputError, LLMSettings, load_prompt
from verifier.models import Document, ExtractedClaims, GroundedClaim
from verifier.testing import request_kind

SEED = SEEDS / "003_2d28a221aafb0824.txt"


def _settings(tmp_path: Path, **overrides: object) -> LLMSettings:
    settings = LLMSettings(model="smollm2", base_url=RECORD_URL, api_key="sk-test-not-a-secret",
                           cache_dir=tmp_path / "cache", max_tokens=1024)
    for name, value in overrides.items():
        setattr(settings, name, value)
    return settings


@pytest.mark.vcr
def test_llm_run_keeps_only_claims_whose_quotes_are_in_the_document(tmp_path: Path, verifier_home: Path) -> None:
    options = pipeline.RunOptions(
        paths=[str(SEED)], out_dir=tmp_path / "out", backend="llm", llm=_settings(tmp_path),
        chunk_tokens=300, concurrency=1,
    )
    result = pipeline.run_batch(options)
    report = result.report
    text = SEED.read_text(encoding="utf-8")
    assert report.backend == "llm" and report.model == "smollm2"
    assert report.usage.llm_calls >= 2 and report.usage.total_tokens > 0
    # the tiny model invents quotes; those never reach the report
    assert report.counts.ungrounded_dropped >= 1
    for claim in report.claims:
        assert text[claim.start:claim.end] == claim.quote
    rows = sqlite3.connect(result.database).execute(
        "SELECT count(*), min(prompt_hash) FROM claims WHERE batch_id = ?", (report.batch,)
    ).fetchone()
    assert rows[0] == len(report.claims)
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["usage"]["total_tokens"] == report.usage.total_tokens
    assert saved["prompt_hashes"]["extract"] == load_prompt("extract").hash


@pytest.mark.vcr
def test_invalid_output_is_reasked_with_the_error_then_given_up(tmp_path: Path, vcr: object) -> None:
    # Without the schema in response_format the tiny model answers JSON of the wrong shape.
    llm = LLM(_settings(tmp_path, schema_in_response_format=False, cache_dir=None, max_reasks=2))
    prompt = load_prompt("extract")
    with pytest.raises(LLMOutputError) as caught:
        llm.structured(prompt, {"title": "Muse Spark", "text": "Muse Spark scores 52 on the Index."}, ExtractedClaims)
    assert caught.value.attempts == 3
    assert caught.value.usage.get("total_tokens", 0) > 0
    requests = vcr.requests  # type: ignore[attr-defined]
    assert len(requests) == 3
    # the second request carries the validation error back to the model
    reask = json.loads(requests[1].body)["messages"]
    assert [m["role"] for m in reask][-2:] == ["assistant", "user"]
    assert "validation error" in reask[-1]["content"].lower() and "ExtractedClaims" in reask[-1]["content"]


@pytest.mark.vcr
def test_second_identical_call_is_served_from_the_cache(tmp_path: Path, vcr: object) -> None:
    llm = LLM(_settings(tmp_path))
    prompt = load_prompt("extract")
    variables = {"title": "Muse Spark", "text": "Muse Spark scores 52 on the Intelligence Index."}
    first = llm.structured(prompt, variables, ExtractedClaims)
    again = LLM(_settings(tmp_path))
    second = again.structured(prompt, variables, ExtractedClaims)
    assert first == second
    assert len(vcr.requests) == 1  # type: ignore[attr-defined]
    assert (llm.usage.calls, again.usage.calls, again.usage.cache_hits) == (1, 0, 1)


def _claim(doc: str, subject: str, attribute: str, value: str, quote: str) -> GroundedClaim:
    return GroundedClaim(id=f"c-{doc}-{attribute}", document=doc, subject=subject, attribute=attribute, value=value,
                         quote=quote, start=0, end=len(quote))


@pytest.mark.vcr
def test_alignment_and_judge_calls_go_over_the_wire_and_code_checks_the_answers(tmp_path: Path, vcr: object) -> None:
    # The entity call, the question call and the judge, each answered by the tiny model under its
    # JSON-schema grammar; whatever it answers, code keeps a consistent alignment.
    docs = [Document(id=d, path=f"{d}.txt", sha256=d * 8, title=d, text="") for d in ("orbis", "skyline")]
    claims = [
        _claim("orbis", "Vega", "lineage", "built from scratch", "The rover was built from scratch"),
        _claim("orbis", "the Vega rover", "instruments carried", "six", "carries six instruments"),
        _claim("skyline", "Vega", "design origin", "successor to the Lyra rover", "a successor to the Lyra rover"),
        _claim("skyline", "Orbis", "maker of Vega", "Orbis", "Orbis engineers"),
    ]
    calls = Calls(LLM(_settings(tmp_path, cache_dir=None, max_tokens=512)))
    keys = KeyMaker()
    framed = framing.frame(docs, claims)
    alignment = align.align(framed.claims, keys, grouper=align.Grouper(calls.entities, calls.questions))
    findings = compare.cross_check(docs, alignment, judge=calls.judge)
    kinds = [request_kind(json.loads(r.body)) for r in vcr.requests]  # type: ignore[attr-defined]
    assert kinds[:2] == ["entities", "questions"] and set(kinds) <= {"entities", "questions", "judge"}
    assert len(kinds) == 2 + findings.judge_calls
    failures = alignment.failures + findings.failures
    assert all(f.count("\n") == 0 for f in failures)  # a bad answer is one line, never a traceback
    placed = sorted(cid for q in alignment.questions for cid in q.claims)
    assert placed == sorted(c.id for c in claims)
    assert sorted(s for e in alignment.entities for s in e.aliases) == sorted({c.subject for c in claims})
    # the model named the Orbis group "The Vega rover": a name that is none of its spellings is not kept
    assert all(any(squash(e.name) in squash(a) or squash(a) in squash(e.name) for a in e.aliases)
               for e in alignment.entities)
    for flag in findings.contradictions:
        assert {c.document for c in flag.claims} == {"orbis", "skyline"}


def test_instructor_gets_one_wrapper_per_response_model_with_the_schema_it_would_build() -> None:
    """The wrapper is built once (instructor built a class and its schema on every call), and what
    instructor writes into the prompt from it is what it wrote from its own wrapper."""
    import instructor

    from verifier.llm import instructor_model

    wrapped = instructor_model(ExtractedClaims)
    assert instructor_model(ExtractedClaims) is wrapped
    assert issubclass(wrapped, instructor.ResponseSchema) and wrapped.__name__ == "ExtractedClaims"
    own = instructor.response_schema(ExtractedClaims).model_json_schema()
    given = wrapped.model_json_schema()
    assert given == own
    given["title"] = "changed by a caller"
    assert wrapped.model_json_schema() == own  # each call gets its own copy
    assert wrapped.model_json_schema(mode="serialization") == ExtractedClaims.model_json_schema(mode="serialization")
